// Personalization of the simulated card: data groups, chip keys, PKI, EF.SOD, card image.
#include "idtap/sim/personalize.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <memory>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "idtap/apdu/tlv.h"
#include "idtap/crypto/hash.h"
#include "idtap/lds/card_security.h"
#include "idtap/lds/dg1.h"
#include "idtap/lds/dg11.h"
#include "idtap/lds/dg12.h"
#include "idtap/lds/dg14.h"
#include "idtap/lds/dg15.h"
#include "idtap/lds/dg2.h"
#include "idtap/lds/ef_com.h"
#include "idtap/lds/ef_sod.h"
#include "idtap/lds/files.h"
#include "idtap/lds/mrz.h"
#include "idtap/lds/security_infos.h"
#include "idtap/crypto/ossl_ptr.h"

namespace idtap::sim {
namespace {

using KeyPtr = crypto::EvpPkeyPtr;

Error bad_option(const std::string& what) { return make_error(ErrorCode::kInvalidArgument, what); }

// OpenSSL group names of the standardized domain parameters (ICAO 9303-11 §9.5.1 Table 12).
const char* openssl_curve(int parameter_id) {
  switch (parameter_id) {
    case 8: return "prime192v1";
    case 9: return "brainpoolP192r1";
    case 10: return "secp224r1";
    case 11: return "brainpoolP224r1";
    case 12: return "prime256v1";
    case 13: return "brainpoolP256r1";
    case 14: return "brainpoolP320r1";
    case 15: return "secp384r1";
    case 16: return "brainpoolP384r1";
    case 17: return "brainpoolP512r1";
    case 18: return "secp521r1";
    default: return nullptr;
  }
}

// OpenSSL group names of the DH standardized domain parameters (ICAO 9303-11 §9.5.1 Table 12,
// IDs 0-2: the RFC 5114 groups).
const char* openssl_dh_group(int parameter_id) {
  switch (parameter_id) {
    case 0: return "dh_1024_160";
    case 1: return "dh_2048_224";
    case 2: return "dh_2048_256";
    default: return nullptr;
  }
}

// ca_key_name: what the summary shows for the CA key of `parameter_id`.
std::string ca_key_name(int parameter_id) {
  if (const char* dh = openssl_dh_group(parameter_id)) return std::string("DH ") + dh + " (RFC 5114)";
  const char* curve = openssl_curve(parameter_id);
  return curve ? curve : "?";
}

// ChipKey: a generated key with what the card image and the data groups need of it.
struct ChipKey {
  KeyPtr key;
  Bytes spki;          // DER SubjectPublicKeyInfo (DG14 / DG15 / EF.CardSecurity)
  SecureBytes pem;     // PKCS#8 PEM (chip/*.pem)
};


// generate_dh: an X9.42 DH key ("DHX": p, q and g travel with it, so the SubjectPublicKeyInfo is
// dhpublicnumber with DomainParameters, RFC 3279 §2.3.3, as ICAO 9303-11 §9.4 / BSI TR-03110-3
// A.1.1.1 encode an id-PK-DH key) in the named RFC 5114 group. nullptr on failure.
EVP_PKEY* generate_dh(const char* group) {
  crypto::EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "DHX", nullptr));
  OSSL_PARAM params[2] = {OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, const_cast<char*>(group), 0),
                          OSSL_PARAM_construct_end()};
  EVP_PKEY* key = nullptr;
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 || EVP_PKEY_CTX_set_params(ctx.get(), params) != 1 ||
      EVP_PKEY_generate(ctx.get(), &key) != 1)
    return nullptr;
  return key;
}

// generate_key: an RSA-2048 key, or a key on the standardized domain parameters `parameter_id`
// (8..18 an ECDH curve, 0..2 a DH group).
Result<ChipKey> generate_key(bool rsa, int parameter_id) {
  ChipKey k;
  if (rsa) {
    k.key.reset(EVP_RSA_gen(2048));
  } else if (const char* group = openssl_dh_group(parameter_id)) {
    k.key.reset(generate_dh(group));
  } else {
    const char* curve = openssl_curve(parameter_id);
    if (curve == nullptr) return bad_option("no ECDH curve or DH group for domain parameter ID " + std::to_string(parameter_id));
    k.key.reset(EVP_EC_gen(curve));
  }
  if (!k.key) return make_error(ErrorCode::kInternal, "personalization: key generation failed");
  unsigned char* der = nullptr;
  const int len = i2d_PUBKEY(k.key.get(), &der);
  if (len <= 0) return make_error(ErrorCode::kInternal, "personalization: cannot encode a public key");
  k.spki.assign(der, der + len);
  OPENSSL_free(der);
  crypto::BioPtr bio(BIO_new(BIO_s_secmem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), k.key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1)
    return make_error(ErrorCode::kInternal, "personalization: cannot encode a private key");
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  k.pem.assign(data, data + n);
  return k;
}

// pem_of: DER wrapped as PEM with `label` ("CERTIFICATE", "X509 CRL", "PRIVATE KEY").
Bytes pem_of(ByteView der, const char* label) {
  crypto::BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio(bio.get(), label, "", der.data(), static_cast<long>(der.size()));
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return Bytes(data, data + n);
}

Result<lds::Oid> pace_protocol(PaceMapping mapping, crypto::CipherAlg cipher) {
  // id-PACE-ECDH-{GM .2, IM .4, CAM .6}-{3DES .1, AES-128 .2, -192 .3, -256 .4} (ICAO 9303-11
  // §9.2.1; BSI TR-03110-3 Table A.2).
  const uint8_t m = mapping == PaceMapping::kGeneric ? 2 : mapping == PaceMapping::kIntegrated ? 4 : 6;
  const uint8_t c = cipher == crypto::CipherAlg::kTdes ? 1 : cipher == crypto::CipherAlg::kAes128 ? 2
                    : cipher == crypto::CipherAlg::kAes192 ? 3 : 4;
  if (mapping == PaceMapping::kChipAuthentication && c == 1) return bad_option("PACE-CAM is defined for AES only");
  lds::Oid oid = lds::oid::kPace;
  oid.push_back(m);
  oid.push_back(c);
  return oid;
}

// ca_protocol: id-CA-{DH .1, ECDH .2}-{3DES .1, AES-128 .2, -192 .3, -256 .4} (ICAO 9303-11
// §9.2.6, BSI TR-03110-3 A.1.1.2).
lds::Oid ca_protocol(bool dh, crypto::CipherAlg cipher) {
  lds::Oid oid = lds::oid::kCa;
  oid.push_back(dh ? 1 : 2);
  oid.push_back(cipher == crypto::CipherAlg::kTdes ? 1 : cipher == crypto::CipherAlg::kAes128 ? 2
                : cipher == crypto::CipherAlg::kAes192 ? 3 : 4);
  return oid;
}

// unsigned_group: the content of a data group written to the card and EF.COM but left out of
// EF.SOD. DG16 (persons to notify, ICAO 9303-10 §4.7.16): 70 { 02 count, A1 { 5F50 date
// recorded, 5F51 name, 5F52 telephone, 5F53 address } }; DG13 (optional details, issuer-defined
// content): 6D { 53 text }.
Result<Bytes> unsigned_group(int dg, const Date& today) {
  apdu::TlvWriter w;
  if (dg == 16) {
    w.open(0x70).add_uint(0x02, 1).open(0xA1);
    w.add(0x5F50, bytes_of(lds::format_yyyymmdd(today)));
    w.add(0x5F51, bytes_of("HONG<<CHUNHYANG"));
    w.add(0x5F52, bytes_of("+82-2-0000-0000"));
    w.add(0x5F53, bytes_of("SEOUL<KOREA"));
    w.close().close();
  } else if (dg == 13) {
    w.open(0x6D).add(0x53, bytes_of("idtap: optional details, not signed")).close();
  } else {
    return bad_option("--unsigned-dg dg" + std::to_string(dg) + ": only dg13 and dg16 can be added unsigned");
  }
  return w.finish();
}

lds::Oid aa_signature_oid(crypto::HashAlg hash) {
  switch (hash) {
    case crypto::HashAlg::kSha1: return lds::oid::kEcdsaPlainSha1;
    case crypto::HashAlg::kSha224: return lds::oid::kEcdsaPlainSha224;
    case crypto::HashAlg::kSha256: return lds::oid::kEcdsaPlainSha256;
    case crypto::HashAlg::kSha384: return lds::oid::kEcdsaPlainSha384;
    case crypto::HashAlg::kSha512: return lds::oid::kEcdsaPlainSha512;
  }
  return lds::oid::kEcdsaPlainSha256;
}

const char* cipher_label(crypto::CipherAlg c) {
  switch (c) {
    case crypto::CipherAlg::kTdes: return "3des";
    case crypto::CipherAlg::kAes128: return "aes128";
    case crypto::CipherAlg::kAes192: return "aes192";
    case crypto::CipherAlg::kAes256: return "aes256";
  }
  return "?";
}
const char* ds_name(DsKeyType t) { return t == DsKeyType::kEcdsa ? "ecdsa" : t == DsKeyType::kRsa ? "rsa" : "rsa-pss"; }
const char* aa_name(AaKeyType t) { return t == AaKeyType::kEcdsa ? "ecdsa" : t == AaKeyType::kRsa2048 ? "rsa2048" : "none"; }

// Inputs: everything the data groups are built from, so a tampered copy can be rebuilt with one
// field changed.
struct Inputs {
  std::string mrz;          // concatenated lines
  Bytes face;
  FaceFormat face_format = FaceFormat::kJpeg;
  int face_width = 240, face_height = 320;
  char sex = '<';
  lds::Dg11 dg11;
  lds::Dg12 dg12;
  lds::SecurityInfos dg14;
  std::optional<Bytes> aa_spki;
};

Result<Bytes> build_dg2(const Inputs& in) {
  lds::Iso19794FaceImage img;
  img.gender = in.sex == 'M' ? 1 : in.sex == 'F' ? 2 : 0;
  img.face_image_type = 1;  // full frontal
  img.image_data_type = in.face_format == FaceFormat::kJpeg ? 0 : 1;
  img.width = static_cast<uint16_t>(in.face_width);
  img.height = static_cast<uint16_t>(in.face_height);
  img.colour_space = 1;     // 24-bit RGB
  img.source_type = 2;      // digital still camera
  img.image = in.face;
  lds::BiometricInfo info;
  info.header.version = Bytes{0x01, 0x01};
  info.header.biometric_type = Bytes{0x02};  // facial features (ISO/IEC 7816-11, CBEFF)
  info.iso19794 = lds::Iso19794FacialRecord{{img}};
  lds::Dg2 dg2;
  dg2.infos.push_back(std::move(info));
  return lds::encode_dg2(dg2);
}

Result<Bytes> build_dg14(const Inputs& in) { return lds::encode_dg14(in.dg14); }

// build_groups: every data group of the card from `in`.
Result<std::map<int, Bytes>> build_groups(const Inputs& in) {
  std::map<int, Bytes> g;
  IDTAP_ASSIGN_OR_RETURN(g[1], lds::encode_dg1(in.mrz));
  IDTAP_ASSIGN_OR_RETURN(g[2], build_dg2(in));
  IDTAP_ASSIGN_OR_RETURN(g[11], lds::encode_dg11(in.dg11));
  IDTAP_ASSIGN_OR_RETURN(g[12], lds::encode_dg12(in.dg12));
  IDTAP_ASSIGN_OR_RETURN(g[14], build_dg14(in));
  if (in.aa_spki) {
    IDTAP_ASSIGN_OR_RETURN(g[15], lds::encode_dg15(*in.aa_spki));
  }
  return g;
}

lds::LdsDate next_day(const lds::LdsDate& d) {
  lds::LdsDate out = d;
  if (!d.date) return out;
  const Date n = add_days(*d.date, 1);
  out.date = n;
  out.raw = lds::format_yyyymmdd(n);
  return out;
}

// tamper: `in` with one field of data group `dg` changed (the name, the image, the birth or
// issue date, the chip's public key): the kind of change an attacker would make.
Result<Inputs> tamper(Inputs in, int dg, int ca_parameter_id, AaKeyType aa) {
  switch (dg) {
    case 1: {
      const size_t name_at = in.mrz.size() == 90 ? 60 : 5;
      char& c = in.mrz[name_at];
      c = c == 'Z' ? 'A' : (c >= 'A' && c < 'Z') ? static_cast<char>(c + 1) : 'X';
      return in;
    }
    case 2:
      in.face[in.face.size() / 2] ^= 0x01;
      return in;
    case 11:
      if (!in.dg11.full_date_of_birth) return bad_option("--tamper dg11: no date of birth to change");
      in.dg11.full_date_of_birth = next_day(*in.dg11.full_date_of_birth);
      return in;
    case 12:
      if (!in.dg12.date_of_issue) return bad_option("--tamper dg12: no date of issue to change");
      in.dg12.date_of_issue = next_day(*in.dg12.date_of_issue);
      return in;
    case 14: {
      IDTAP_ASSIGN_OR_RETURN(ChipKey other, generate_key(false, ca_parameter_id));
      for (auto& k : in.dg14.chip_authentication_public_keys) k.subject_public_key_info = other.spki;
      return in;
    }
    case 15: {
      if (!in.aa_spki) return bad_option("--tamper dg15: the card has no DG15 (--aa none)");
      IDTAP_ASSIGN_OR_RETURN(ChipKey other, generate_key(aa == AaKeyType::kRsa2048, 12));
      in.aa_spki = other.spki;
      return in;
    }
    default:
      return bad_option("--tamper dg" + std::to_string(dg) + ": not a data group of this card (1, 2, 11, 12, 14, 15)");
  }
}

std::string can_ok(const SecureBytes& can) {
  if (can.size() != 6 || !std::all_of(can.begin(), can.end(), [](uint8_t c) { return c >= '0' && c <= '9'; }))
    return "--can must be 6 digits";
  return "";
}

uint32_t seed_of(std::string_view s) {
  uint32_t h = 2166136261u;  // FNV-1a: the same holder gets the same synthetic face
  for (char c : s) h = (h ^ static_cast<uint8_t>(c)) * 16777619u;
  return h;
}

}  // namespace

Date card_expiry(const Date& issued) { return anniversary(issued, kCardValidityYears); }

const char* card_profile_name(CardProfile p) {
  switch (p) {
    case CardProfile::kResident: return "resident";
    case CardProfile::kPassport: return "passport";
    case CardProfile::kBoth: return "both";
  }
  return "?";
}

Result<CardProfile> parse_card_profile(std::string_view text) {
  if (text == "resident") return CardProfile::kResident;
  if (text == "passport") return CardProfile::kPassport;
  if (text == "both") return CardProfile::kBoth;
  return bad_option("--profile must be resident, passport or both, not '" + std::string(text) + "'");
}

Result<PersonalizedCard> personalize_card(const PersonalizeOptions& o) {
  const bool with_pace = o.profile != CardProfile::kPassport;
  const bool with_bac = o.profile != CardProfile::kResident;
  if (with_pace) {
    if (auto why = can_ok(o.can); !why.empty()) return bad_option(why);
    if (!openssl_curve(o.pace_parameter_id)) return bad_option("PACE: no ECDH curve for parameter ID " + std::to_string(o.pace_parameter_id));
  }
  const bool cam = with_pace && o.pace_mapping == PaceMapping::kChipAuthentication;
  const int ca_param = cam ? o.pace_parameter_id : o.ca_parameter_id;
  const bool ca_dh = openssl_dh_group(ca_param) != nullptr;
  if (!ca_dh && !openssl_curve(ca_param))
    return bad_option("CA: no ECDH curve or DH group for parameter ID " + std::to_string(ca_param));
  if (!o.card_security && !cam) return bad_option("--no-card-security: only a PACE-CAM card has EF.CardSecurity");
  if (cam && o.ca_cipher == crypto::CipherAlg::kTdes) return bad_option("--ca-cipher 3des: PACE-CAM is defined for AES only");
  for (int dg : o.unsigned_data_groups)
    if (dg != 13 && dg != 16) return bad_option("--unsigned-dg dg" + std::to_string(dg) + ": only dg13 and dg16 can be added unsigned");
  const Date today = o.today.value_or(today_utc());
  const Date issued = o.document.date_of_issue.value_or(today);
  const Date expires = o.document.date_of_expiry.value_or(card_expiry(issued));
  const lds::MrzOptions mrz_options{today};

  // DG1: the given MRZ (check digits verified) or one composed from holder and document.
  std::string mrz_text;
  if (o.mrz) {
    auto parsed = lds::parse_mrz(*o.mrz, mrz_options);
    if (!parsed.ok()) return bad_option("--mrz: " + parsed.error().context);
    if (parsed->format == lds::MrzFormat::kTd2) return bad_option("--mrz: a TD2 MRZ; give a TD1 (3 x 30) or TD3 (2 x 44) one");
    if (auto s = lds::verify_mrz_checks(*parsed); !s.ok()) return bad_option("--mrz: " + s.error().context);
    if (!parsed->date_of_birth.date || !parsed->date_of_expiry.date)
      return bad_option("--mrz: the date of birth and date of expiry must be calendar dates");
    mrz_text = parsed->text;
  } else {
    lds::MrzFields f;
    f.format = o.profile == CardProfile::kResident ? lds::MrzFormat::kTd1 : lds::MrzFormat::kTd3;
    f.document_code = f.format == lds::MrzFormat::kTd1 ? "ID" : "P";
    f.issuing_state = o.document.issuing_state;
    f.document_number = o.document.document_number;
    f.date_of_birth = o.holder.date_of_birth;
    f.sex = o.holder.sex;
    f.date_of_expiry = expires;
    f.nationality = o.holder.nationality;
    f.primary_identifier = o.holder.primary_identifier;
    f.secondary_identifier = o.holder.secondary_identifier;
    auto composed = lds::compose_mrz(f);
    if (!composed.ok()) return bad_option(composed.error().context);
    mrz_text = *composed;
  }
  IDTAP_ASSIGN_OR_RETURN(lds::Mrz mrz, lds::parse_mrz(mrz_text, mrz_options));

  // Chip keys: the CA key (also PACE-CAM's), the AA key; a clone gets other keys in chip/.
  IDTAP_ASSIGN_OR_RETURN(ChipKey ca_key, generate_key(false, ca_param));
  std::optional<ChipKey> aa_key;
  if (o.aa_key != AaKeyType::kNone) {
    IDTAP_ASSIGN_OR_RETURN(aa_key, generate_key(o.aa_key == AaKeyType::kRsa2048, 12));
  }

  // Security infos: EF.CardAccess, DG14, EF.CardSecurity.
  Inputs in;
  in.mrz = mrz_text;
  in.sex = mrz.sex;
  std::optional<lds::PaceInfo> pace_info;
  PaceOffer offer{o.pace_mapping, o.pace_cipher, o.pace_parameter_id};
  if (with_pace) {
    IDTAP_ASSIGN_OR_RETURN(lds::Oid protocol, pace_protocol(o.pace_mapping, o.pace_cipher));
    pace_info = lds::PaceInfo{protocol, 2, o.pace_parameter_id};
    in.dg14.pace.push_back(*pace_info);  // ICAO 9303-11 §9.2.11: DG14 repeats the PACEInfo
  }
  // ChipAuthenticationInfo id-CA-{ECDH,DH}-<cipher>, version 1, and the key as id-PK-ECDH or
  // id-PK-DH (ICAO 9303-11 §9.2.3, §9.2.4).
  in.dg14.chip_authentication.push_back({ca_protocol(ca_dh, o.ca_cipher), 1, std::nullopt});
  in.dg14.chip_authentication_public_keys.push_back({ca_dh ? lds::oid::kPkDh : lds::oid::kPkEcdh, ca_key.spki, std::nullopt});
  if (o.aa_key == AaKeyType::kEcdsa)  // ICAO 9303-11 §9.2.5: only for ECDSA
    in.dg14.active_authentication.push_back({lds::oid::kAa, 1, aa_signature_oid(o.aa_hash)});
  if (aa_key) in.aa_spki = aa_key->spki;

  // DG2: a synthetic face, about 15-20 KB as JPEG unless a size is asked for.
  FaceImageSpec face;
  face.format = o.face_format;
  face.seed = seed_of(o.holder.primary_identifier + o.holder.secondary_identifier);
  if (o.face_bytes != 0 && o.face_format == FaceFormat::kJpeg2000) face.jpeg2000_bytes = o.face_bytes;
  IDTAP_ASSIGN_OR_RETURN(in.face, make_face_image(face));
  if (o.face_bytes != 0 && o.face_format == FaceFormat::kJpeg) {
    // JPEG has no rate control: the lowest quality whose image is at least that large, found by
    // bisection (quality 100 when none is); the best image so far is kept, never re-encoded.
    std::optional<Bytes> best;  // the image at quality `high`, once one reached the size
    int low = 1, high = 100;
    while (low < high) {
      face.jpeg_quality = (low + high) / 2;
      IDTAP_ASSIGN_OR_RETURN(Bytes image, make_face_image(face));
      if (image.size() >= o.face_bytes) {
        high = face.jpeg_quality;
        best = std::move(image);
      } else {
        low = face.jpeg_quality + 1;
      }
    }
    face.jpeg_quality = high;
    if (best) {
      in.face = std::move(*best);
    } else {
      IDTAP_ASSIGN_OR_RETURN(in.face, make_face_image(face));  // quality 100: as large as it gets
    }
  }
  in.face_format = o.face_format;
  in.face_width = face.width;
  in.face_height = face.height;

  // DG11 / DG12.
  in.dg11.full_name = o.holder.full_name;
  in.dg11.other_names = {mrz.primary_identifier + "<<" + mrz.secondary_identifier};
  for (auto& ch : in.dg11.other_names[0])
    if (ch == ' ') ch = '<';
  if (!o.holder.personal_number.empty()) in.dg11.personal_number = o.holder.personal_number;
  const Date birth = mrz.date_of_birth.date.value_or(o.holder.date_of_birth);
  in.dg11.full_date_of_birth = lds::LdsDate{lds::format_yyyymmdd(birth), birth, false};
  if (!o.holder.place_of_birth.empty()) in.dg11.place_of_birth = o.holder.place_of_birth;
  if (!o.holder.address.empty()) in.dg11.address = o.holder.address;
  if (!o.holder.telephone.empty()) in.dg11.telephone = o.holder.telephone;
  if (!o.document.issuing_authority.empty()) in.dg12.issuing_authority = o.document.issuing_authority;
  in.dg12.date_of_issue = lds::LdsDate{lds::format_yyyymmdd(issued), issued, false};
  in.dg12.personalization_time = lds::format_yyyymmdd(today) + "090000";
  in.dg12.personalization_device = "idtap-sim";

  IDTAP_ASSIGN_OR_RETURN(auto groups, build_groups(in));

  // EF.SOD over the genuine data groups (LDS 1.8: LDSSecurityObject v1).
  IDTAP_ASSIGN_OR_RETURN(TestPki pki, create_test_pki(PkiOptions{o.ds_key, "KR", o.today}));
  lds::LdsSecurityObject lso;
  lso.hash_algorithm.algorithm = lds::digest_oid(o.sod_hash);
  lso.version_info = lds::LdsVersionInfo{"0108", "040000"};
  for (const auto& [n, bytes] : groups) {
    IDTAP_ASSIGN_OR_RETURN(Bytes h, crypto::digest(o.sod_hash, bytes));
    lso.hashes.push_back({n, std::move(h)});
  }
  const lds::CmsSigner signer = cms_signer(pki, o.sod_hash);
  IDTAP_ASSIGN_OR_RETURN(Bytes sod, lds::create_ef_sod(lso, signer));

  // Tampering: data groups changed after signing.
  std::vector<int> tampered = o.tamper;
  std::sort(tampered.begin(), tampered.end());
  tampered.erase(std::unique(tampered.begin(), tampered.end()), tampered.end());
  for (int dg : tampered) {
    IDTAP_ASSIGN_OR_RETURN(Inputs changed, tamper(in, dg, ca_param, o.aa_key));
    IDTAP_ASSIGN_OR_RETURN(auto rebuilt, build_groups(changed));
    groups[dg] = rebuilt[dg];
  }
  // Unsigned data groups: on the card and in EF.COM, not in EF.SOD.
  std::vector<int> unsigned_groups = o.unsigned_data_groups;
  std::sort(unsigned_groups.begin(), unsigned_groups.end());
  unsigned_groups.erase(std::unique(unsigned_groups.begin(), unsigned_groups.end()), unsigned_groups.end());
  for (int dg : unsigned_groups) {
    IDTAP_ASSIGN_OR_RETURN(groups[dg], unsigned_group(dg, today));
  }

  PersonalizedCard out;
  CardImage& image = out.image;
  image.config.bac = with_bac;
  image.config.pace = with_pace;
  if (with_pace) {
    image.config.can = o.can;
    image.config.pace_offers = {offer};
  }
  // The MRZ key: the document number as printed (9 characters with fillers, or the whole long
  // number), the two dates (ICAO 9303-11 §4.3.2.1).
  std::string number = mrz.document_number;
  if (number.size() < 9) number.append(9 - number.size(), '<');
  image.config.mrz.document_number = secure_copy(bytes_of(number));
  image.config.mrz.date_of_birth = secure_copy(bytes_of(mrz.date_of_birth.raw));
  image.config.mrz.date_of_expiry = secure_copy(bytes_of(mrz.date_of_expiry.raw));
  image.config.ca_ciphers = {o.ca_cipher};
  image.config.aa_hash = o.aa_hash;
  image.config.quirks = o.quirks;
  image.config.quirks.cloned_chip = o.quirks.cloned_chip || o.cloned;

  lds::EfCom com;
  com.lds_version = "0108";
  for (const auto& [n, bytes] : groups) com.tags.push_back(lds::data_group(n)->tag);
  IDTAP_ASSIGN_OR_RETURN(image.files.com, lds::encode_ef_com(com));
  image.files.sod = std::move(sod);
  image.files.data_groups = groups;
  if (pace_info) {
    lds::SecurityInfos access;
    access.pace.push_back(*pace_info);
    IDTAP_ASSIGN_OR_RETURN(image.files.card_access, lds::encode_security_infos(access));
    if (cam && o.card_security) {
      // PACE-CAM needs the chip's static key in a signed EF.CardSecurity (ICAO 9303-11 §4.4.3.5);
      // without one the terminal takes it from DG14 (as some early CAM cards require).
      lds::SecurityInfos security;
      security.pace.push_back(*pace_info);
      security.chip_authentication = in.dg14.chip_authentication;
      security.chip_authentication_public_keys = in.dg14.chip_authentication_public_keys;
      IDTAP_ASSIGN_OR_RETURN(image.files.card_security, lds::create_card_security(security, signer));
    }
  }
  if (o.cloned) {
    // A clone holds the genuine files but its own keys.
    IDTAP_ASSIGN_OR_RETURN(ChipKey clone_ca, generate_key(false, ca_param));
    image.chip.ca_key_pem = std::move(clone_ca.pem);
    if (aa_key) {
      IDTAP_ASSIGN_OR_RETURN(ChipKey clone_aa, generate_key(o.aa_key == AaKeyType::kRsa2048, 12));
      image.chip.aa_key_pem = std::move(clone_aa.pem);
    }
  } else {
    image.chip.ca_key_pem = ca_key.pem;
    if (aa_key) image.chip.aa_key_pem = aa_key->pem;
  }
  // pki/: for tests that sign more things; the card never reads it. Throw-away keys, PEM.
  image.pki["csca_cert.pem"] = pem_of(pki.csca_cert, "CERTIFICATE");
  image.pki["csca_key.pem"] = pem_of(pki.csca_key, "PRIVATE KEY");
  image.pki["ds_cert.pem"] = pem_of(pki.ds_cert, "CERTIFICATE");
  image.pki["ds_key.pem"] = pem_of(pki.ds_key, "PRIVATE KEY");
  image.pki["csca_crl.pem"] = pem_of(pki.crl, "X509 CRL");

  PersonalizeSummary& s = out.summary;
  s.out_dir = o.out_dir;
  s.profile = o.profile;
  s.mrz_format = mrz.format;
  if (image.files.card_access) s.files.emplace_back("ef_cardaccess.bin", image.files.card_access->size());
  if (image.files.card_security) s.files.emplace_back("ef_cardsecurity.bin", image.files.card_security->size());
  s.files.emplace_back("ef_com.bin", image.files.com->size());
  s.files.emplace_back("ef_sod.bin", image.files.sod->size());
  for (const auto& [n, bytes] : image.files.data_groups) s.files.emplace_back("dg" + std::to_string(n) + ".bin", bytes.size());
  s.face_format = lds::detect_image_format(in.face);
  s.face_bytes = in.face.size();
  if (with_pace) s.pace = pace_offer_name(offer);
  s.ca_curve = ca_key_name(ca_param);
  s.ca_cipher = cipher_label(o.ca_cipher);
  s.unsigned_data_groups = unsigned_groups;
  s.aa = aa_name(o.aa_key);
  s.ds = ds_name(o.ds_key);
  s.sod_hash = crypto::hash_name(o.sod_hash);
  s.tampered = tampered;
  s.cloned = o.cloned;
  return out;
}

Status personalize(const PersonalizeOptions& options, PersonalizeSummary* summary) {
  if (options.out_dir.empty()) return bad_option("--out DIR is required");
  struct stat st{};
  if (::stat(options.out_dir.c_str(), &st) == 0) {
    struct stat conf{};
    if (!S_ISDIR(st.st_mode) || ::stat((options.out_dir + "/card.conf").c_str(), &conf) != 0)
      return bad_option("--out " + options.out_dir + " exists and is not a card image (no card.conf): not replacing it");
  }
  IDTAP_ASSIGN_OR_RETURN(PersonalizedCard card, personalize_card(options));
  IDTAP_TRY(write_card_image(options.out_dir, card.image));
  if (summary) *summary = std::move(card.summary);
  return ok_status();
}

}  // namespace idtap::sim
