// idtap/sim/card_image.h: the simulated card's on-disk image (a directory) and its loader/writer.
//
// A card image is a directory:
//
//   card.conf            `key = value` lines, `#` comments: ATR, UID, access protocols, CAN,
//                        MRZ key fields, PACE parameters offered, CA/AA settings, quirks
//                        (the grammar: idtap/sim/card_conf.h; README.md, "The simulated card
//                        image")
//   files/               the elementary files, exactly as a card holds them:
//                        ef_cardaccess.bin ef_cardsecurity.bin (MF), ef_com.bin ef_sod.bin
//                        dg1.bin .. dg16.bin (eMRTD application); each optional
//   chip/                the chip's private keys (PEM): ca_key.pem (Chip Authentication, the
//                        key DG14 publishes), aa_key.pem (Active Authentication, DG15)
//   pki/                 written by personalization (CSCA, Document Signer...), never read by
//                        the card
//
// The image holds what the chip holds and nothing more: a real card never reveals its CAN,
// MRZ key or private keys to a reader, and the simulated card does not either.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "idtap/base/bytes.h"
#include "idtap/base/result.h"
#include "idtap/base/secure_bytes.h"
#include "idtap/sim/card_conf.h"

namespace idtap::sim {

// CardFiles: the elementary files. nullopt = the card has no such file (SELECT gives 6A82);
// an engaged empty Bytes is an empty file.
struct CardFiles {
  std::optional<Bytes> card_access;    // EF.CardAccess, MF 011C, SFI 1C
  std::optional<Bytes> card_security;  // EF.CardSecurity, MF 011D, SFI 1D
  std::optional<Bytes> com;            // EF.COM, eMRTD application 011E, SFI 1E
  std::optional<Bytes> sod;            // EF.SOD, 011D, SFI 1D
  std::map<int, Bytes> data_groups;    // DG1..DG16 (key 1..16), 0101..0110, SFI 01..10
};

// ChipKeys: the chip's private keys as PEM (PKCS#8 or traditional). Empty = the chip has none
// (no CA / no AA).
struct ChipKeys {
  SecureBytes ca_key_pem;  // chip/ca_key.pem: the static CA key (DG14's public key)
  SecureBytes aa_key_pem;  // chip/aa_key.pem: the AA key (DG15's public key), RSA or EC
};

// CardImage: one card, as loaded from or written to a directory.
struct CardImage {
  CardConfig config;
  CardFiles files;
  ChipKeys chip;
  // pki: files under pki/ by relative name ("csca.pem"): written by write_card_image, loaded
  // only when LoadOptions::include_pki says so (the card never reads them).
  std::map<std::string, Bytes> pki;
};

// LoadOptions: what load_card_image reads beyond what the card needs.
struct LoadOptions {
  bool include_pki = false;
};

// load_card_image: reads the image in `dir`. Errors: kNotFound when `dir` or card.conf is
// missing (context names the path); kMalformed for a card.conf line that does not parse, an
// unknown key, a bad value or an unsupported format, naming file and line; kMalformed for a
// files/ or chip/ entry with an unexpected name; kIo for read failures. A missing optional file
// is not an error.
Result<CardImage> load_card_image(const std::string& dir, const LoadOptions& options = {});

// write_card_image: writes `image` to `dir` atomically: everything goes to a temporary sibling
// directory, which then replaces `dir` in one rename (an existing `dir` is swapped out with
// renameat2(RENAME_EXCHANGE) and removed), so a reader never sees a half-written card. chip/
// and card.conf are created mode 0600. kInvalidArgument for an image that would not load back
// (bad PACE offer, DG number out of 1..16, pki name with '/' or ".."); kIo on file system
// errors (the temporary directory is removed).
Status write_card_image(const std::string& dir, const CardImage& image);

// file_name_for_dg: "dg1.bin".."dg16.bin"; kInvalidArgument outside 1..16.
Result<std::string> file_name_for_dg(int dg);

}  // namespace idtap::sim
