#!/usr/bin/python3
"""kiosk.py: the kiosk loop of kiosk.c in Python, on idtap's C API through ctypes (standard library
only). Waits for a card on any reader, reads it with the CAN, prints who it is and the verdict,
waits for the card to leave, and starts over; after CARDS cards (0: forever) it stops. SIGINT or
SIGTERM stops it at once: a thread takes the signal and calls idtap_cancel.

    python3 kiosk.py CAN CSCA_PATH [CARDS]      (IDTAP_LIBRARY: the library's path, if not installed)

Exit status: 0 when stopped (CARDS read, or a signal), 3 when the readers went away.
"""
import ctypes
import os
import signal
import sys
import threading

lib = ctypes.CDLL(os.environ.get("IDTAP_LIBRARY", "libidtap.so.0"))

IDTAP_OK, IDTAP_E_NO_CARD, IDTAP_E_CANCELLED = 0, 7, 11
EVENT_READER_REMOVED, EVENT_CARD_INSERTED, EVENT_CARD_REMOVED = 2, 3, 4

PROGRESS = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_size_t)


class ReadOptions(ctypes.Structure):
    """idtap_read_options, field for field."""
    _fields_ = [("struct_size", ctypes.c_size_t), ("can", ctypes.c_char_p), ("mrz", ctypes.c_char_p),
                ("document_number", ctypes.c_char_p), ("date_of_birth", ctypes.c_char_p),
                ("date_of_expiry", ctypes.c_char_p), ("trust_paths", ctypes.POINTER(ctypes.c_char_p)),
                ("trust_path_count", ctypes.c_size_t), ("data_groups", ctypes.POINTER(ctypes.c_int)),
                ("data_group_count", ctypes.c_size_t), ("aa_challenge", ctypes.POINTER(ctypes.c_uint8)),
                ("aa_challenge_len", ctypes.c_size_t), ("chip_authentication", ctypes.c_int),
                ("active_authentication", ctypes.c_int), ("reconnect_timeout_ms", ctypes.c_int),
                ("progress", PROGRESS), ("progress_user_data", ctypes.c_void_p)]


p = ctypes.c_void_p
for name, res, args in [
        ("idtap_version", ctypes.c_char_p, []), ("idtap_strerror", ctypes.c_char_p, [ctypes.c_int]),
        ("idtap_status_name", ctypes.c_char_p, [ctypes.c_int]),
        ("idtap_context_new", ctypes.c_int, [ctypes.c_uint, ctypes.POINTER(p)]),
        ("idtap_context_free", None, [p]), ("idtap_context_error", ctypes.c_char_p, [p]),
        ("idtap_cancel", ctypes.c_int, [p]), ("idtap_events_reset", ctypes.c_int, [p]),
        ("idtap_list_readers", ctypes.c_int, [p, ctypes.POINTER(ctypes.c_size_t)]),
        ("idtap_reader_spec", ctypes.c_char_p, [p, ctypes.c_size_t]),
        ("idtap_reader_has_card", ctypes.c_int, [p, ctypes.c_size_t]),
        ("idtap_wait_event", ctypes.c_int, [p, ctypes.c_int, ctypes.POINTER(ctypes.c_int), ctypes.c_char_p, ctypes.c_size_t]),
        ("idtap_open", ctypes.c_int, [p, ctypes.c_char_p, ctypes.c_int, ctypes.POINTER(p)]),
        ("idtap_reader_free", None, [p]),
        ("idtap_read_options_init", None, [ctypes.POINTER(ReadOptions)]),
        ("idtap_read", ctypes.c_int, [p, ctypes.POINTER(ReadOptions), ctypes.POINTER(p)]),
        ("idtap_result_free", None, [p]), ("idtap_result_genuine", ctypes.c_int, [p]),
        ("idtap_result_reason_count", ctypes.c_size_t, [p]),
        ("idtap_result_reason", ctypes.c_char_p, [p, ctypes.c_size_t]),
        ("idtap_result_field", ctypes.c_char_p, [p, ctypes.c_char_p]),
        ("idtap_result_json", ctypes.c_char_p, [p])]:
    fn = getattr(lib, name)
    fn.restype, fn.argtypes = res, args


def text(b):
    return b.decode("utf-8") if b is not None else None


@PROGRESS
def on_progress(_user, file, done, total):
    if total and done == total:
        print(f"read {file.decode()} ({total} bytes)", file=sys.stderr)


def read_card(ctx, reader, can, csca):
    """One read of the card in `reader`: prints the holder and the verdict; the status."""
    card = p()
    st = lib.idtap_open(ctx, reader, 0, ctypes.byref(card))
    if st != IDTAP_OK:
        return st
    options = ReadOptions()
    lib.idtap_read_options_init(ctypes.byref(options))
    options.can = can.encode()
    paths = (ctypes.c_char_p * 1)(csca.encode())
    options.trust_paths, options.trust_path_count = paths, 1
    options.progress = on_progress
    result = p()
    st = lib.idtap_read(card, ctypes.byref(options), ctypes.byref(result))
    if st == IDTAP_OK:
        field = lambda name: text(lib.idtap_result_field(result, name.encode()))
        if field("primary_identifier"):
            print(f"{field('primary_identifier')}, {field('secondary_identifier')}")
        if field("full_name"):
            print(field("full_name"))
        if field("personal_number"):
            print(f"resident number: {field('personal_number')}")  # masked
        if lib.idtap_result_genuine(result):
            print("genuine: yes")
        else:
            print("genuine: no")
            for i in range(lib.idtap_result_reason_count(result)):
                print(f"  {text(lib.idtap_result_reason(result, i))}")
        lib.idtap_result_free(result)  # wipes what was read
    lib.idtap_reader_free(card)
    return st


def card_present(ctx, reader):
    """Forgets the events of the read, then whether `reader` still holds a card."""
    n = ctypes.c_size_t()
    if lib.idtap_events_reset(ctx) != IDTAP_OK or lib.idtap_list_readers(ctx, ctypes.byref(n)) != IDTAP_OK:
        return False
    for i in range(n.value):
        if lib.idtap_reader_spec(ctx, i) == reader:
            return bool(lib.idtap_reader_has_card(ctx, i))
    return False


def main():
    if len(sys.argv) not in (3, 4):
        print("usage: kiosk.py CAN CSCA_PATH [CARDS]", file=sys.stderr)
        return 2
    can, csca = sys.argv[1], sys.argv[2]
    cards = int(sys.argv[3]) if len(sys.argv) == 4 else 0
    # Signals go to one thread that cancels; blocked here before any thread starts.
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    ctx = p()
    if lib.idtap_context_new(0, ctypes.byref(ctx)) != IDTAP_OK:
        return 1
    finished = threading.Event()

    def signals():
        sig = signal.sigwait({signal.SIGINT, signal.SIGTERM})
        if not finished.is_set():
            print(f"signal {sig}: stopping", file=sys.stderr)
            lib.idtap_cancel(ctx)

    watcher = threading.Thread(target=signals, daemon=True)
    watcher.start()
    print(f"idtap {text(lib.idtap_version())}: waiting for cards", flush=True)

    status, done = 0, 0
    kind = ctypes.c_int()
    reader = ctypes.create_string_buffer(512)

    def wait():
        return lib.idtap_wait_event(ctx, -1, ctypes.byref(kind), reader, len(reader))

    while cards == 0 or done < cards:
        st = wait()
        if st == IDTAP_E_CANCELLED:
            break
        if st != IDTAP_OK:
            print(f"wait: {text(lib.idtap_strerror(st))} ({text(lib.idtap_context_error(ctx))})")
            status = 3
            break
        if kind.value == EVENT_READER_REMOVED:
            print(f"reader removed: {text(reader.value)}")
        if kind.value != EVENT_CARD_INSERTED:
            continue
        card_reader = reader.value
        print(f"card in {text(card_reader)}", flush=True)
        st = read_card(ctx, card_reader, can, csca)
        done += 1
        if st == IDTAP_E_CANCELLED:
            break
        if st != IDTAP_OK:
            print(f"read failed: {text(lib.idtap_status_name(st))}: {text(lib.idtap_context_error(ctx))}")
        print("remove the card", flush=True)
        # What happened during the read (the card may have left and come back) is history:
        # start from the present state.
        st = IDTAP_OK if card_present(ctx, card_reader) else IDTAP_E_NO_CARD
        while st == IDTAP_OK:
            st = wait()
            if st != IDTAP_OK:
                break
            if kind.value in (EVENT_CARD_REMOVED, EVENT_READER_REMOVED) and reader.value == card_reader:
                break
        if st == IDTAP_E_CANCELLED:
            break
        if st not in (IDTAP_OK, IDTAP_E_NO_CARD):
            print(f"wait: {text(lib.idtap_strerror(st))} ({text(lib.idtap_context_error(ctx))})")
            status = 3
            break
        print("card out", flush=True)
    print(f"stopped after {done} card(s)", flush=True)
    finished.set()
    # End the signal thread: a SIGTERM to the process, which only its sigwait takes (blocked in
    # every thread). Not pthread_kill: the thread may have ended already (it took the signal that
    # stopped us), and a Python thread's ident is not valid after its end.
    os.kill(os.getpid(), signal.SIGTERM)
    watcher.join()
    lib.idtap_context_free(ctx)
    return status


if __name__ == "__main__":
    sys.exit(main())
