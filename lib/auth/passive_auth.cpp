#include "idtap/auth/passive_auth.h"

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "idtap/apdu/tlv.h"
#include "idtap/crypto/mac.h"
#include "idtap/crypto/openssl_error.h"
#include "idtap/lds/card_security.h"
#include "idtap/crypto/ossl_ptr.h"
#include "ec_params.h"
#include "signed_attributes.h"

namespace idtap::auth {
namespace {

// The CMS signature over the LDSSecurityObject (ICAO 9303-11 §5.1.1 steps 1-2), checked by
// OpenSSL with the certificate carried in EF.SOD; returns that certificate (DER) and the content.
struct SignatureCheck {
  bool ok = false;
  std::string reason;
  Bytes signer_der;
  Bytes content;
  bool signer_issuer_rdn_order = false;  // the signer was matched with the RDN-order leniency
};

// der_of: the DER of an OpenSSL object through its i2d function (empty on failure).
template <typename T, typename F>
Bytes der_of(T* object, F i2d) {
  unsigned char* der = nullptr;
  const int n = i2d(object, &der);
  if (n <= 0) return {};
  Bytes out(der, der + n);
  OPENSSL_free(der);
  return out;
}

// sorted_rdns: the RelativeDistinguishedNames of a DER Name (RFC 5280 §4.1.2.4: SEQUENCE OF
// SET), each as its exact TLV bytes, sorted; nullopt when `name` is not a DER Name.
std::optional<std::vector<Bytes>> sorted_rdns(ByteView name) {
  apdu::TlvReader top(name, apdu::TlvMode::kDer);
  auto seq = top.enter(0x30);
  if (!seq.ok() || !top.expect_end().ok()) return std::nullopt;
  std::vector<Bytes> rdns;
  while (!seq->empty()) {
    auto rdn = seq->next();
    if (!rdn.ok() || rdn->tag != 0x31) return std::nullopt;
    rdns.push_back(to_bytes(rdn->raw));
  }
  std::sort(rdns.begin(), rdns.end());
  return rdns;
}

// names_by_rdn_order: `signer` (the SignerInfo's issuerAndSerialNumber) names `cert` with the
// same serial number (the INTEGER content, byte for byte) and an issuer Name holding the same
// RDNs, byte for byte, in another order. Nothing else is forgiven: another serial, another
// value, another string type or another attribute is another certificate.
bool names_by_rdn_order(const lds::SignerInfoData& signer, X509* cert) {
  if (!signer.issuer || !signer.serial_number) return false;
  const Bytes serial = der_of(X509_get0_serialNumber(cert), i2d_ASN1_INTEGER);
  apdu::TlvReader serial_reader(serial, apdu::TlvMode::kDer);
  auto serial_tlv = serial_reader.read(0x02);
  if (!serial_tlv.ok() || !equal_bytes(serial_tlv->value, *signer.serial_number)) return false;
  const Bytes issuer = der_of(X509_get_issuer_name(cert), i2d_X509_NAME);
  auto mine = sorted_rdns(issuer), named = sorted_rdns(*signer.issuer);
  return mine && named && *mine == *named;
}

// match_signer: RFC 5652 §5.3: the SignerInfo's sid names the certificate that verifies the
// signature. OpenSSL looks it up among the certificates the file carries (issuer Name compared
// whole, serial number, or subjectKeyIdentifier). When none matches, a certificate named with
// the same RDNs in another order (signer_issuer_rdn_order) is set as the signer, if exactly one
// is. Returns false (and `reason`) when the SignerInfo names no certificate the file carries.
bool match_signer(CMS_ContentInfo* cms, const lds::SignedData& sd, const std::string& file, SignatureCheck& out) {
  STACK_OF(CMS_SignerInfo)* infos = CMS_get0_SignerInfos(cms);
  if (infos == nullptr || sk_CMS_SignerInfo_num(infos) != 1 || sd.signer_infos.size() != 1) {
    out.reason = file + " must have exactly one signer";
    return false;
  }
  CMS_SignerInfo* si = sk_CMS_SignerInfo_value(infos, 0);
  crypto::X509StackOwningPtr certs(CMS_get1_certs(cms));
  const int count = certs ? sk_X509_num(certs.get()) : 0;
  for (int i = 0; i < count; ++i)
    if (CMS_SignerInfo_cert_cmp(si, sk_X509_value(certs.get(), i)) == 0) return true;
  X509* by_rdn_order = nullptr;
  int matches = 0;
  for (int i = 0; i < count; ++i) {
    X509* cert = sk_X509_value(certs.get(), i);
    if (names_by_rdn_order(sd.signer_infos[0], cert)) {
      by_rdn_order = cert;
      ++matches;
    }
  }
  ERR_clear_error();
  if (matches != 1) {
    out.reason = file + "'s SignerInfo names no certificate " + file + " carries" +
                 (matches > 1 ? " unambiguously" : "") + " (RFC 5652 §5.3 sid)";
    return false;
  }
  CMS_SignerInfo_set1_signer_cert(si, by_rdn_order);
  out.signer_issuer_rdn_order = true;
  return true;
}

SignatureCheck check_cms_signature(const lds::SignedData& sd, const std::string& file = "EF.SOD") {
  SignatureCheck out;
  const ByteView content_info = sd.content_info;
  crypto::BioPtr in(BIO_new_mem_buf(content_info.data(), static_cast<int>(content_info.size())));
  crypto::CmsPtr cms(d2i_CMS_bio(in.get(), nullptr));
  if (!cms) {
    out.reason = file + "'s CMS structure is not readable by OpenSSL: " + crypto::openssl_last_error();
    return out;
  }
  if (!match_signer(cms.get(), sd, file, out)) return out;
  STACK_OF(X509)* signers = nullptr;
  crypto::BioPtr content(BIO_new(BIO_s_mem()));
  // The chain is checked separately against the trust store (TrustStore::verify_signer), so no
  // store here; CMS_verify still checks the signed attributes' message digest and the signature.
  if (CMS_verify(cms.get(), nullptr, nullptr, nullptr, content.get(), CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY) != 1) {
    out.reason = file + " signature does not verify: " + crypto::openssl_last_error();
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
  SignatureCheck sig = check_cms_signature(sd, file);
  v.leniencies.signer_issuer_rdn_order = sig.signer_issuer_rdn_order;
  if (!sig.ok) {
    v.reason = sig.reason;
    return v;
  }
  if (!equal_bytes(sig.content, econtent)) {
    v.reason = file + " signed content differs from the parsed " + content;
    return v;
  }
  v.signature_ok = true;
  // The signer's own key, with or without a trust store: explicit EC parameters must be a
  // standardized curve (the chain check below applies the same rule to every certificate).
  {
    const unsigned char* p = sig.signer_der.data();
    crypto::X509Ptr signer(d2i_X509(nullptr, &p, static_cast<long>(sig.signer_der.size())));
    const ExplicitEcParams params = signer ? explicit_ec_params(signer.get()) : ExplicitEcParams{};
    ERR_clear_error();
    v.leniencies.explicit_ec_params = params.is_explicit;
    if (params.is_explicit && !params.refusal.empty()) {
      v.reason = file + "'s signer certificate: " + params.refusal;
      return v;
    }
  }
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
  v.leniencies.explicit_ec_params = v.leniencies.explicit_ec_params || !chain->explicit_ec_params.empty();
  v.chain = std::move(chain).value();
  v.status = PassiveStatus::kValid;
  return v;
}

}  // namespace

std::vector<std::string> leniency_names(const Leniencies& leniencies) {
  std::vector<std::string> out;
  if (leniencies.ber) out.emplace_back("ber");
  if (leniencies.id_data_content_type) out.emplace_back("id_data_content_type");
  if (leniencies.explicit_ec_params) out.emplace_back("explicit_ec_params");
  if (leniencies.signer_issuer_rdn_order) out.emplace_back("signer_issuer_rdn_order");
  return out;
}

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
  // BER indefinite lengths and an id-data eContentType are named leniencies: some issuing states
  // write EF.SOD that way.
  IDTAP_ASSIGN_OR_RETURN(lds::EfSod sod, lds::parse_ef_sod(ef_sod, lds::EfSodOptions{.allow_ber = true,
                                                                                     .allow_id_data_content_type = true}));
  v.used_ber = sod.signed_data.used_ber;
  const Leniencies parsed{.ber = sod.signed_data.used_ber, .id_data_content_type = sod.id_data_content_type};
  v.leniencies = parsed;
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
  v.leniencies.ber = parsed.ber;
  v.leniencies.id_data_content_type = parsed.id_data_content_type;
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
  v.leniencies.ber = cs.signed_data.used_ber;
  return v;
}

}  // namespace idtap::auth
