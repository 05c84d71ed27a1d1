#include "idtap/lds/signed_data.h"

#include <memory>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "idtap/lds/oid.h"
#include "idtap/crypto/ossl_ptr.h"

namespace idtap::lds {
namespace {

using apdu::Tlv;
using apdu::TlvMode;
using apdu::TlvReader;

using CmsPtr = crypto::CmsPtr;

Error bad(const std::string& why) { return make_error(ErrorCode::kMalformed, "CMS SignedData: " + why); }

// read_attributes: contentType and messageDigest from the SignedAttributes content.
Status read_attributes(ByteView content, TlvMode mode, SignerInfoData& si) {
  TlvReader attrs(content, mode);
  if (attrs.empty()) return bad("empty signed attributes");
  while (!attrs.empty()) {
    IDTAP_ASSIGN_OR_RETURN(TlvReader attr, attrs.enter(der::kSequence));
    IDTAP_ASSIGN_OR_RETURN(Oid type, der::read_oid(attr));
    IDTAP_ASSIGN_OR_RETURN(TlvReader values, attr.enter(der::kSet));
    IDTAP_TRY(attr.expect_end());
    // RFC 5652 §11.1, §11.2: exactly one value each.
    if (type == oid::kAttrMessageDigest) {
      if (si.message_digest) return bad("messageDigest attribute repeated");
      IDTAP_ASSIGN_OR_RETURN(Tlv v, values.read(der::kOctetString));
      IDTAP_TRY(values.expect_end());
      si.message_digest = to_bytes(v.value);
    } else if (type == oid::kAttrContentType) {
      if (si.content_type) return bad("contentType attribute repeated");
      IDTAP_ASSIGN_OR_RETURN(Oid ct, der::read_oid(values));
      IDTAP_TRY(values.expect_end());
      si.content_type = std::move(ct);
    } else {
      while (!values.empty()) IDTAP_TRY(values.next());
    }
  }
  return ok_status();
}

Result<SignerInfoData> read_signer_info(TlvReader si_reader) {
  const TlvMode mode = si_reader.mode();
  SignerInfoData si;
  IDTAP_ASSIGN_OR_RETURN(int64_t version, der::read_integer(si_reader));
  if (version != 1 && version != 3) return bad("SignerInfo version " + std::to_string(version));
  si.version = static_cast<int>(version);
  // SignerIdentifier ::= CHOICE { issuerAndSerialNumber, subjectKeyIdentifier [0] }
  IDTAP_ASSIGN_OR_RETURN(uint32_t sid_tag, si_reader.peek_tag());
  if (sid_tag == der::kSequence) {
    IDTAP_ASSIGN_OR_RETURN(TlvReader ias, si_reader.enter(der::kSequence));
    IDTAP_ASSIGN_OR_RETURN(Tlv issuer, ias.read(der::kSequence));
    IDTAP_ASSIGN_OR_RETURN(Tlv serial, ias.read(der::kInteger));
    IDTAP_TRY(ias.expect_end());
    si.issuer = to_bytes(issuer.raw);
    si.serial_number = to_bytes(serial.value);
  } else if (sid_tag == 0x80) {
    IDTAP_ASSIGN_OR_RETURN(Tlv ski, si_reader.read(0x80));
    si.subject_key_identifier = to_bytes(ski.value);
  } else {
    return bad("unknown SignerIdentifier");
  }
  IDTAP_ASSIGN_OR_RETURN(si.digest_algorithm, der::read_algorithm_identifier(si_reader));
  IDTAP_ASSIGN_OR_RETURN(auto signed_attrs, si_reader.read_optional(0xA0));
  if (signed_attrs) {
    // RFC 5652 §5.4: the signature covers the DER of SignedAttributes with the SET OF tag.
    si.signed_attributes = apdu::encode_tlv(der::kSet, signed_attrs->value);
    IDTAP_TRY(read_attributes(signed_attrs->value, mode, si));
    if (!si.message_digest || !si.content_type) return bad("signed attributes without messageDigest / contentType");
  }
  IDTAP_ASSIGN_OR_RETURN(si.signature_algorithm, der::read_algorithm_identifier(si_reader));
  IDTAP_ASSIGN_OR_RETURN(Tlv sig, si_reader.read(der::kOctetString));
  if (sig.value.empty()) return bad("empty signature");
  si.signature = to_bytes(sig.value);
  IDTAP_TRY(si_reader.read_optional(0xA1));  // unsignedAttrs: not used
  IDTAP_TRY(si_reader.expect_end());
  return si;
}

// check_segments: the contents of a BER constructed OCTET STRING (24) hold only OCTET STRING
// segments, primitive or (to a small depth) constructed again (X.690 §8.7.3.2). OpenSSL joins
// segments of any tag, so this is checked here.
Status check_segments(ByteView content, TlvMode mode, int depth) {
  if (depth > 4) return bad("eContent: constructed OCTET STRING nested too deep");
  TlvReader segments(content, mode);
  while (!segments.empty()) {
    IDTAP_ASSIGN_OR_RETURN(Tlv segment, segments.next());
    if (segment.tag == 0x24) {
      IDTAP_TRY(check_segments(segment.value, mode, depth + 1));
    } else if (segment.tag != der::kOctetString) {
      return bad("eContent: a segment of the constructed OCTET STRING is not an OCTET STRING");
    }
  }
  return ok_status();
}

// walk: the structure read with TlvReader in `mode`; everything but eContent.
Result<SignedData> walk(ByteView ci, TlvMode mode) {
  SignedData out;
  TlvReader top(ci, mode);
  IDTAP_ASSIGN_OR_RETURN(TlvReader content_info, top.enter(der::kSequence));
  IDTAP_TRY(top.expect_end());
  IDTAP_ASSIGN_OR_RETURN(Oid type, der::read_oid(content_info));
  if (type != oid::kSignedData) return bad("content type is not id-signedData");
  IDTAP_ASSIGN_OR_RETURN(TlvReader explicit_content, content_info.enter(0xA0));
  IDTAP_TRY(content_info.expect_end());
  IDTAP_ASSIGN_OR_RETURN(TlvReader sd, explicit_content.enter(der::kSequence));
  IDTAP_TRY(explicit_content.expect_end());
  IDTAP_ASSIGN_OR_RETURN(int64_t version, der::read_integer(sd));
  if (version < 1 || version > 5) return bad("SignedData version " + std::to_string(version));
  out.version = static_cast<int>(version);
  IDTAP_ASSIGN_OR_RETURN(TlvReader digests, sd.enter(der::kSet));
  while (!digests.empty()) {
    IDTAP_ASSIGN_OR_RETURN(auto alg, der::read_algorithm_identifier(digests));
    out.digest_algorithms.push_back(std::move(alg));
  }
  IDTAP_ASSIGN_OR_RETURN(TlvReader encap, sd.enter(der::kSequence));
  IDTAP_ASSIGN_OR_RETURN(out.econtent_type, der::read_oid(encap));
  IDTAP_ASSIGN_OR_RETURN(auto econtent, encap.read_optional(0xA0));
  if (!econtent) return bad("detached content (no eContent)");
  IDTAP_TRY(encap.expect_end());
  {
    TlvReader inner(econtent->value, mode);
    IDTAP_ASSIGN_OR_RETURN(Tlv octets, inner.next());
    // OCTET STRING, primitive (04) or, in BER, constructed from segments (24).
    if (octets.tag != der::kOctetString && !(mode == TlvMode::kBerLenient && octets.tag == 0x24))
      return bad("eContent is not an OCTET STRING");
    if (octets.tag == 0x24) IDTAP_TRY(check_segments(octets.value, mode, 1));
    IDTAP_TRY(inner.expect_end());
  }
  IDTAP_ASSIGN_OR_RETURN(auto certs, sd.read_optional(0xA0));
  if (certs) {
    TlvReader list(certs->value, mode);
    while (!list.empty()) {
      IDTAP_ASSIGN_OR_RETURN(Tlv cert, list.next());
      out.certificates.push_back(to_bytes(cert.raw));
    }
  }
  IDTAP_ASSIGN_OR_RETURN(auto crls, sd.read_optional(0xA1));
  if (crls) {
    TlvReader list(crls->value, mode);
    while (!list.empty()) {
      IDTAP_ASSIGN_OR_RETURN(Tlv crl, list.next());
      out.crls.push_back(to_bytes(crl.raw));
    }
  }
  IDTAP_ASSIGN_OR_RETURN(TlvReader signers, sd.enter(der::kSet));
  IDTAP_TRY(sd.expect_end());
  while (!signers.empty()) {
    IDTAP_ASSIGN_OR_RETURN(TlvReader si, signers.enter(der::kSequence));
    auto info = read_signer_info(si);
    if (!info.ok()) return std::move(info).error().with_context("SignerInfo #" + std::to_string(out.signer_infos.size()));
    out.signer_infos.push_back(std::move(info).value());
  }
  if (out.signer_infos.empty()) return bad("no SignerInfo");
  return out;
}

}  // namespace

Result<SignedData> parse_signed_data(ByteView ci, const SignedDataOptions& options) {
  auto walked = walk(ci, TlvMode::kDer);
  bool used_ber = false;
  if (!walked.ok() && options.allow_ber) {
    auto lenient = walk(ci, TlvMode::kBerLenient);
    if (lenient.ok()) {
      walked = std::move(lenient);
      used_ber = true;
    }
  }
  if (!walked.ok()) return walked;
  SignedData out = std::move(walked).value();
  out.used_ber = used_ber;
  out.content_info = to_bytes(ci);
  // OpenSSL's CMS parser must agree (Passive Authentication hands it the same bytes).
  const unsigned char* p = ci.data();
  CmsPtr cms(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(ci.size())));
  if (!cms || p != ci.data() + ci.size()) return bad("OpenSSL's CMS parser rejects the structure");
  if (OBJ_obj2nid(CMS_get0_type(cms.get())) != NID_pkcs7_signed) return bad("not SignedData (OpenSSL)");
  ASN1_OCTET_STRING** content = CMS_get0_content(cms.get());
  if (content == nullptr || *content == nullptr) return bad("no eContent (OpenSSL)");
  out.econtent.assign(ASN1_STRING_get0_data(*content), ASN1_STRING_get0_data(*content) + ASN1_STRING_length(*content));
  STACK_OF(CMS_SignerInfo)* sis = CMS_get0_SignerInfos(cms.get());
  if (sis == nullptr || static_cast<size_t>(sk_CMS_SignerInfo_num(sis)) != out.signer_infos.size())
    return bad("SignerInfo count differs between parsers");
  return out;
}

Result<Bytes> create_signed_data(ByteView econtent_type, ByteView econtent, const CmsSigner& signer) {
  const unsigned char* kp = signer.private_key_pkcs8.data();
  crypto::EvpPkeyPtr key(d2i_AutoPrivateKey(nullptr, &kp, static_cast<long>(signer.private_key_pkcs8.size())));
  if (!key) return make_error(ErrorCode::kInvalidArgument, "CMS signer: private key does not load (PKCS#8 DER expected)");
  const unsigned char* cp = signer.certificate.data();
  crypto::X509Ptr cert(d2i_X509(nullptr, &cp, static_cast<long>(signer.certificate.size())));
  if (!cert) return make_error(ErrorCode::kInvalidArgument, "CMS signer: certificate does not load");
  if (X509_check_private_key(cert.get(), key.get()) != 1)
    return make_error(ErrorCode::kInvalidArgument, "CMS signer: the key does not match the certificate");
  const int base = EVP_PKEY_get_base_id(key.get());
  const bool is_rsa = base == EVP_PKEY_RSA;
  if ((signer.scheme == SignatureScheme::kEcdsa) != (base == EVP_PKEY_EC) ||
      (signer.scheme != SignatureScheme::kEcdsa && !is_rsa))
    return make_error(ErrorCode::kInvalidArgument, "CMS signer: signature scheme does not match the key type");
  const EVP_MD* md = EVP_sha256();
  switch (signer.hash) {
    case crypto::HashAlg::kSha1: md = EVP_sha1(); break;
    case crypto::HashAlg::kSha224: md = EVP_sha224(); break;
    case crypto::HashAlg::kSha256: md = EVP_sha256(); break;
    case crypto::HashAlg::kSha384: md = EVP_sha384(); break;
    case crypto::HashAlg::kSha512: md = EVP_sha512(); break;
  }
  auto dotted = oid_to_string(econtent_type);
  if (!dotted.ok()) return make_error(ErrorCode::kInvalidArgument, "CMS: bad eContentType");
  crypto::Asn1ObjectPtr type(OBJ_txt2obj(dotted->c_str(), 1));
  const unsigned flags = CMS_BINARY | CMS_PARTIAL | CMS_NOSMIMECAP;
  CmsPtr cms(CMS_sign(nullptr, nullptr, nullptr, nullptr, flags));
  if (!cms || !type || CMS_set1_eContentType(cms.get(), type.get()) != 1)
    return make_error(ErrorCode::kInternal, "CMS: cannot start SignedData");
  const unsigned signer_flags = flags | (signer.scheme == SignatureScheme::kRsaPss ? CMS_KEY_PARAM : 0);
  CMS_SignerInfo* si = CMS_add1_signer(cms.get(), cert.get(), key.get(), md, signer_flags);
  if (si == nullptr) return make_error(ErrorCode::kInternal, "CMS: cannot add the signer");
  if (signer.scheme == SignatureScheme::kRsaPss) {
    EVP_PKEY_CTX* pctx = CMS_SignerInfo_get0_pkey_ctx(si);
    if (pctx == nullptr || EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) <= 0 ||
        EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) <= 0 || EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) <= 0)
      return make_error(ErrorCode::kInternal, "CMS: cannot set RSA-PSS parameters");
  }
  crypto::BioPtr in(BIO_new_mem_buf(econtent.data(), static_cast<int>(econtent.size())));
  if (!in || CMS_final(cms.get(), in.get(), nullptr, CMS_BINARY) != 1) return make_error(ErrorCode::kInternal, "CMS: signing failed");
  unsigned char* der = nullptr;
  const int len = i2d_CMS_ContentInfo(cms.get(), &der);
  if (len <= 0) return make_error(ErrorCode::kInternal, "CMS: cannot encode");
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}

}  // namespace idtap::lds
