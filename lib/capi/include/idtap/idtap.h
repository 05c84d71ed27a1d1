/* idtap/idtap.h: the C API of idtap for kiosks and other languages (C99; C#, Java, Python, Go
 * bind it through their foreign-function interfaces). It is the only interface libidtap.so
 * exports (version node IDTAP_1); the C++ layers stay available as static archives.
 *
 * Written in the manner of pcsc-lite's winscard.h and ifdhandler.h: opaque handles, explicit
 * lengths, every return code documented, a distinct "device gone" error.
 *
 * Handles
 *   idtap_context  one per kiosk thread: the readers, the event wait, the last error's detail.
 *   idtap_reader   one open card (idtap_open), read with idtap_read.
 *   idtap_result   one read's outcome: verdicts, text, face, raw files, JSON.
 *   idtap_issuer   a ledger (and an issuer key) that issues mobile IDs from genuine reads:
 *                  idtap_offer (for the phone, OID4VCI) and idtap_credential (to a device key).
 *
 * Ownership
 *   Every handle made by an idtap_*_new / idtap_open / idtap_read call is the caller's and is
 *   released by its idtap_*_free; passing NULL to a free function does nothing. A `const char*`
 *   or byte pointer returned by an accessor is borrowed: it stays valid until the handle it came
 *   from is freed (for idtap_context accessors: until the next call on that context). Strings
 *   are UTF-8 and NUL-terminated. Data copied into caller buffers (idtap_wait_event's reader
 *   name, idtap_result_reveal_personal_number) is the caller's.
 *
 * Thread-safety
 *   A context and everything made from it (readers, results) is used by one thread at a time.
 *   The exception is idtap_cancel, which any thread may call at any time while the context
 *   lives. Different contexts are independent and may be used concurrently. idtap_strerror,
 *   idtap_status_name and idtap_version may be called from any thread.
 *
 * Errors
 *   Every function that can fail returns an idtap_status (IDTAP_OK = 0). After a failure on a
 *   context (or a reader or result made from it), idtap_context_error() gives a detail message
 *   (never a password, a key or a whole resident number) and idtap_context_sw() the card's
 *   status word when the card sent one. No C++ exception ever leaves a function of this API.
 *
 * Secrets
 *   The CAN and MRZ given to idtap_read are copied into zeroised buffers for the read only. A
 *   result's raw files and text (the resident number is in DG11) are wiped when it is freed; an
 *   offer's pre-authorized code and tx_code, a credential's bytes and an issuer's key likewise.
 *
 * ABI
 *   SONAME libidtap.so.0. Functions are only added, never changed or removed, within a SONAME;
 *   structures passed in carry their own size (struct_size), so a new field can be added at the
 *   end without breaking older callers. tests/capi checks the library against the committed
 *   baseline (lib/capi/abi/) with abidiff.
 */
#ifndef IDTAP_IDTAP_H
#define IDTAP_IDTAP_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(IDTAP_BUILDING_CAPI)
#define IDTAP_API __attribute__((visibility("default")))
#else
#define IDTAP_API
#endif

/* idtap_status: the outcome of a call. 1..25 mirror the library's ErrorCode
 * (idtap/base/error.h) value for value; tests/capi checks that they stay in step. */
typedef enum idtap_status {
  IDTAP_OK = 0,
  IDTAP_E_INVALID_ARGUMENT = 1,     /* the caller passed something unusable (NULL, bad CAN) */
  IDTAP_E_TRANSPORT = 2,            /* the link to the reader failed */
  IDTAP_E_DEVICE_GONE = 3,          /* the reader itself disappeared (unplugged) */
  IDTAP_E_CARD_REMOVED = 4,         /* the card left the field (and did not come back in time) */
  IDTAP_E_CARD_RESET = 5,           /* the card was reset by someone else */
  IDTAP_E_NO_READER = 6,            /* no reader found, or the named one does not exist */
  IDTAP_E_NO_CARD = 7,              /* the reader holds no card */
  IDTAP_E_SERVICE_UNAVAILABLE = 8,  /* pcscd is not running */
  IDTAP_E_SHARING_VIOLATION = 9,    /* another program holds the card exclusively */
  IDTAP_E_TIMEOUT = 10,             /* nothing happened in the time given */
  IDTAP_E_CANCELLED = 11,           /* idtap_cancel was called */
  IDTAP_E_CARD_STATUS = 12,         /* the card answered with an error status word */
  IDTAP_E_MALFORMED = 13,           /* bytes from the card or a file do not parse */
  IDTAP_E_SECURE_MESSAGING = 14,    /* secure messaging failed: the channel is dead */
  IDTAP_E_AUTH_FAILED = 15,         /* access control failed: wrong CAN or MRZ */
  IDTAP_E_PASSWORD_BLOCKED = 16,    /* the password's retry counter reached zero */
  IDTAP_E_PASSWORD_SUSPENDED = 17,  /* the password is suspended */
  IDTAP_E_VERIFICATION_FAILED = 18, /* a signature, hash or chip check did not verify */
  IDTAP_E_NO_TRUST_ANCHOR = 19,     /* no trusted CSCA */
  IDTAP_E_NOT_SUPPORTED = 20,       /* the card, reader or build does not offer this */
  IDTAP_E_IO = 21,                  /* file system error (a trust path that cannot be read) */
  IDTAP_E_REFUSED = 22,             /* a policy refused the request */
  IDTAP_E_STATE = 23,               /* a handle was used in the wrong state */
  IDTAP_E_NOT_FOUND = 24,           /* a named thing (a file of the result) does not exist */
  IDTAP_E_INTERNAL = 25,            /* a bug in idtap, or out of memory */
  IDTAP_E_BUSY = 26,                /* the ledger stayed locked by another process too long */
  /* C API only: */
  IDTAP_E_BUFFER_TOO_SMALL = 100    /* the caller's buffer is too small; *len says how big */
} idtap_status;

/* idtap_strerror: a short English description of `status` ("the card left the field"); a
 * static string, never NULL ("unknown status" for a value not listed above). */
IDTAP_API const char* idtap_strerror(idtap_status status);

/* idtap_status_name: the stable identifier of `status` ("card_removed", as the JSON and the
 * tool name it; "ok" for IDTAP_OK); a static string, never NULL ("unknown"). */
IDTAP_API const char* idtap_status_name(idtap_status status);

/* idtap_version: the library's version ("0.1.0"); a static string. */
IDTAP_API const char* idtap_version(void);

/* ---------------------------------------------------------------------------------------- */
/* Contexts */

typedef struct idtap_context idtap_context;

/* Flags of idtap_context_new. */
#define IDTAP_CONTEXT_NO_NFC 0x1u /* leave libnfc devices alone (list and events: PC/SC only) */

/* idtap_context_new: a new context in *out (the caller's; free with idtap_context_free).
 * IDTAP_E_INVALID_ARGUMENT (out NULL, unknown flag bits), IDTAP_E_INTERNAL (out of memory). */
IDTAP_API idtap_status idtap_context_new(unsigned flags, idtap_context** out);

/* idtap_context_free: releases the context: closes its event wait and PC/SC contexts. Readers
 * and results made from it must be freed first. NULL does nothing. */
IDTAP_API void idtap_context_free(idtap_context* ctx);

/* idtap_context_error: the detail of the last failure on `ctx` (or on a reader or result made
 * from it), "" when the last call succeeded; borrowed until the next call on the context. */
IDTAP_API const char* idtap_context_error(const idtap_context* ctx);

/* idtap_context_sw: the status word the card sent with the last failure (0x6982, ...), 0 when
 * none. */
IDTAP_API uint16_t idtap_context_sw(const idtap_context* ctx);

/* idtap_cancel: makes the idtap_wait_event or idtap_read running on `ctx` (in another thread)
 * return IDTAP_E_CANCELLED soon; when none is running, the next one on `ctx` returns it at
 * once. A cancel is used up by the call it ends. Thread-safe: any thread, any time while the
 * context lives (not from a signal handler). IDTAP_E_INVALID_ARGUMENT when ctx is NULL. */
IDTAP_API idtap_status idtap_cancel(idtap_context* ctx);

/* ---------------------------------------------------------------------------------------- */
/* Readers and events */

/* idtap_add_sim_reader: makes the simulated card whose image is in directory `dir` (written by
 * `idtap sim personalize`) a reader of this context: listed as "sim:DIR", always holding its
 * card. IDTAP_E_INVALID_ARGUMENT (NULL or empty dir). */
IDTAP_API idtap_status idtap_add_sim_reader(idtap_context* ctx, const char* dir);

/* idtap_list_readers: takes a snapshot of every reader of every driver (pcsc:, nfc:, and the
 * sim: readers added to the context) and stores their count in *count. A driver that cannot be
 * asked (pcscd not running) contributes no reader; this call does not fail for it. */
IDTAP_API idtap_status idtap_list_readers(idtap_context* ctx, size_t* count);

/* idtap_reader_spec: the reader at `index` of the last snapshot, as idtap_open takes it
 * ("pcsc:ACS ACR1252 1S CL Reader PICC 00 00", "nfc:pn532_uart:/dev/ttyUSB0", "sim:/dir");
 * borrowed until the next idtap_list_readers; NULL when index is out of range. */
IDTAP_API const char* idtap_reader_spec(const idtap_context* ctx, size_t index);

/* idtap_reader_has_card: 1 when the reader at `index` held a card at the snapshot, 0 when not
 * or out of range. */
IDTAP_API int idtap_reader_has_card(const idtap_context* ctx, size_t index);

/* idtap_event_kind: what idtap_wait_event reports. */
typedef enum idtap_event_kind {
  IDTAP_EVENT_NONE = 0,
  IDTAP_EVENT_READER_ADDED = 1,
  IDTAP_EVENT_READER_REMOVED = 2,
  IDTAP_EVENT_CARD_INSERTED = 3,
  IDTAP_EVENT_CARD_REMOVED = 4
} idtap_event_kind;

/* idtap_wait_event: the next reader or card event of any driver (PC/SC, libnfc), waiting up to
 * `timeout_ms` (0: do not wait; negative: wait forever). The first calls report the present
 * state: a READER_ADDED for every reader, then a CARD_INSERTED for every card already in one.
 * On IDTAP_OK, *kind is the event and the reader's spec (as idtap_open takes it) is copied into
 * `reader` (capacity `reader_size` bytes, NUL-terminated, truncated to fit; `reader` may be NULL
 * when reader_size is 0).
 * IDTAP_E_TIMEOUT: nothing came in time (*kind = NONE). IDTAP_E_CANCELLED: idtap_cancel.
 * IDTAP_E_SERVICE_UNAVAILABLE: pcscd stopped (and no other driver watches a reader);
 * IDTAP_E_NO_READER: nothing can be watched at all. After any error but TIMEOUT and CANCELLED
 * the wait is over: the next call starts a new one (with the present state again). */
IDTAP_API idtap_status idtap_wait_event(idtap_context* ctx, int timeout_ms, idtap_event_kind* kind, char* reader,
                                        size_t reader_size);

/* idtap_events_reset: forgets the events not yet returned and takes the present state as known:
 * the next idtap_wait_event reports only what changes after this call (no initial events). A
 * kiosk calls it after a read, whose card may have left and come back meanwhile, then asks
 * idtap_list_readers whether the card is still there before waiting for its removal.
 * IDTAP_E_SERVICE_UNAVAILABLE / IDTAP_E_NO_READER as idtap_wait_event. */
IDTAP_API idtap_status idtap_events_reset(idtap_context* ctx);

typedef struct idtap_reader idtap_reader;

/* idtap_open: opens the card in the reader `spec` ("pcsc:NAME" (substring, case-insensitive),
 * "pcsc:#N", "nfc:CONNSTRING", "sim:DIR", or NULL/"" for the only reader holding a card),
 * waiting up to `card_wait_ms` for a card when the reader is empty (0: not at all). The reader
 * handle is the caller's (idtap_reader_free). IDTAP_E_NO_READER, IDTAP_E_NO_CARD,
 * IDTAP_E_TIMEOUT, IDTAP_E_SERVICE_UNAVAILABLE, IDTAP_E_SHARING_VIOLATION,
 * IDTAP_E_INVALID_ARGUMENT (bad spec; several readers hold cards), IDTAP_E_CANCELLED. */
IDTAP_API idtap_status idtap_open(idtap_context* ctx, const char* spec, int card_wait_ms, idtap_reader** out);

/* idtap_reader_free: disconnects the card (leaving it powered) and frees the handle. */
IDTAP_API void idtap_reader_free(idtap_reader* reader);

/* idtap_reader_description: "pcsc:NAME (T=1, extended APDUs)", "sim:DIR"; borrowed. */
IDTAP_API const char* idtap_reader_description(const idtap_reader* reader);

/* ---------------------------------------------------------------------------------------- */
/* Reading */

/* idtap_progress_fn: called on the reading thread after every chunk of every file: `file` is
 * its name ("EF.SOD", "DG2"; borrowed for the call), `done` the bytes read, `total` its length
 * (0 while unknown). It must return normally (no longjmp, no exception). */
typedef void (*idtap_progress_fn)(void* user_data, const char* file, size_t done, size_t total);

/* idtap_read_options: what idtap_read does. Initialise with idtap_read_options_init, then set
 * the fields wanted; the pointers are borrowed for the call only. */
typedef struct idtap_read_options {
  size_t struct_size;              /* sizeof(idtap_read_options): set by idtap_read_options_init */
  const char* can;                 /* the card access number (PACE), or NULL */
  const char* mrz;                 /* a whole MRZ (TD1, TD2, TD3; line breaks allowed), or NULL */
  const char* document_number;     /* or the MRZ key's three fields: number, */
  const char* date_of_birth;       /* YYMMDD, */
  const char* date_of_expiry;      /* YYMMDD */
  const char* const* trust_paths;  /* CSCA certificates, master lists and CRLs (files or dirs) */
  size_t trust_path_count;
  const int* data_groups;          /* the data groups to read (1..16); NULL: every one EF.SOD lists but DG3, DG4 */
  size_t data_group_count;
  const uint8_t* aa_challenge;     /* 8 bytes for Active Authentication (a server's); NULL: random */
  size_t aa_challenge_len;
  int chip_authentication;         /* 1 (default): Chip Authentication / PACE-CAM; 0: skip */
  int active_authentication;       /* 1 (default): Active Authentication; 0: skip */
  int reconnect_timeout_ms;        /* how long a card that left mid-read is waited for (default 20000) */
  idtap_progress_fn progress;      /* optional */
  void* progress_user_data;
} idtap_read_options;

/* idtap_read_options_init: the defaults (no key, no trust path, every data group, CA and AA on,
 * reconnect_timeout_ms 20000) and struct_size. NULL does nothing. */
IDTAP_API void idtap_read_options_init(idtap_read_options* options);

typedef struct idtap_result idtap_result;

/* idtap_read: one whole read session of the card of `reader`: access control (PACE with the CAN
 * or MRZ, else BAC with the MRZ), Chip Authentication, the files, Passive and Active
 * Authentication, one verdict. A card that is not genuine is NOT an error: the result says so
 * (idtap_result_genuine, idtap_result_reason). The result is the caller's (idtap_result_free).
 * IDTAP_E_INVALID_ARGUMENT (no CAN or MRZ, a malformed CAN, MRZ or challenge, a struct_size
 * this library does not know), IDTAP_E_IO / IDTAP_E_MALFORMED (a trust path),
 * IDTAP_E_AUTH_FAILED (wrong CAN or MRZ: never retried, the chip counts them),
 * IDTAP_E_PASSWORD_BLOCKED, IDTAP_E_PASSWORD_SUSPENDED, IDTAP_E_CARD_REMOVED (gone for longer
 * than reconnect_timeout_ms), IDTAP_E_DEVICE_GONE (reader unplugged), IDTAP_E_CANCELLED,
 * IDTAP_E_NOT_SUPPORTED, IDTAP_E_CARD_STATUS (idtap_context_sw), IDTAP_E_TRANSPORT. After
 * any error but the argument and trust-path ones, free the reader and idtap_open the card
 * again (a cancelled PC/SC connection stays cancelled). */
IDTAP_API idtap_status idtap_read(idtap_reader* reader, const idtap_read_options* options, idtap_result** out);

/* idtap_result_free: wipes the result's bytes and text and frees it. NULL does nothing. */
IDTAP_API void idtap_result_free(idtap_result* result);

/* idtap_result_genuine: 1 when Passive Authentication is valid and the chip proved the key its
 * signed data names; 0 otherwise (or result NULL). */
IDTAP_API int idtap_result_genuine(const idtap_result* result);

/* idtap_result_reason_count / idtap_result_reason: why the card is not genuine, one line per
 * check that did not pass and the verdict's own ("passive: invalid: ...", "genuine: ..."), as
 * the JSON's "verification.reasons"; 0 lines when genuine. A line is borrowed; NULL out of
 * range. */
IDTAP_API size_t idtap_result_reason_count(const idtap_result* result);
IDTAP_API const char* idtap_result_reason(const idtap_result* result, size_t index);

/* idtap_result_field: a text field by its key in the JSON's "document" and "verification"
 * objects ("document_number", "primary_identifier", "secondary_identifier", "date_of_birth",
 * "full_name", "personal_number" (masked: "900101-1******"), "address", "passive", "chip",
 * "active", "access", "genuine_reason", ...); UTF-8, borrowed; NULL when the card gave no such
 * field or the name is unknown. */
IDTAP_API const char* idtap_result_field(const idtap_result* result, const char* name);

/* idtap_result_reveal_personal_number: the resident registration number whole, copied into the
 * caller's `buf` of *len bytes (NUL-terminated); *len is set to the bytes needed including the
 * NUL. This is the explicit call that reveals it: the caller wipes `buf` when done.
 * IDTAP_E_NOT_FOUND (the card has none), IDTAP_E_BUFFER_TOO_SMALL (nothing copied),
 * IDTAP_E_INVALID_ARGUMENT (len NULL, or buf NULL with *len > 0). */
IDTAP_API idtap_status idtap_result_reveal_personal_number(const idtap_result* result, char* buf, size_t* len);

/* idtap_result_face: the face image of DG2 as stored on the chip (JPEG or JPEG 2000) in *data,
 * *len bytes, borrowed; *format (may be NULL) gets "jpeg", "jpeg2000" or "jpeg2000-codestream".
 * Only a DG2 that matched its EF.SOD hash is decoded. IDTAP_E_NOT_FOUND: no face (DG2 not read,
 * not signed, or holding none). */
IDTAP_API idtap_status idtap_result_face(const idtap_result* result, const uint8_t** data, size_t* len,
                                         const char** format);

/* idtap_result_face_png: the face converted to PNG (decoded on the first call, kept with the
 * result), borrowed. IDTAP_E_NOT_FOUND (no face), IDTAP_E_MALFORMED / IDTAP_E_NOT_SUPPORTED
 * (the image does not decode). */
IDTAP_API idtap_status idtap_result_face_png(idtap_result* result, const uint8_t** data, size_t* len);

/* idtap_result_file_count / idtap_result_file_name: the files read, by name ("EF.CardAccess",
 * "EF.COM", "EF.SOD", "EF.CardSecurity", "DG1", "DG2", ...); a name is borrowed, NULL out of
 * range. */
IDTAP_API size_t idtap_result_file_count(const idtap_result* result);
IDTAP_API const char* idtap_result_file_name(const idtap_result* result, size_t index);

/* idtap_result_file: the raw bytes of file `name` as read from the chip (never altered),
 * borrowed. IDTAP_E_NOT_FOUND when it was not read. */
IDTAP_API idtap_status idtap_result_file(const idtap_result* result, const char* name, const uint8_t** data,
                                         size_t* len);

/* idtap_result_json: the whole result as one JSON object, the schema of `idtap read --json`
 * (README), resident number masked; borrowed. NULL only when result is NULL. */
IDTAP_API const char* idtap_result_json(idtap_result* result);

/* ---------------------------------------------------------------------------------------- */
/* Issuing: the mobile ID for the holder's phone, from a card read as genuine. The same
 * issuance pipeline as `idtap provision` and `idtap provision offer` (the rules: genuine card,
 * portrait, resident number agreeing with the birth date, 17 or older, card valid and not
 * reported lost, one phone per holder), over the same ledger (`idtap ledger init`).
 *
 * Thread-safety: an idtap_issuer and what it makes (offers, credentials) are used by one thread
 * at a time, as its context; two issuers (each with its own context) may be used concurrently,
 * over the same ledger too (SQLite serialises them). */

typedef struct idtap_issuer idtap_issuer;

/* idtap_issuer_options: what idtap_issuer_open opens. Initialise with
 * idtap_issuer_options_init; the strings are borrowed for the call only. */
typedef struct idtap_issuer_options {
  size_t struct_size;                     /* sizeof(idtap_issuer_options): set by _init */
  const char* ledger;                     /* the ledger database (`idtap ledger init`); required */
  const char* issuer_key;                 /* the issuer's P-256 private key (PEM), or NULL: a desk
                                           * that only makes offers (`idtap serve` issues) */
  const char* issuer_cert;                /* its certificate chain (PEM, leaf first); with issuer_key */
  const char* issuer_key_passphrase_file; /* when the key is encrypted, or NULL */
  const char* mapping;                    /* a doc type mapping file, or NULL: kr.go.mois.residentid.1 */
} idtap_issuer_options;

/* idtap_issuer_options_init: zeroes `options` and sets struct_size. NULL does nothing. */
IDTAP_API void idtap_issuer_options_init(idtap_issuer_options* options);

/* idtap_issuer_open: the ledger (and the issuer key, when given) in *out, the caller's
 * (idtap_issuer_free); failures are recorded on `ctx`, which must outlive the issuer.
 * IDTAP_E_INVALID_ARGUMENT (no ledger, a key without its certificate, an unknown struct_size),
 * IDTAP_E_NOT_FOUND / IDTAP_E_IO (a file cannot be read; no ledger made by `idtap ledger init`
 * at that path), IDTAP_E_MALFORMED (a key, chain, mapping or ledger file that does not parse),
 * IDTAP_E_NOT_SUPPORTED (a ledger of another format version), IDTAP_E_AUTH_FAILED (a wrong
 * passphrase), IDTAP_E_REFUSED (an issuer certificate that would not cover a credential issued
 * now). */
IDTAP_API idtap_status idtap_issuer_open(idtap_context* ctx, const idtap_issuer_options* options, idtap_issuer** out);

/* idtap_ledger_options: how idtap_issuer_open_ledger opens the ledger. Initialise with
 * idtap_ledger_options_init; the strings are borrowed for the call only. */
typedef struct idtap_ledger_options {
  size_t struct_size;           /* sizeof(idtap_ledger_options): set by _init */
  const char* key_file;         /* the ledger key file, or NULL: "<ledger>.key" beside a SQLite
                                 * file; required for a PostgreSQL ledger (a postgresql:// URI
                                 * or a libpq keyword string, multi-host forms included) */
  const char* site;             /* the center or embassy acting (1..64 of A-Z a-z 0-9 . _ -),
                                 * stored on what this issuer records; NULL or "": none */
  int32_t busy_timeout_ms;      /* wait for another writer this long; 0: the default, 30000 */
  int32_t reconnect_timeout_ms; /* PostgreSQL: after a lost connection, try to reconnect this
                                 * long; 0: the default, 30000 */
} idtap_ledger_options;

/* idtap_ledger_options_init: zeroes `options` and sets struct_size. NULL does nothing. */
IDTAP_API void idtap_ledger_options_init(idtap_ledger_options* options);

/* idtap_issuer_open_ledger: idtap_issuer_open with the ledger opened under `ledger_options`
 * (NULL: as idtap_issuer_open). The same errors, and IDTAP_E_INVALID_ARGUMENT for an unknown
 * struct_size, a bad site, a negative timeout or a PostgreSQL ledger without key_file;
 * IDTAP_E_REFUSED when the key does not match the ledger's key check value. */
IDTAP_API idtap_status idtap_issuer_open_ledger(idtap_context* ctx, const idtap_issuer_options* options,
                                                const idtap_ledger_options* ledger_options, idtap_issuer** out);

/* idtap_issuer_free: closes the ledger, wipes the issuer key and frees the handle. Offers and
 * credentials made from it must be freed first. NULL does nothing. */
IDTAP_API void idtap_issuer_free(idtap_issuer* issuer);

/* idtap_issuer_challenge: a fresh one-time challenge of the ledger, valid `ttl_seconds`
 * (1..86400), for the phone's proof of possession: copied into `buf` of *len bytes, *len set to
 * its length (32). IDTAP_E_BUFFER_TOO_SMALL (nothing copied), IDTAP_E_INVALID_ARGUMENT. */
IDTAP_API idtap_status idtap_issuer_challenge(idtap_issuer* issuer, int ttl_seconds, uint8_t* buf, size_t* len);

typedef struct idtap_offer idtap_offer;

/* idtap_offer_create: `idtap provision offer`: the rules checked now for the holder of `read`
 * (a result of idtap_read), then a pending offer stored in the ledger (sealed, redeemable once
 * from `idtap serve` within `ttl_seconds`, 1..86400; 0: ten minutes). With `issuer_url` (the
 * issuer's public https URL; NULL: none), the offer also carries the openid-credential-offer://
 * URI and its QR code. The offer is the caller's (idtap_offer_free).
 * IDTAP_E_VERIFICATION_FAILED (the card did not read as genuine: idtap_context_error says why),
 * IDTAP_E_REFUSED (a rule: under 17, card expired or lost, ...; the detail names it),
 * IDTAP_E_INVALID_ARGUMENT (a bad issuer_url or ttl). Nothing is stored on any error. */
IDTAP_API idtap_status idtap_offer_create(idtap_issuer* issuer, const idtap_result* read, const char* issuer_url,
                                          int ttl_seconds, idtap_offer** out);

/* idtap_offer_free: wipes the pre-authorized code and the tx_code and frees the offer. */
IDTAP_API void idtap_offer_free(idtap_offer* offer);

/* idtap_offer_id / _pre_authorized_code / _tx_code / _uri: the offer's handle in the ledger
 * (32 hex digits), the code the wallet redeems (43 base64url characters), the 6-digit tx_code
 * the clerk tells the holder (shown once: the ledger keeps only its hash) and the offer URI
 * (NULL without issuer_url); borrowed until idtap_offer_free. NULL when offer is NULL. */
IDTAP_API const char* idtap_offer_id(const idtap_offer* offer);
IDTAP_API const char* idtap_offer_pre_authorized_code(const idtap_offer* offer);
IDTAP_API const char* idtap_offer_tx_code(const idtap_offer* offer);
IDTAP_API const char* idtap_offer_uri(const idtap_offer* offer);

/* idtap_offer_expires_at: when the offer stops being redeemable (Unix seconds); 0 for NULL. */
IDTAP_API int64_t idtap_offer_expires_at(const idtap_offer* offer);

/* idtap_offer_qr_png: the offer URI's QR code as a PNG image, borrowed. IDTAP_E_NOT_FOUND when
 * the offer has no URI (no issuer_url). */
IDTAP_API idtap_status idtap_offer_qr_png(const idtap_offer* offer, const uint8_t** data, size_t* len);

/* idtap_device_issue: what idtap_issue_to_device issues to. Initialise with
 * idtap_device_issue_init; the pointers are borrowed for the call only. */
typedef struct idtap_device_issue {
  size_t struct_size;          /* sizeof(idtap_device_issue): set by _init */
  const uint8_t* device_key;   /* the phone's P-256 public key: PEM (BEGIN PUBLIC KEY) or COSE_Key */
  size_t device_key_len;
  const uint8_t* challenge;    /* a challenge of idtap_issuer_challenge */
  size_t challenge_len;
  const uint8_t* signature;    /* the phone's ECDSA signature over the possession message (README) */
  size_t signature_len;        /* (DER, or raw r||s of 64 bytes) */
  const char* out_path;        /* where the credential goes: a new file (mode 0600), never replaced */
  /* Added after the first release (read only when struct_size covers it; a caller built
   * against the older header passes the older size and gets one made up). NULL: the ledger
   * makes one (idtap_credential_idempotency_id). Otherwise 1..128 of A-Z a-z 0-9 . _ : - naming
   * this issuance across retries: a call cut off (a lost connection, a crash) is made again with
   * the same id and the same request and gets the credential the first call recorded (the same
   * id and bytes; out_path written if the first call did not get that far; nothing new recorded)
   * or, if the first did not commit, the one issuance. The same id for another holder or phone
   * is IDTAP_E_REFUSED; after a day (the bytes are no longer kept) IDTAP_E_STATE. */
  const char* idempotency_id;
} idtap_device_issue;

/* idtap_device_issue_init: zeroes `request` and sets struct_size. NULL does nothing. */
IDTAP_API void idtap_device_issue_init(idtap_device_issue* request);

typedef struct idtap_credential idtap_credential;

/* idtap_issue_to_device: `idtap provision`: the rules for the holder of `read` (a result of
 * idtap_read), the phone's proof of possession of `device_key` (the challenge used up), the
 * ISO 18013-5 mdoc signed by the issuer, recorded in the ledger (revoking the holder's previous
 * phone) and written to out_path. The credential is the caller's (idtap_credential_free).
 * IDTAP_E_VERIFICATION_FAILED (the card did not read as genuine), IDTAP_E_REFUSED (a rule; a
 * signature that does not verify; an unknown, expired or used challenge), IDTAP_E_INVALID_ARGUMENT (a missing field, a
 * device key that does not parse, out_path existing or in no directory, an offer-only issuer, a
 * malformed idempotency_id), IDTAP_E_STATE (an idempotency_id older than a day), IDTAP_E_IO.
 * Nothing is recorded or written on any error. A retry with the idempotency_id of a recorded
 * issuance returns that credential (idtap_credential_replayed). */
IDTAP_API idtap_status idtap_issue_to_device(idtap_issuer* issuer, const idtap_result* read,
                                             const idtap_device_issue* request, idtap_credential** out);

/* idtap_credential_free: wipes the credential's bytes and frees it. NULL does nothing. */
IDTAP_API void idtap_credential_free(idtap_credential* credential);

/* idtap_credential_id / _file: the ledger's id of the credential and the file it was written to;
 * borrowed. idtap_credential_bytes: the IssuerSigned CBOR (what the file holds), borrowed.
 * idtap_credential_valid_until: Unix seconds. idtap_credential_revoked_count / _revoked: the
 * ids of the holder's previous credentials this issue revoked. */
IDTAP_API const char* idtap_credential_id(const idtap_credential* credential);
IDTAP_API const char* idtap_credential_file(const idtap_credential* credential);
IDTAP_API idtap_status idtap_credential_bytes(const idtap_credential* credential, const uint8_t** data, size_t* len);
IDTAP_API int64_t idtap_credential_valid_until(const idtap_credential* credential);
IDTAP_API size_t idtap_credential_revoked_count(const idtap_credential* credential);
IDTAP_API const char* idtap_credential_revoked(const idtap_credential* credential, size_t index);

/* idtap_credential_idempotency_id: the issuance's idempotency id (the request's, or the one the
 * ledger made up): the id to retry with; borrowed. idtap_credential_replayed: 1 when this is what
 * an earlier call with the same id issued (nothing was issued or revoked by this call), 0
 * otherwise and for NULL. */
IDTAP_API const char* idtap_credential_idempotency_id(const idtap_credential* credential);
IDTAP_API int idtap_credential_replayed(const idtap_credential* credential);

#ifdef __cplusplus
}
#endif

#endif /* IDTAP_IDTAP_H */
