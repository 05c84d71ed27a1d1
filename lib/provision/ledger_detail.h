// lib/provision/ledger_detail.h (internal): the detail of an event as key=value fields, so that
// the events carry every column the rules and the publications read and `ledger verify` can
// rebuild the tables from them (ledger_rebuild.cpp). Not installed; not for other layers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "idtap/base/bytes.h"
#include "idtap/base/result.h"

namespace idtap::provision {

// kDetailVersion: the first field ("v=3") of a detail written in this form; an event written
// before it (schema version 2: "device T evidence E") has none and carries less.
constexpr std::string_view kDetailVersion = "3";

// EventDetail: "k=v;k=v;..." with '%', ';' and '=' in keys and values written as %XX. The
// order of the fields is the writer's (the detail is covered by the event's link as text).
class EventDetail {
 public:
  // EventDetail::versioned: a detail that starts with v=kDetailVersion.
  static EventDetail versioned();
  EventDetail& add(std::string_view key, std::string_view value);
  EventDetail& add(std::string_view key, int64_t value);
  EventDetail& add_hex(std::string_view key, ByteView value);
  // EventDetail::str: the text stored in events.detail.
  const std::string& str() const { return text_; }

  // EventDetail::parse: the fields of `detail`; a detail that is not in this form (an older
  // event, a reason text) has none (fields().empty()), never an error.
  static EventDetail parse(std::string_view detail);
  const std::vector<std::pair<std::string, std::string>>& fields() const { return fields_; }
  // EventDetail::has_version: the detail is written in this form (its first field is v=3).
  bool has_version() const;
  // EventDetail::text / number / hex: the field `key`; nullopt when missing, or (number, hex)
  // when it does not parse.
  std::optional<std::string> text(std::string_view key) const;
  std::optional<int64_t> number(std::string_view key) const;
  std::optional<Bytes> hex(std::string_view key) const;

 private:
  std::string text_;
  std::vector<std::pair<std::string, std::string>> fields_;
};

// IssuedDetail: what an 'issued' event records besides its row's columns (seq, at, kind,
// credential id, card id, site): every other column of the credential and the card's identity.
struct IssuedDetail {
  int64_t holder_id = 0;
  std::string card;  // "ISSUING_STATE DOCUMENT_NUMBER", normalized
  int64_t status_idx = 0;
  std::string device_thumbprint;
  std::string doc_type;
  int64_t valid_from = 0;
  int64_t valid_until = 0;
  ByteView file_sha256;
  std::string evidence;
  std::string file_path;
  ByteView challenge;  // empty: none consumed (possession checked by the caller)
  std::string idempotency_id;  // the issuances row's id ("idem"); empty: none (a bulk load)
};

// issued_detail: the one writer of an 'issued' event's detail (Ledger::issue and the bulk load
// of ledger_bulk.h): ledger_rebuild.cpp reads it back.
EventDetail issued_detail(const IssuedDetail& d);
// holder_detail: the one writer of a 'holder' event's detail (id, key, created_at).
EventDetail holder_detail(int64_t holder_id, ByteView holder_key, int64_t created_at);

}  // namespace idtap::provision
