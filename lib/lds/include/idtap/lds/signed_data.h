// idtap/lds/signed_data.h: CMS SignedData (RFC 5652 §5) as EF.SOD and EF.CardSecurity carry it:
// parsed without verifying (Passive Authentication verifies), and created for personalization.
// OpenSSL's CMS parser must accept the structure; the exact bytes a verifier needs (certificates,
// signed attributes) are taken from the encoding itself.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "idtap/apdu/tlv.h"
#include "idtap/base/bytes.h"
#include "idtap/base/result.h"
#include "idtap/base/secure_bytes.h"
#include "idtap/crypto/hash.h"
#include "idtap/lds/der.h"

namespace idtap::lds {

// SignerInfoData: one SignerInfo, everything a verifier needs.
struct SignerInfoData {
  int version = 1;                        // 1: issuerAndSerialNumber, 3: subjectKeyIdentifier
  std::optional<Bytes> issuer;            // DER Name (version 1)
  std::optional<Bytes> serial_number;     // INTEGER content bytes (version 1)
  std::optional<Bytes> subject_key_identifier;  // (version 3)
  der::AlgorithmIdentifier digest_algorithm;
  // signed_attributes: the DER of SignedAttributes re-tagged as SET (31), exactly the bytes the
  // signature covers (RFC 5652 §5.4); nullopt when the signer signed the content directly.
  std::optional<Bytes> signed_attributes;
  std::optional<Bytes> message_digest;    // the messageDigest attribute's value
  std::optional<Oid> content_type;        // the contentType attribute's value
  der::AlgorithmIdentifier signature_algorithm;
  Bytes signature;
};

// SignedData: the parsed ContentInfo.
struct SignedData {
  Bytes content_info;        // the whole ContentInfo as stored (give to d2i_CMS_ContentInfo)
  int version = 0;
  std::vector<der::AlgorithmIdentifier> digest_algorithms;
  Oid econtent_type;
  Bytes econtent;            // the encapsulated content (BER segments joined)
  std::vector<Bytes> certificates;  // DER, as stored, in order
  std::vector<Bytes> crls;          // DER, as stored
  std::vector<SignerInfoData> signer_infos;
  bool used_ber = false;     // the encoding needed the BER leniency (indefinite lengths)
};

// SignedDataOptions: allow_ber accepts BER (indefinite lengths, as some issuing states write
// EF.SOD): a named leniency, reported in SignedData::used_ber. Strict DER otherwise.
struct SignedDataOptions {
  bool allow_ber = false;
};

// parse_signed_data: decodes a ContentInfo holding SignedData. kMalformed when the encoding is
// not DER (unless allowed), the content type is not id-signedData, the content is detached,
// there is no SignerInfo, a SignerInfo does not parse, or OpenSSL's CMS parser rejects it.
Result<SignedData> parse_signed_data(ByteView content_info, const SignedDataOptions& options = {});

// SignatureScheme: how the Document Signer signs.
enum class SignatureScheme { kEcdsa, kRsaPkcs1, kRsaPss };

// CmsSigner: a signing key and its certificate. The key is PKCS#8 DER (zeroised when freed).
struct CmsSigner {
  SecureBytes private_key_pkcs8;
  Bytes certificate;  // DER X.509
  crypto::HashAlg hash = crypto::HashAlg::kSha256;
  SignatureScheme scheme = SignatureScheme::kEcdsa;  // must match the key type (RSA for PKCS1/PSS)
};

// create_signed_data: a DER ContentInfo with SignedData over `econtent` of type `econtent_type`
// (embedded), one SignerInfo (issuerAndSerialNumber, signed attributes contentType,
// signingTime, messageDigest) and the signer's certificate. kInvalidArgument for a key or
// certificate that does not load or a scheme that does not match the key; kInternal if OpenSSL
// fails to sign.
Result<Bytes> create_signed_data(ByteView econtent_type, ByteView econtent, const CmsSigner& signer);

namespace oid {
// id-signedData 1.2.840.113549.1.7.2; contentType / messageDigest / signingTime attributes
// 1.2.840.113549.1.9.3 / .4 / .5.
inline const Oid kSignedData = {0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x02};
inline const Oid kAttrContentType = {0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x03};
inline const Oid kAttrMessageDigest = {0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x04};
inline const Oid kAttrSigningTime = {0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x05};
// id-data 1.2.840.113549.1.7.1 (RFC 5652 §4): what some issuing states write as EF.SOD's
// eContentType instead of the ICAO type.
inline const Oid kData = {0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x01};
// id-icao-mrtd-security-ldsSecurityObject 2.23.136.1.1.1 (ICAO 9303-10 §4.6.2.2).
inline const Oid kLdsSecurityObject = {0x67, 0x81, 0x08, 0x01, 0x01, 0x01};
// id-SecurityObject 0.4.0.127.0.7.3.2.1 (BSI TR-03110-3 §A.1.2.5): EF.CardSecurity's content.
inline const Oid kSecurityObject = {0x04, 0x00, 0x7F, 0x00, 0x07, 0x03, 0x02, 0x01};
}  // namespace oid

}  // namespace idtap::lds
