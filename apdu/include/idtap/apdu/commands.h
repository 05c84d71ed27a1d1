// idtap/apdu/commands.h: builders for the commands the stack sends (ISO/IEC 7816-4, ICAO 9303-10/11).
#pragma once

#include <cstdint>

#include "idtap/apdu/command.h"
#include "idtap/base/bytes.h"
#include "idtap/base/result.h"

namespace idtap::apdu {

// kEmrtdAid: the eMRTD LDS1 application identifier (ICAO 9303-10 §3.6.1).
inline const Bytes kEmrtdAid = {0xA0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01};

// select_by_df_name: SELECT P1=04 (DF name = `aid`); P2=0C (no FCI) unless `want_fci` (P2=00,
// Le=256 short).
CommandApdu select_by_df_name(ByteView aid, bool want_fci = false);
// select_by_fid: SELECT P1=02 (EF under the current DF) with the 2-byte `fid`, P2=0C unless
// `want_fci`.
CommandApdu select_by_fid(uint16_t fid, bool want_fci = false);
// select_mf: SELECT P1=00 P2=0C with FID 3F00 (the master file).
CommandApdu select_mf();

// read_binary: READ BINARY (B0) at `offset` (0..32767) of the current EF, Ne = `ne`.
// kInvalidArgument when the offset does not fit 15 bits or ne is 0 or > 65536.
Result<CommandApdu> read_binary(uint16_t offset, size_t ne);
// read_binary_sfi: READ BINARY (B0) with P1 = 0x80 | sfi (1..30), P2 = offset (0..255): selects
// the EF by short file identifier and reads in one command (ISO 7816-4 §11.3.3).
Result<CommandApdu> read_binary_sfi(uint8_t sfi, uint8_t offset, size_t ne);
// read_binary_odd: READ BINARY odd INS (B1) with the offset in data object 54 (any offset up
// to 2^24-1), for files over 32767 bytes. Ne as above.
Result<CommandApdu> read_binary_odd(uint32_t offset, size_t ne);

// get_challenge: GET CHALLENGE (84) for `ne` bytes (8 for BAC).
CommandApdu get_challenge(size_t ne = 8);
// get_response: GET RESPONSE (C0) with Ne = `ne` (1..256; 256 encodes Le=00), on the logical
// channel of `cla_of_command` (the CLA of the command whose response is fetched; 00: basic).
CommandApdu get_response(size_t ne, uint8_t cla_of_command = 0x00);
// external_authenticate: EXTERNAL AUTHENTICATE (82) with `data`, Ne = `ne` (0 = no Le).
CommandApdu external_authenticate(ByteView data, size_t ne);
// internal_authenticate: INTERNAL AUTHENTICATE (88) with `data` (the AA challenge), Ne = `ne`.
CommandApdu internal_authenticate(ByteView data, size_t ne);
// mse_set_at: MSE:Set AT (22 P1 P2=A4) with `data` and no Le (ICAO 9303-11 §4.4.4.1: omit Le).
// `p1` is C1 for PACE / CA / TA as mutual authentication (ICAO uses 0xC1), 0x41 for CA.
CommandApdu mse_set_at(uint8_t p1, ByteView data);
// mse_set_kat: MSE:Set KAT (22 41 A6) with `data` (CA v1 with 3DES, ICAO 9303-11 §6.2.4).
CommandApdu mse_set_kat(ByteView data);
// general_authenticate: GENERAL AUTHENTICATE (86 00 00) with `data` wrapped in the dynamic
// authentication data template 7C; `chained` sets CLA bit 0x10 (every step but the last);
// Ne = 256 (Le=00 short) unless `ne` says otherwise.
CommandApdu general_authenticate(ByteView template_content, bool chained, size_t ne = 256);

}  // namespace idtap::apdu
