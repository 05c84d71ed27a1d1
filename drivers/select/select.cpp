#include "idtap/select/select.h"

#include "idtap/apdu/atr.h"
#include "idtap/describe/atr.h"

#include <fmt/format.h>

#include <cctype>
#include <cstdio>

#include "idtap/pcsc/context.h"
#include "idtap/select/drivers.h"

namespace idtap::select {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::shared_ptr<pcsc::WinscardApi> api_or_real(const std::shared_ptr<pcsc::WinscardApi>& api) {
  return api ? api : pcsc::real_winscard_api();
}

std::string describe_caps(const pcsc::PcscTransport& t) {
  auto caps = t.capabilities();
  std::string protocol = t.protocol() == SCARD_PROTOCOL_T0 ? "T=0" : "T=1";
  if (caps.extended_length)
    return fmt::format("{}, extended APDUs (Nc <= {}, Ne <= {})", protocol, caps.max_command_data,
                       caps.max_response_data);
  return protocol + ", short APDUs";
}

std::string list_names(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) out += fmt::format("{}  {}", i ? "\n" : "", names[i]);
  return out;
}

// The readers of `context` and the index of the one `spec` names. kNoReader when none matches,
// kInvalidArgument when several do.
Result<std::string> resolve_pcsc(pcsc::Context& context, const ReaderSpec& spec) {
  IDTAP_ASSIGN_OR_RETURN(auto names, context.list_readers());
  if (names.empty()) return make_error(ErrorCode::kNoReader, "pcscd sees no reader: plug one in");
  std::vector<std::string> listing;
  for (size_t i = 0; i < names.size(); ++i) listing.push_back(fmt::format("pcsc:#{} {}", i, names[i]));
  if (spec.kind == ReaderSpec::Kind::kPcscIndex) {
    if (spec.index >= names.size())
      return make_error(ErrorCode::kNoReader, fmt::format("there is no reader pcsc:#{}; the readers are:\n{}",
                                                          spec.index, list_names(listing)));
    return names[spec.index];
  }
  std::string wanted = lower(spec.value);
  std::vector<std::string> matches;
  for (const auto& n : names) {
    if (lower(n) == wanted) return n;  // an exact name wins over substrings
    if (lower(n).find(wanted) != std::string::npos) matches.push_back(n);
  }
  if (matches.size() == 1) return matches.front();
  if (matches.empty())
    return make_error(ErrorCode::kNoReader,
                      fmt::format("no reader name contains '{}'; the readers are:\n{}", spec.value, list_names(listing)));
  std::vector<std::string> which;
  for (size_t i = 0; i < names.size(); ++i)
    for (const auto& m : matches)
      if (m == names[i]) which.push_back(fmt::format("pcsc:#{} {}", i, names[i]));
  return make_error(ErrorCode::kInvalidArgument,
                    fmt::format("'{}' matches several readers; choose one with --reader pcsc:#N:\n{}", spec.value,
                                list_names(which)));
}

Result<OpenedReader> open_pcsc(const ReaderSpec& spec, const OpenOptions& options) {
  IDTAP_ASSIGN_OR_RETURN(auto context, pcsc::Context::establish(api_or_real(options.pcsc_api)));
  if (options.cancel) {
    std::weak_ptr<pcsc::Context> weak = context;
    options.cancel->set([weak] {
      if (auto c = weak.lock()) c->cancel();
    });
  }
  IDTAP_ASSIGN_OR_RETURN(std::string name, resolve_pcsc(*context, spec));
  IDTAP_ASSIGN_OR_RETURN(auto state, context->state(name));
  if (!state.card_present()) {
    if (options.wait_for_card.count() <= 0) return make_error(ErrorCode::kNoCard, "no card in '" + name + "'");
    IDTAP_TRY(context->wait_for_card(name, options.wait_for_card));
  }
  IDTAP_ASSIGN_OR_RETURN(auto transport, pcsc::PcscTransport::connect(context, name, options.pcsc));
  OpenedReader out;
  out.pcsc = transport.get();
  out.description = fmt::format("pcsc:{} ({})", name, describe_caps(*transport));
  out.transport = std::move(transport);
  return out;
}

// No --reader: the one reader of any driver that holds a card.
Result<OpenedReader> open_auto(const OpenOptions& options) {
  Inventory inventory = list_readers(ListOptions{.pcsc_api = options.pcsc_api});
  std::vector<const ReaderInfo*> with_card;
  for (const auto& r : inventory.readers)
    if (r.card_present) with_card.push_back(&r);
  if (with_card.size() == 1) {
    OpenOptions exact = options;
    exact.reader = with_card.front()->spec;
    auto spec = parse_reader_spec(*exact.reader);
    if (!spec.ok()) return spec.error();
    if (spec->kind == ReaderSpec::Kind::kNfc) return open_nfc(spec->value, exact);
    return open_pcsc(*spec, exact);
  }
  if (with_card.size() > 1) {
    std::string list;
    for (const auto* r : with_card) list += fmt::format("\n  --reader '{}'", r->spec);
    return make_error(ErrorCode::kInvalidArgument,
                      "several readers hold a card; choose one with --reader:" + list);
  }
  if (inventory.readers.empty()) {
    // Say why there is nothing: pcscd down is the most useful thing to tell.
    for (const auto& p : inventory.problems)
      if (p.code == ErrorCode::kServiceUnavailable) return p;
    return make_error(ErrorCode::kNoReader, "no reader found: plug one in (see `idtap readers`)");
  }
  if (inventory.readers.size() == 1 && options.wait_for_card.count() > 0 && inventory.readers[0].driver == "pcsc") {
    ReaderSpec only{.kind = ReaderSpec::Kind::kPcscName, .value = inventory.readers[0].name};
    return open_pcsc(only, options);
  }
  std::string list;
  for (const auto& r : inventory.readers) list += fmt::format("\n  {} ({})", r.spec, r.state);
  return make_error(ErrorCode::kNoCard, "no reader holds a card:" + list);
}

}  // namespace

Result<ReaderSpec> parse_reader_spec(std::string_view text) {
  ReaderSpec spec;
  if (text.empty()) return spec;
  auto colon = text.find(':');
  std::string scheme = colon == std::string_view::npos ? "" : lower(text.substr(0, colon));
  std::string_view rest = colon == std::string_view::npos ? text : text.substr(colon + 1);
  bool known = scheme == "pcsc" || scheme == "nfc" || scheme == "sim";
  if (!known) {
    // A scheme-looking word we do not know is a typo, unless it is plainly part of a reader name
    // (PC/SC names hold spaces, brackets and digits before any colon).
    bool looks_like_scheme = colon != std::string_view::npos && colon > 0 &&
                             scheme.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_-") == std::string::npos;
    if (looks_like_scheme)
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("unknown reader kind '{}:' (use pcsc:NAME, pcsc:#N, nfc:CONNSTRING or sim:DIR)",
                                    text.substr(0, colon)));
    spec.kind = ReaderSpec::Kind::kPcscName;
    spec.value = std::string(text);
    return spec;
  }
  if (scheme == "nfc") {
    spec.kind = ReaderSpec::Kind::kNfc;
    spec.value = std::string(rest);
    return spec;
  }
  if (rest.empty())
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("--reader {}: needs {} after the colon", text, scheme == "sim" ? "a directory" : "a reader name or #N"));
  if (scheme == "sim") {
    spec.kind = ReaderSpec::Kind::kSim;
    spec.value = std::string(rest);
    return spec;
  }
  if (rest[0] == '#') {
    std::string_view digits = rest.substr(1);
    if (digits.empty() || digits.size() > 4 || digits.find_first_not_of("0123456789") != std::string_view::npos)
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("--reader {}: expected pcsc:#N with N a reader index (see `idtap readers`)", text));
    spec.kind = ReaderSpec::Kind::kPcscIndex;
    spec.index = static_cast<size_t>(std::stoul(std::string(digits)));
    return spec;
  }
  spec.kind = ReaderSpec::Kind::kPcscName;
  spec.value = std::string(rest);
  return spec;
}

void CancelSlot::set(std::function<void()> cancel_fn) {
  std::lock_guard<std::mutex> lock(mutex_);
  cancel_fn_ = std::move(cancel_fn);
  if (requested_ && cancel_fn_) cancel_fn_();
}

void CancelSlot::cancel() {
  std::lock_guard<std::mutex> lock(mutex_);
  requested_ = true;
  if (cancel_fn_) cancel_fn_();
}

bool CancelSlot::requested() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return requested_;
}

Result<OpenedReader> open_reader(const OpenOptions& options) {
  if (options.cancel && options.cancel->requested()) return make_error(ErrorCode::kCancelled, "opening the reader: cancelled");
  IDTAP_ASSIGN_OR_RETURN(ReaderSpec spec, parse_reader_spec(options.reader.value_or("")));
  Result<OpenedReader> opened = make_error(ErrorCode::kInternal, "unreachable");
  switch (spec.kind) {
    case ReaderSpec::Kind::kAuto: opened = open_auto(options); break;
    case ReaderSpec::Kind::kPcscName:
    case ReaderSpec::Kind::kPcscIndex: opened = open_pcsc(spec, options); break;
    case ReaderSpec::Kind::kNfc: opened = open_nfc(spec.value, options); break;
    case ReaderSpec::Kind::kSim: opened = open_sim(spec.value, options); break;
  }
  if (!opened.ok() || options.verbosity <= 0) return opened;
  // Wrap in the tracer; the PC/SC pointer still points into the (now inner) driver transport.
  apdu::TraceSink sink = options.trace_sink;
  if (!sink) sink = [](const apdu::TraceRecord& r) { std::fputs(apdu::format_trace_record(r).c_str(), stderr); };
  auto detail = options.verbosity >= 2 ? apdu::TraceDetail::kFull : apdu::TraceDetail::kNormal;
  opened->transport = std::make_unique<apdu::TracingTransport>(std::move(opened->transport), std::move(sink), detail);
  return opened;
}

std::string atr_one_line(ByteView atr) {
  if (atr.empty()) return "";
  auto decoded = apdu::parse_atr(atr);
  return decoded.ok() ? describe::atr_summary(*decoded) : "malformed ATR: " + decoded.error().context;
}

Inventory list_readers(const ListOptions& options) {
  Inventory inventory;
  auto context = pcsc::Context::establish(api_or_real(options.pcsc_api));
  if (!context.ok()) {
    inventory.problems.push_back(context.error().with_context("pcsc"));
  } else {
    auto names = (*context)->list_readers();
    if (!names.ok()) {
      inventory.problems.push_back(names.error().with_context("pcsc"));
    } else {
      auto states = (*context)->states(*names);
      if (!states.ok()) {
        inventory.problems.push_back(states.error().with_context("pcsc"));
      } else {
        for (size_t i = 0; i < states->size(); ++i) {
          const auto& st = (*states)[i];
          if (st.raw_state & SCARD_STATE_UNKNOWN) continue;  // unplugged while we looked
          ReaderInfo info;
          info.spec = "pcsc:" + st.name;
          info.driver = "pcsc";
          info.index = i;
          info.name = st.name;
          info.state = st.summary();
          info.card_present = st.card_present() && !st.mute();
          info.in_use = st.in_use() || st.exclusive();
          info.atr = st.atr;
          inventory.readers.push_back(std::move(info));
        }
      }
    }
  }
  if (options.nfc) list_nfc_readers(inventory);
  return inventory;
}

}  // namespace idtap::select
