// idtap/auth/trust_store.h: the trusted Country Signing CA certificates and CRLs that Passive
// Authentication chains Document Signers to (ICAO 9303-12 §5, §7, §8).
#pragma once

#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "idtap/base/bytes.h"
#include "idtap/base/result.h"

namespace idtap::auth {

// ChainVerdict: how a Document Signer certificate chained to a trust anchor.
struct ChainVerdict {
  std::string signer_subject;  // the DS certificate's subject, one line
  std::string anchor_subject;  // the CSCA (or link certificate) it chained to
  bool crl_checked = false;    // a CRL of the issuing CSCA was loaded and consulted
  // explicit_ec_params: each certificate of the chain whose key gives explicit EC domain
  // parameters (the named leniency, see Leniencies in passive_auth.h), as "subject (curve)".
  std::vector<std::string> explicit_ec_params;
};

// MasterListPolicy: how strictly a CSCA master list is accepted.
struct MasterListPolicy {
  // require_signer_chain: the master list signer certificate must be issued by a CSCA in the
  // list itself or already trusted (ICAO 9303-12 §8.1). Off only for lists whose signer's
  // CSCA is loaded separately later.
  bool require_signer_chain = true;
};

// parse_csca_master_list: the certificates (DER, in list order) of a CscaMasterList, the content
// a master list's CMS SignedData signs (ICAO 9303-12 §8.1). Parses only: nothing is verified or
// trusted. kMalformed on a bad encoding, a version other than v0, trailing bytes, an entry that
// is not an X.509 certificate, or an empty list.
Result<std::vector<Bytes>> parse_csca_master_list(ByteView content);

// TrustStore: CSCA certificates (self-signed or link certificates) and CRLs. Move-only. Not
// thread-safe for adding; verify_signer may be called from several threads once loading is done.
class TrustStore {
 public:
  TrustStore();
  TrustStore(TrustStore&&) noexcept;
  TrustStore& operator=(TrustStore&&) noexcept;
  ~TrustStore();

  // TrustStore::add_path: loads `path` by what it is: a directory (every *.pem, *.crt, *.cer,
  // *.der, *.ml, *.crl file in it, not recursive), a master list (*.ml, or CMS content of type
  // id-icao-cscaMasterList), a CRL (*.crl, or PEM "X509 CRL"), or certificates (PEM with any
  // number of certificates, and CRLs too, or one DER certificate). Only CA certificates can be
  // CSCAs: a directory scan passes over end-entity certificates (a Document Signer) and PEM files
  // with no certificate or CRL (keys), noting each in skipped(); named on its own such a file is
  // kRefused (an end-entity certificate) or kMalformed (no certificate). kNotFound when `path`
  // does not exist or is a directory with nothing to load, kIo when it cannot be read,
  // kMalformed when the content is none of these, kVerificationFailed for a master list whose
  // signature does not verify. In a directory, a file that fails so is passed over and noted in
  // warnings() (one corrupt file does not stop every read); a file that cannot be read is kIo.
  Status add_path(const std::string& path, const MasterListPolicy& policy = {});
  // TrustStore::add_certificates: PEM (one or more) or DER certificate bytes as trusted CSCAs.
  // `source` names them in errors. kMalformed when nothing parses; kRefused, and nothing added,
  // when one of them is not a CA certificate.
  Status add_certificates(ByteView pem_or_der, std::string_view source);
  // TrustStore::add_master_list: an ICAO CSCA master list (CMS SignedData over CscaMasterList,
  // ICAO 9303-12 §8). The CMS signature is verified with the embedded signer certificate, and
  // that certificate's issuer checked as `policy` says; then every certificate in the list is
  // trusted. kMalformed / kVerificationFailed with the reason.
  Status add_master_list(ByteView der, std::string_view source, const MasterListPolicy& policy = {});
  // TrustStore::add_crl: a CRL (PEM or DER) of a CSCA already loaded: its signature must verify
  // with the key of a loaded CSCA of its issuer's name (load the CSCAs first). kMalformed when it
  // does not parse; kVerificationFailed, and nothing added, when no loaded CSCA signed it (a CRL
  // of another CSCA is a set-up error: kept, it would fail every card of a same-named CSCA).
  Status add_crl(ByteView pem_or_der, std::string_view source);

  // TrustStore::anchor_count / crl_count: what is loaded.
  size_t anchor_count() const;
  size_t crl_count() const;
  // TrustStore::skipped: what directory scans and master lists passed over (keys, end-entity
  // certificates) and why, one line each.
  const std::vector<std::string>& skipped() const;
  // TrustStore::warnings: files of a directory scan that could not be loaded (corrupt, unreadable
  // content, a CRL of no loaded CSCA), one line each: passed over so the rest of the directory
  // still serves, and to be shown to the user, not only under -v.
  const std::vector<std::string>& warnings() const;

  // TrustStore::verify_signer: checks that the DER certificate `signer_der` chains to a loaded
  // CSCA, that every certificate is valid at `when` (now when nullopt), that it is not revoked by
  // a loaded CRL of its issuer (and the CRL itself is valid and signed by that issuer), and that
  // the signer may sign documents (key usage digitalSignature when the extension is present).
  // A key with explicit EC parameters (OpenSSL: X509_V_ERR_EC_KEY_EXPLICIT_PARAMS) is accepted
  // only when they are a valid group equal to a standardized curve, and reported in
  // ChainVerdict::explicit_ec_params; other explicit parameters are kVerificationFailed.
  // kNoTrustAnchor when nothing loaded issued it; kVerificationFailed with the reason
  // ("certificate has expired", "certificate revoked", ...) otherwise; kMalformed if it does not
  // parse.
  Result<ChainVerdict> verify_signer(ByteView signer_der, std::optional<std::time_t> when = std::nullopt) const;

 private:
  Status add_file(const std::string& path, const MasterListPolicy& policy, bool in_directory);
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace idtap::auth
