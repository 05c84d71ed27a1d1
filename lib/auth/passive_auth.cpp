#include "idtap/auth/passive_auth.h"

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

#include "idtap/crypto/mac.h"
#include "idtap/lds/card_security.h"
#include "signed_attributes.h"

namespace idtap::auth {
namespace {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct CmsFree {
  void operator()(CMS_ContentInfo* c) const { CMS_ContentInfo_free(c); }
};

std::string openssl_reason() {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "no detail";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

// The CMS signature over the LDSSecurityObject (ICAO 9303-11 §5.1.1 steps 1-2), checked by
// OpenSSL with the certificate carried in EF.SOD; returns that certificate (DER) and the content.
struct SignatureCheck {
  bool ok = false;
  std::string reason;
  Bytes signer_der;
  Bytes content;
};

SignatureCheck check_cms_signature(ByteView content_info, const std::string& file = "EF.SOD") {
  SignatureCheck out;
  std::unique_ptr<BIO, BioFree> in(BIO_new_mem_buf(content_info.data(), static_cast<int>(content_info.size())));
  std::unique_ptr<CMS_ContentInfo, CmsFree> cms(d2i_CMS_bio(in.get(), nullptr));
  if (!cms) {
    out.reason = file + "'s CMS structure is not readable by OpenSSL: " + openssl_reason();
    return out;
  }
  STACK_OF(X509)* signers = nullptr;
  std::unique_ptr<BIO, BioFree> content(BIO_new(BIO_s_mem()));
  // The chain is checked separately against the trust store (TrustStore::verify_signer), so no
  // store here; CMS_verify still checks the signed attributes' message digest and the signature.
  if (CMS_verify(cms.get(), nullptr, nullptr, nullptr, content.get(), CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY) != 1) {
    out.reason = file + " signature does not verify: " + openssl_reason();
    return out;
  }
  signers = CMS_get0_signers(cms.get());
  if (signers == nullptr || sk_X509_num(signers) != 1) {
    sk_X509_free(signers);
    out.reason = file + " must have exactly one signer";
    return out;
  }
  unsigned char* der = nullptr;
  int n = i2d_X509(sk_X509_value(signers, 0), &der);
  sk_X509_free(signers);
  if (n <= 0) {
    out.reason = "cannot encode the Document Signer certificate";
    return out;
  }
  out.signer_der.assign(der, der + n);
  OPENSSL_free(der);
  char* p = nullptr;
  long len = BIO_get_mem_data(content.get(), &p);
  out.content.assign(reinterpret_cast<uint8_t*>(p), reinterpret_cast<uint8_t*>(p) + len);
  out.ok = true;
  return out;
}

// check_signed_file: ICAO 9303-11 §5.1.1: the CMS signature (with the certificate the file
// carries) over the signed attributes, the signed content being the content parsed (described by
// `content`), then the signer's chain to a trusted CSCA.
SignedFileCheck check_signed_file(const lds::SignedData& sd, const std::string& file, const std::string& content,
                                  const PassiveOptions& options) {
  SignedFileCheck v;
  if (std::string bad = check_signed_attributes(sd, file); !bad.empty()) {
    v.reason = std::move(bad);
    return v;
  }
  const ByteView econtent = sd.econtent;
  SignatureCheck sig = check_cms_signature(sd.content_info, file);
  if (!sig.ok) {
    v.reason = sig.reason;
    return v;
  }
  if (!equal_bytes(sig.content, econtent)) {
    v.reason = file + " signed content differs from the parsed " + content;
    return v;
  }
  v.signature_ok = true;
  if (options.trust == nullptr) {
    v.status = PassiveStatus::kNoTrustAnchor;
    v.reason = "no trust store given: " + file + "'s signer was not chained to a CSCA";
    return v;
  }
  auto chain = options.trust->verify_signer(sig.signer_der, options.when);
  if (!chain.ok()) {
    v.status = chain.error().code == ErrorCode::kNoTrustAnchor ? PassiveStatus::kNoTrustAnchor : PassiveStatus::kInvalid;
    v.reason = chain.error().context;
    return v;
  }
  v.signer_subject = chain->signer_subject;
  v.chain = std::move(chain).value();
  v.status = PassiveStatus::kValid;
  return v;
}

}  // namespace

const char* passive_status_name(PassiveStatus status) {
  switch (status) {
    case PassiveStatus::kValid: return "valid";
    case PassiveStatus::kInvalid: return "invalid";
    case PassiveStatus::kNoTrustAnchor: return "no_trust_anchor";
  }
  return "invalid";
}

Result<SodVerification> verify_sod(ByteView ef_sod, const PassiveOptions& options) {
  SodVerification v;
  // BER indefinite lengths are a named leniency: some issuing states write EF.SOD that way.
  IDTAP_ASSIGN_OR_RETURN(lds::EfSod sod, lds::parse_ef_sod(ef_sod, lds::EfSodOptions{.allow_ber = true}));
  v.used_ber = sod.signed_data.used_ber;
  auto hash = sod.security_object.hash_alg();
  if (!hash) {
    v.reason = "LDSSecurityObject names an unsupported hash algorithm";
    return v;
  }
  v.hash = *hash;
  for (const auto& h : sod.security_object.hashes) {
    if (h.hash.size() != crypto::digest_size(*hash)) {
      v.reason = "data group " + std::to_string(h.number) + " hash has the wrong length";
      return v;
    }
    if (!v.hashes.emplace(h.number, h.hash).second) {
      v.reason = "data group " + std::to_string(h.number) + " listed twice in EF.SOD";
      return v;
    }
  }

  static_cast<SignedFileCheck&>(v) =
      check_signed_file(sod.signed_data, "EF.SOD", "LDSSecurityObject", options);
  return v;
}

Result<DataGroupCheck> check_data_group(const SodVerification& sod, int number, ByteView raw) {
  auto it = sod.hashes.find(number);
  if (it == sod.hashes.end()) return DataGroupCheck::kNotSigned;
  IDTAP_ASSIGN_OR_RETURN(Bytes actual, crypto::digest(sod.hash, raw));
  return crypto::constant_time_equal(actual, it->second) ? DataGroupCheck::kHashOk : DataGroupCheck::kHashMismatch;
}

Result<CardSecurityVerification> verify_card_security(ByteView ef_card_security, const PassiveOptions& options) {
  CardSecurityVerification v;
  IDTAP_ASSIGN_OR_RETURN(lds::CardSecurity cs, lds::parse_card_security(ef_card_security, lds::SignedDataOptions{.allow_ber = true}));
  v.infos = std::move(cs.infos);
  static_cast<SignedFileCheck&>(v) =
      check_signed_file(cs.signed_data, "EF.CardSecurity", "SecurityInfos", options);
  return v;
}

}  // namespace idtap::auth
