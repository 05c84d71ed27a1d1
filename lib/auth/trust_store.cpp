#include "idtap/auth/trust_store.h"

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <vector>

#include "idtap/apdu/tlv.h"
#include "idtap/base/file_io.h"
#include "idtap/lds/signed_data.h"
#include "idtap/crypto/openssl_error.h"
#include "idtap/crypto/ossl_ptr.h"
#include "idtap/crypto/x509.h"
#include "ec_params.h"
#include "signed_attributes.h"

namespace idtap::auth {
namespace {

using X509Ptr = crypto::X509Ptr;
using CrlPtr = crypto::X509CrlPtr;

// ICAO 9303-12 §8: id-icao-cscaMasterList.
constexpr const char* kMasterListOid = "2.23.136.1.1.2";

// looks_like_pem: PEM armour in `data`, unless `data` is one DER SEQUENCE (a certificate or CRL,
// whose names may well contain the armour text).
bool looks_like_pem(ByteView data) {
  apdu::TlvReader der(data, apdu::TlvMode::kBerLenient);
  if (auto t = der.next(); t.ok() && t->tag == 0x30 && der.empty()) return false;
  static const char kBegin[] = "-----BEGIN";
  auto it = std::search(data.begin(), data.end(), kBegin, kBegin + sizeof kBegin - 1);
  return it != data.end();
}

// name_text: an X.509 name as OpenSSL's one-line form ("/C=KR/CN=CSCA KOR").
std::string name_text(const X509_NAME* name) {
  char buf[512];
  X509_NAME_oneline(name, buf, sizeof buf);
  return buf;
}

std::string subject_line(const X509* x) { return name_text(X509_get_subject_name(x)); }

// parse_der_certificate: crypto's, under the name this file reads well with.
Result<X509Ptr> parse_der_certificate(ByteView der) { return crypto::parse_certificate_der(der); }

// pem_has: a PEM block labelled `label` ("CERTIFICATE", "X509 CRL") in `text`.
bool pem_has(const std::string& text, std::string_view label) {
  return text.find("-----BEGIN " + std::string(label) + "-----") != std::string::npos;
}
bool pem_has_certificate(const std::string& text) {
  return pem_has(text, "CERTIFICATE") || pem_has(text, "X509 CERTIFICATE") || pem_has(text, "TRUSTED CERTIFICATE");
}

// parse_certificates: every certificate in `data`, PEM (any number; other PEM blocks such as
// keys or CRLs are passed over) or one DER certificate. kMalformed when none parses.
Result<std::vector<X509Ptr>> parse_certificates(ByteView data, const std::string& where) {
  std::vector<X509Ptr> certs;
  if (looks_like_pem(data)) {
    auto pem = crypto::parse_certificates_pem(data);
    if (!pem.ok() && pem.error().code == ErrorCode::kMalformed)
      return make_error(ErrorCode::kMalformed, where + ": no PEM certificate in it");
    return pem;
  }
  auto cert = parse_der_certificate(data);
  if (!cert.ok()) return cert.error().with_context(where);
  certs.push_back(std::move(cert).value());
  return certs;
}

// not_a_ca: why `cert` cannot be a CSCA (a Document Signer or other end-entity certificate: no
// basicConstraints cA, no keyCertSign), or "" when it is a CA certificate.
std::string not_a_ca(X509* cert) {
  if (X509_check_ca(cert) != 0) return "";
  return subject_line(cert) + " is not a CA certificate (no basicConstraints cA), so it cannot be a CSCA";
}

// issued_by: `issuer` issued `subject` and its signature verifies.
bool issued_by(X509* subject, X509* issuer) {
  if (X509_check_issued(issuer, subject) != X509_V_OK) return false;
  EVP_PKEY* key = X509_get0_pubkey(issuer);
  bool ok = key != nullptr && X509_verify(subject, key) == 1;
  ERR_clear_error();
  return ok;
}

bool has_extension(const std::string& path, std::initializer_list<const char*> exts) {
  std::string ext = std::filesystem::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const char* e : exts)
    if (ext == e) return true;
  return false;
}

// ExplicitParamsState: what forgive_explicit_ec_params saw during one X509_verify_cert.
struct ExplicitParamsState {
  std::string refusal;  // a certificate whose explicit parameters were not accepted, and why
};

// forgive_explicit_ec_params: the verify callback. OpenSSL refuses a key with explicit EC
// parameters (X509_V_ERR_EC_KEY_EXPLICIT_PARAMS); BSI TR-03110 and several national PKIs use
// them on purpose, so exactly that error is forgiven, and only for parameters that are a
// standardized curve (explicit_ec_params). Every other error stands.
int forgive_explicit_ec_params(int ok, X509_STORE_CTX* ctx) {
  if (ok == 1 || X509_STORE_CTX_get_error(ctx) != X509_V_ERR_EC_KEY_EXPLICIT_PARAMS) return ok;
  auto* state = static_cast<ExplicitParamsState*>(X509_STORE_CTX_get_app_data(ctx));
  X509* cert = X509_STORE_CTX_get_current_cert(ctx);
  if (state == nullptr || cert == nullptr) return ok;
  const ExplicitEcParams params = explicit_ec_params(cert);
  if (!params.is_explicit || !params.refusal.empty()) {
    if (state->refusal.empty())
      state->refusal = subject_line(cert) + ": " + (params.refusal.empty() ? "explicit EC parameters" : params.refusal);
    return 0;
  }
  X509_STORE_CTX_set_error(ctx, X509_V_OK);
  return 1;
}

}  // namespace

Result<std::vector<Bytes>> parse_csca_master_list(ByteView content) {
  // CscaMasterList ::= SEQUENCE { version CscaMasterListVersion (v0), certList SET OF Certificate }
  // (ICAO 9303-12 §8.1)
  apdu::TlvReader top(content, apdu::TlvMode::kBerLenient);
  IDTAP_ASSIGN_OR_RETURN(apdu::TlvReader seq, top.enter(0x30));
  IDTAP_TRY(top.expect_end());
  IDTAP_ASSIGN_OR_RETURN(apdu::Tlv version, seq.read(0x02));
  if (version.value.size() != 1 || version.value[0] != 0)
    return make_error(ErrorCode::kMalformed, "CscaMasterList version is not v0");
  IDTAP_ASSIGN_OR_RETURN(apdu::TlvReader set, seq.enter(0x31));
  IDTAP_TRY(seq.expect_end());
  std::vector<Bytes> certs;
  while (!set.empty()) {
    IDTAP_ASSIGN_OR_RETURN(apdu::Tlv t, set.next());
    if (t.tag != 0x30) return make_error(ErrorCode::kMalformed, "CscaMasterList certList entry is not a Certificate");
    auto cert = parse_der_certificate(t.raw);
    if (!cert.ok()) return cert.error().with_context("CscaMasterList certList entry");
    certs.push_back(to_bytes(t.raw));
  }
  if (certs.empty()) return make_error(ErrorCode::kMalformed, "CscaMasterList holds no certificate");
  return certs;
}

struct TrustStore::Impl {
  std::vector<X509Ptr> anchors;
  std::vector<CrlPtr> crls;
  std::vector<std::string> skipped;
  std::vector<std::string> warnings;

  void add_anchor(X509Ptr cert) {
    for (const auto& a : anchors)
      if (X509_cmp(a.get(), cert.get()) == 0) return;  // already trusted
    anchors.push_back(std::move(cert));
  }
};

TrustStore::TrustStore() : impl_(std::make_unique<Impl>()) {}
TrustStore::TrustStore(TrustStore&&) noexcept = default;
TrustStore& TrustStore::operator=(TrustStore&&) noexcept = default;
TrustStore::~TrustStore() = default;

size_t TrustStore::anchor_count() const { return impl_->anchors.size(); }
size_t TrustStore::crl_count() const { return impl_->crls.size(); }
const std::vector<std::string>& TrustStore::skipped() const { return impl_->skipped; }
const std::vector<std::string>& TrustStore::warnings() const { return impl_->warnings; }

Status TrustStore::add_certificates(ByteView data, std::string_view source) {
  const std::string where(source);
  IDTAP_ASSIGN_OR_RETURN(auto certs, parse_certificates(data, where));
  for (const auto& cert : certs)
    if (std::string why = not_a_ca(cert.get()); !why.empty()) return make_error(ErrorCode::kRefused, where + ": " + why);
  for (auto& cert : certs) impl_->add_anchor(std::move(cert));
  return ok_status();
}

Status TrustStore::add_crl(ByteView data, std::string_view source) {
  const std::string where(source);
  CrlPtr crl;
  if (looks_like_pem(data)) {
    crypto::BioPtr bio(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
    crl.reset(PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr));
  } else {
    const unsigned char* p = data.data();
    crl.reset(d2i_X509_CRL(nullptr, &p, static_cast<long>(data.size())));
    if (crl && p != data.data() + data.size()) crl.reset();
  }
  if (!crl) {
    ERR_clear_error();
    return make_error(ErrorCode::kMalformed, where + ": not a CRL");
  }
  // The CRL must be its CSCA's own (ICAO 9303-12 §7.1.4: CRLs are signed by the CSCA): one of the
  // loaded anchors of the issuer's name holds the key that signed it.
  bool signed_by_anchor = false;
  for (const auto& anchor : impl_->anchors) {
    if (X509_NAME_cmp(X509_get_subject_name(anchor.get()), X509_CRL_get_issuer(crl.get())) != 0) continue;
    if (X509_CRL_verify(crl.get(), X509_get0_pubkey(anchor.get())) == 1) signed_by_anchor = true;
  }
  ERR_clear_error();
  if (!signed_by_anchor)
    return make_error(ErrorCode::kVerificationFailed,
                      where + ": this CRL (issuer " + name_text(X509_CRL_get_issuer(crl.get())) +
                          ") is signed by none of the trusted CSCAs: give its CSCA with --trust, or leave it out (a CRL "
                          "of another CSCA would make every card of a same-named CSCA fail)");
  impl_->crls.push_back(std::move(crl));
  return ok_status();
}

Status TrustStore::add_master_list(ByteView der, std::string_view source, const MasterListPolicy& policy) {
  const std::string where(source);
  if (der.empty()) return make_error(ErrorCode::kMalformed, where + ": empty master list");
  crypto::BioPtr in(BIO_new_mem_buf(der.data(), static_cast<int>(der.size())));
  crypto::CmsPtr cms(in ? d2i_CMS_bio(in.get(), nullptr) : nullptr);
  if (!cms) {
    ERR_clear_error();
    return make_error(ErrorCode::kMalformed, where + ": not a CMS SignedData master list");
  }
  char oid[64] = {0};
  OBJ_obj2txt(oid, sizeof oid, CMS_get0_eContentType(cms.get()), 1);
  if (std::strcmp(oid, kMasterListOid) != 0)
    return make_error(ErrorCode::kMalformed, where + ": CMS content type " + oid + " is not id-icao-cscaMasterList");
  // The signed attributes as for EF.SOD: one SignerInfo, a contentType that is the list's
  // eContentType (OpenSSL does not compare them), the messageDigest of the list.
  auto signed_data = lds::parse_signed_data(der, lds::SignedDataOptions{.allow_ber = true});
  if (!signed_data.ok()) return signed_data.error().with_context(where);
  if (std::string bad = check_signed_attributes(*signed_data, "the master list"); !bad.empty())
    return make_error(ErrorCode::kVerificationFailed, where + ": " + bad);
  // The signature over the list, checked with the signer certificate embedded in the CMS; the
  // signer's own chain is checked below against the list (ICAO 9303-12 §8.1).
  crypto::BioPtr out(BIO_new(BIO_s_mem()));
  if (CMS_verify(cms.get(), nullptr, nullptr, nullptr, out.get(), CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY) != 1)
    return make_error(ErrorCode::kVerificationFailed, where + ": master list signature does not verify: " + crypto::openssl_last_error());
  char* content_ptr = nullptr;
  long content_len = BIO_get_mem_data(out.get(), &content_ptr);
  ByteView content(reinterpret_cast<const uint8_t*>(content_ptr), static_cast<size_t>(content_len));

  auto certs = parse_csca_master_list(content);
  if (!certs.ok()) return certs.error().with_context(where);
  // Only CA certificates can be CSCAs: an end-entity certificate in the list is passed over (and
  // noted), never trusted nor taken as the list signer's issuer.
  std::vector<X509Ptr> listed;
  std::vector<std::string> passed_over;
  for (const Bytes& der_cert : *certs) {
    auto cert = parse_der_certificate(der_cert);
    if (!cert.ok()) return cert.error().with_context(where + ": certList entry");
    if (std::string why = not_a_ca(cert->get()); !why.empty()) {
      passed_over.push_back(where + ": " + why);
      continue;
    }
    listed.push_back(std::move(cert).value());
  }
  if (listed.empty()) return make_error(ErrorCode::kMalformed, where + ": the master list holds no CA certificate");

  if (policy.require_signer_chain) {
    STACK_OF(X509)* signers = CMS_get0_signers(cms.get());
    bool chained = false;
    for (int i = 0; signers && i < sk_X509_num(signers) && !chained; ++i) {
      X509* signer = sk_X509_value(signers, i);
      for (auto& c : listed) chained = chained || issued_by(signer, c.get());
      for (auto& c : impl_->anchors) chained = chained || issued_by(signer, c.get());
    }
    sk_X509_free(signers);
    if (!chained)
      return make_error(ErrorCode::kVerificationFailed,
                        where + ": the master list signer is not issued by a CSCA in the list or already trusted");
  }
  for (auto& c : listed) impl_->add_anchor(std::move(c));
  for (auto& note : passed_over) impl_->skipped.push_back(std::move(note));
  return ok_status();
}

Status TrustStore::add_path(const std::string& path, const MasterListPolicy& policy) {
  std::error_code ec;
  if (!std::filesystem::is_directory(path, ec)) return add_file(path, policy, false);
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(path, ec))
    if (entry.is_regular_file() && has_extension(entry.path().string(), {".pem", ".crt", ".cer", ".der", ".ml", ".crl"}))
      files.push_back(entry.path().string());
  if (ec) return make_error(ErrorCode::kIo, "cannot list " + path + ": " + ec.message());
  std::sort(files.begin(), files.end());
  // Certificates and master lists first, so a CRL or a master list signer finds its CSCA.
  std::stable_partition(files.begin(), files.end(), [](const std::string& f) { return !has_extension(f, {".crl"}); });
  const size_t anchors_before = impl_->anchors.size(), crls_before = impl_->crls.size();
  for (const auto& f : files) {
    auto st = add_file(f, policy, true);
    if (st.ok()) continue;
    if (st.error().code == ErrorCode::kIo) return st;
    impl_->warnings.push_back(f + ": passed over: " + st.error().message());
  }
  if (impl_->anchors.size() == anchors_before && impl_->crls.size() == crls_before)
    return make_error(ErrorCode::kNotFound, path + ": no CSCA certificate (*.pem, *.crt, *.cer, *.der), master list (*.ml) or CRL (*.crl) in it");
  return ok_status();
}

Status TrustStore::add_file(const std::string& path, const MasterListPolicy& policy, bool in_directory) {
  IDTAP_ASSIGN_OR_RETURN(Bytes data, read_file(path));
  if (has_extension(path, {".ml"})) return add_master_list(data, path, policy);
  if (has_extension(path, {".crl"})) return add_crl(data, path);
  // A directory scan passes over what cannot be a CSCA (a Document Signer's certificate, a key
  // file) and notes it in skipped(); named on its own, such a file is an error.
  auto add_cas = [&](std::vector<X509Ptr> certs) -> Status {
    for (auto& cert : certs) {
      if (std::string why = not_a_ca(cert.get()); !why.empty()) {
        if (!in_directory) return make_error(ErrorCode::kRefused, path + ": " + why);
        impl_->skipped.push_back(path + ": " + why);
        continue;
      }
      impl_->add_anchor(std::move(cert));
    }
    return ok_status();
  };
  if (looks_like_pem(data)) {
    // PEM: the certificates and the CRL, whichever the file holds (a bundle may hold both).
    const std::string text = string_of(data);
    const bool certs = pem_has_certificate(text), crl = pem_has(text, "X509 CRL");
    if (!certs && !crl) {
      if (!in_directory) return make_error(ErrorCode::kMalformed, path + ": no PEM certificate or CRL in it");
      impl_->skipped.push_back(path + ": no certificate or CRL in it (a key?)");
      return ok_status();
    }
    if (certs) {
      IDTAP_ASSIGN_OR_RETURN(auto parsed, parse_certificates(data, path));
      IDTAP_TRY(add_cas(std::move(parsed)));
    }
    if (crl) IDTAP_TRY(add_crl(data, path));
    return ok_status();
  }
  // DER: a certificate, a CRL, or a CMS master list; try in that order.
  if (auto cert = parse_certificates(data, path); cert.ok()) return add_cas(std::move(cert).value());
  if (add_crl(data, path).ok()) return ok_status();
  auto ml = add_master_list(data, path, policy);
  if (ml.ok() || ml.error().code != ErrorCode::kMalformed) return ml;
  return make_error(ErrorCode::kMalformed, path + ": neither a certificate, a CRL nor a CSCA master list");
}

Result<ChainVerdict> TrustStore::verify_signer(ByteView signer_der, std::optional<std::time_t> when) const {
  IDTAP_ASSIGN_OR_RETURN(X509Ptr signer, parse_der_certificate(signer_der));
  ChainVerdict verdict;
  verdict.signer_subject = subject_line(signer.get());

  X509* issuer = nullptr;
  for (const auto& a : impl_->anchors)
    if (X509_check_issued(a.get(), signer.get()) == X509_V_OK) issuer = a.get();
  ERR_clear_error();
  if (issuer == nullptr)
    return make_error(ErrorCode::kNoTrustAnchor, "no trusted CSCA issued the document signer " + verdict.signer_subject);

  std::vector<X509*> anchors;
  for (const auto& a : impl_->anchors) anchors.push_back(a.get());
  std::vector<X509_CRL*> crls;
  bool have_crl = false;
  for (const auto& c : impl_->crls) {
    crls.push_back(c.get());
    if (X509_NAME_cmp(X509_CRL_get_issuer(c.get()), X509_get_issuer_name(signer.get())) == 0) have_crl = true;
  }
  ExplicitParamsState explicit_state;
  crypto::ChainOptions options;
  options.at = when.value_or(std::time(nullptr));
  options.partial_chain = true;  // link certificates may terminate a chain
  options.crls = crls;
  options.crl_check = have_crl;  // the leaf's issuer published a CRL: use it
  options.verify_cb = forgive_explicit_ec_params;
  options.app_data = &explicit_state;
  IDTAP_ASSIGN_OR_RETURN(crypto::ChainResult checked, crypto::verify_chain(signer.get(), {}, anchors, options));
  if (!checked.ok()) {
    const int err = checked.error;
    std::string why = checked.reason;
    if (err == X509_V_ERR_EC_KEY_EXPLICIT_PARAMS && !explicit_state.refusal.empty()) why += " (" + explicit_state.refusal + ")";
    if (err == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY || err == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT)
      return make_error(ErrorCode::kNoTrustAnchor, "document signer " + verdict.signer_subject + ": " + why);
    return make_error(ErrorCode::kVerificationFailed, "document signer " + verdict.signer_subject + ": " + why);
  }
  // ICAO 9303-12 §7.1.1 (Document Signer profile): keyUsage is mandatory, with digitalSignature.
  if ((X509_get_extension_flags(signer.get()) & EXFLAG_KUSAGE) == 0)
    return make_error(ErrorCode::kVerificationFailed,
                      "document signer " + verdict.signer_subject + ": no keyUsage extension (ICAO 9303-12 requires digitalSignature)");
  if ((X509_get_key_usage(signer.get()) & KU_DIGITAL_SIGNATURE) == 0)
    return make_error(ErrorCode::kVerificationFailed,
                      "document signer " + verdict.signer_subject + ": key usage lacks digitalSignature");
  const auto& chain = checked.chain;
  if (chain.size() > 1) verdict.anchor_subject = subject_line(chain.back().get());
  // Every certificate of the chain (OpenSSL flags explicit parameters only in some positions):
  // explicit parameters are reported when they are a standardized curve and refused otherwise.
  for (const auto& held : chain) {
    X509* cert = held.get();
    const ExplicitEcParams params = explicit_ec_params(cert);
    if (!params.is_explicit) continue;
    if (!params.refusal.empty())
      return make_error(ErrorCode::kVerificationFailed, "document signer " + verdict.signer_subject + ": certificate " +
                                                            subject_line(cert) + ": " + params.refusal);
    verdict.explicit_ec_params.push_back(subject_line(cert) + " (" + params.curve + ")");
  }
  verdict.crl_checked = have_crl;
  return verdict;
}

}  // namespace idtap::auth
