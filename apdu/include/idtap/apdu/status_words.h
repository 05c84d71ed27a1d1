// idtap/apdu/status_words.h: ISO/IEC 7816-4 §5.6 interindustry status words.
#pragma once

#include <cstdint>
#include <string>

namespace idtap::apdu::sw {

inline constexpr uint16_t kOk = 0x9000;
inline constexpr uint16_t kEndOfFileReached = 0x6282;        // fewer bytes than Ne available
inline constexpr uint16_t kSelectedFileDeactivated = 0x6283;
inline constexpr uint16_t kVerificationFailed = 0x6300;
inline constexpr uint16_t kWrongLength = 0x6700;
inline constexpr uint16_t kLogicalChannelNotSupported = 0x6881;
inline constexpr uint16_t kSecureMessagingNotSupported = 0x6882;
inline constexpr uint16_t kLastCommandExpected = 0x6883;
inline constexpr uint16_t kChainingNotSupported = 0x6884;
inline constexpr uint16_t kCommandIncompatibleWithFile = 0x6981;
inline constexpr uint16_t kSecurityStatusNotSatisfied = 0x6982;
inline constexpr uint16_t kAuthenticationMethodBlocked = 0x6983;
inline constexpr uint16_t kReferenceDataNotUsable = 0x6984;
inline constexpr uint16_t kConditionsNotSatisfied = 0x6985;
inline constexpr uint16_t kCommandNotAllowedNoEf = 0x6986;
inline constexpr uint16_t kSmDataObjectsMissing = 0x6987;
inline constexpr uint16_t kSmDataObjectsIncorrect = 0x6988;
inline constexpr uint16_t kWrongData = 0x6A80;
inline constexpr uint16_t kFunctionNotSupported = 0x6A81;
inline constexpr uint16_t kFileNotFound = 0x6A82;
inline constexpr uint16_t kRecordNotFound = 0x6A83;
inline constexpr uint16_t kNotEnoughMemory = 0x6A84;
inline constexpr uint16_t kIncorrectP1P2 = 0x6A86;
inline constexpr uint16_t kReferencedDataNotFound = 0x6A88;
inline constexpr uint16_t kWrongP1P2 = 0x6B00;                // e.g. offset beyond the file
inline constexpr uint16_t kInsNotSupported = 0x6D00;
inline constexpr uint16_t kClaNotSupported = 0x6E00;
inline constexpr uint16_t kNoPreciseDiagnosis = 0x6F00;

// is_more_data: SW1 = 61 (SW2 more bytes available with GET RESPONSE).
inline bool is_more_data(uint16_t s) { return (s >> 8) == 0x61; }
// is_wrong_le: SW1 = 6C (SW2 is the exact Ne to resend with).
inline bool is_wrong_le(uint16_t s) { return (s >> 8) == 0x6C; }
// is_retry_counter: 63Cx (x = remaining tries).
inline bool is_retry_counter(uint16_t s) { return (s & 0xFFF0) == 0x63C0; }
// is_warning: SW1 62 or 63 (processing completed with a warning; data may be returned).
inline bool is_warning(uint16_t s) { return (s >> 8) == 0x62 || (s >> 8) == 0x63; }

// describe: a one-line English explanation of `s` ("security status not satisfied"); for 61xx,
// 6Cxx and 63Cx it includes the count. Unknown SWs get their class ("checking error").
std::string describe(uint16_t s);

}  // namespace idtap::apdu::sw
