#include "idtap/reader/file_reader.h"

#include <algorithm>

#include "idtap/apdu/commands.h"
#include "idtap/apdu/status_words.h"
#include "idtap/apdu/tlv.h"
#include "idtap/lds/files.h"

namespace idtap::reader {
namespace {

Error malformed(const FileRef& f, const std::string& why) { return make_error(ErrorCode::kMalformed, f.name + ": " + why); }

}  // namespace

Result<size_t> tlv_total_length(ByteView head) {
  if (!head.empty() && (head[0] == 0x00 || head[0] == 0xFF))
    return make_error(ErrorCode::kMalformed, "file does not start with a BER-TLV tag");
  // BER leniency: some EF.SOD use an indefinite outer length (read on to the card's end).
  IDTAP_ASSIGN_OR_RETURN(std::optional<lds::FileLength> length, lds::peek_file_length(head, apdu::TlvMode::kBerLenient));
  if (!length) return size_t{0};
  return length->total ? *length->total : kIndefiniteLength;
}

bool sfi_read_refused(uint16_t sw) {
  return sw == apdu::sw::kFileNotFound || sw == apdu::sw::kIncorrectP1P2 || sw == apdu::sw::kInsNotSupported ||
         sw == apdu::sw::kCommandNotAllowedNoEf;
}

FileReader::FileReader(apdu::Transport& transport, FileReaderOptions options)
    : transport_(&transport), options_(std::move(options)), use_sfi_(options_.use_sfi) {
  chunk_ = std::min(kChunkLadder[0], transport.capabilities().max_response_data);
  if (chunk_ == 0) chunk_ = 1;
}

bool FileReader::lower_chunk() {
  for (size_t size : kChunkLadder) {
    if (size < chunk_) {
      chunk_ = size;
      return true;
    }
  }
  return false;
}

Result<apdu::ResponseApdu> FileReader::read_chunk(const FileRef& file, size_t offset, size_t ne, bool selected) {
  // ICAO 9303-10 §3.5.2 / ISO 7816-4 §11.3.3: READ BINARY with P1 = 80|SFI selects and reads at
  // once, for offsets up to 255.
  if (!selected && use_sfi_ && file.sfi != 0 && offset <= 0xFF) {
    IDTAP_ASSIGN_OR_RETURN(auto cmd, apdu::read_binary_sfi(file.sfi, static_cast<uint8_t>(offset), ne));
    return transport_->transmit(cmd);
  }
  if (!selected) {
    IDTAP_ASSIGN_OR_RETURN(auto sel, transport_->transmit(apdu::select_by_fid(file.fid)));
    if (!sel.ok()) return sel;  // the caller turns the SW into an error
  }
  if (offset <= 0x7FFF) {
    IDTAP_ASSIGN_OR_RETURN(auto cmd, apdu::read_binary(static_cast<uint16_t>(offset), ne));
    return transport_->transmit(cmd);
  }
  // Offsets beyond 32767: odd INS B1 with the offset in DO 54; the data comes back in DO 53
  // (ISO 7816-4 §11.3.3), whose header takes up to 4 of the Ne bytes.
  IDTAP_ASSIGN_OR_RETURN(auto cmd, apdu::read_binary_odd(static_cast<uint32_t>(offset), std::min(ne + 4, std::max(chunk_, ne))));
  IDTAP_ASSIGN_OR_RETURN(auto r, transport_->transmit(cmd));
  if ((r.sw == apdu::sw::kOk || r.sw == apdu::sw::kEndOfFileReached) && !r.data.empty()) {
    apdu::TlvReader tlv(r.data);
    IDTAP_ASSIGN_OR_RETURN(apdu::Tlv d, tlv.read(0x53));
    IDTAP_TRY(tlv.expect_end());
    r.data = to_bytes(d.value);
  }
  return r;
}

Result<Bytes> FileReader::read_file(const FileRef& file) {
  Bytes data;
  size_t total = 0;  // 0: not known yet
  bool selected = false;
  size_t recoveries = 0;
  // by_fid_after_refusal: the SFI form was refused for this file and it is being read by FID;
  // sfi_cost_channel: that refusal came in plain under secure messaging (the channel died).
  bool by_fid_after_refusal = false;
  bool sfi_cost_channel = false;
  for (;;) {
    if (total != 0 && total != kIndefiniteLength && data.size() >= total) break;
    if (options_.cancel && options_.cancel->load()) return make_error(ErrorCode::kCancelled, file.name + ": read cancelled");
    const size_t offset = data.size();
    size_t ne = chunk_;
    if (total != 0 && total != kIndefiniteLength) ne = std::min(ne, total - offset);
    const bool by_sfi = !selected && use_sfi_ && file.sfi != 0 && offset <= 0xFF;
    auto r = read_chunk(file, offset, ne, selected);
    if (!r.ok()) {
      const ErrorCode code = r.error().code;
      // The card left the field, or another program reset it: a recovered session, same offset.
      if ((code == ErrorCode::kCardRemoved || code == ErrorCode::kCardReset) && options_.recover) {
        if (++recoveries > options_.max_recoveries)
          return r.error().with_context(file.name + ": card kept leaving the field");
        IDTAP_ASSIGN_OR_RETURN(apdu::Transport * next, options_.recover());
        transport_ = next;
        selected = false;  // a fresh card session: nothing selected
        continue;
      }
      // A reader that cannot carry this size fails the exchange itself; a card under secure
      // messaging refuses it in plain (and so ends secure messaging): step down and retry, on a
      // fresh card session when the channel died.
      const uint16_t plain_sw = code == ErrorCode::kSecureMessaging ? r.error().sw : 0;
      // A card that does not read by SFI may answer the SFI form in plain under secure
      // messaging, which ends it (ICAO 9303-11 §9.8.1): a fresh card session, then SELECT by FID
      // (ICAO 9303-10 §3.5.2: the FID form every eMRTD supports), for this file and the rest.
      if (by_sfi && sfi_read_refused(plain_sw) && options_.restart) {
        use_sfi_ = false;
        by_fid_after_refusal = sfi_cost_channel = true;
        IDTAP_ASSIGN_OR_RETURN(apdu::Transport * next, options_.restart());
        transport_ = next;
        selected = false;
        continue;
      }
      const bool size_refused = code == ErrorCode::kTransport ||
                                (plain_sw == apdu::sw::kWrongLength || (plain_sw == apdu::sw::kWrongP1P2 && offset == 0));
      if (size_refused && (code == ErrorCode::kTransport || options_.restart) && lower_chunk()) {
        if (options_.restart) {
          IDTAP_ASSIGN_OR_RETURN(apdu::Transport * next, options_.restart());
          transport_ = next;
          selected = false;  // a fresh card session: nothing selected
        }
        continue;
      }
      return r.error().with_context(file.name);
    }
    const uint16_t sw = r->sw;
    if (by_sfi && sfi_read_refused(sw)) {
      // The SFI form refused with the channel intact (in plain before access control, or a
      // protected status word): ask again by FID; the file may also just not be there.
      use_sfi_ = false;
      by_fid_after_refusal = true;
      continue;
    }
    if (by_fid_after_refusal && !selected && sw == apdu::sw::kFileNotFound && !sfi_cost_channel) {
      // Not there by FID either: the file is absent, and the card's SFI form was not at fault.
      use_sfi_ = true;
    }
    if (sw == apdu::sw::kWrongLength || (sw == apdu::sw::kWrongP1P2 && offset == 0)) {
      // ICAO 9303-10 readers meet cards that refuse large Ne: one step smaller, kept for the session.
      if (lower_chunk()) continue;
      return card_status_error(sw, file.name + ": card refuses every read size");
    }
    if (apdu::sw::is_wrong_le(sw)) {
      const size_t exact = r->sw2() == 0 ? 256 : r->sw2();
      if (exact >= chunk_) return malformed(file, "card asked for a larger Le than was offered");
      chunk_ = exact;
      continue;
    }
    if (sw == apdu::sw::kWrongP1P2 && total == kIndefiniteLength) break;  // read past the end
    if (sw != apdu::sw::kOk && sw != apdu::sw::kEndOfFileReached)
      return card_status_error(sw, file.name + ": READ BINARY at offset " + std::to_string(offset) + ": " + apdu::sw::describe(sw));
    selected = true;
    if (r->data.size() > ne) return malformed(file, "card returned more bytes than asked");
    append(data, r->data);
    if (total == 0) {
      IDTAP_ASSIGN_OR_RETURN(total, tlv_total_length(data));
      if (total != kIndefiniteLength && total > options_.max_file_size)
        return malformed(file, "declared length " + std::to_string(total) + " exceeds the limit");
    }
    if (options_.progress) options_.progress(file, data.size(), total == kIndefiniteLength ? 0 : total);
    if (total == kIndefiniteLength && data.size() > options_.max_file_size)
      return malformed(file, "file larger than the limit");
    if (sw == apdu::sw::kEndOfFileReached) {
      if (total == kIndefiniteLength) break;
      if (total == 0 || data.size() < total)
        return malformed(file, "file ends after " + std::to_string(data.size()) + " bytes, before its declared length");
    }
    if (r->data.empty()) return malformed(file, "card returned no data");
  }
  if (total != kIndefiniteLength && data.size() > total) data.resize(total);
  return data;
}

}  // namespace idtap::reader
