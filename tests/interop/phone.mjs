// tests/interop/phone.mjs: what an independent wallet brings of its own to the interoperability
// tests: its P-256 key (node's crypto, never idtap's), the crypto callbacks the OpenID4VCI
// client library asks for, and the wrapping of a received IssuerSigned into the DeviceResponse
// an independent ISO 18013-5 verifier reads.
import crypto from 'node:crypto';

// makeDeviceKey: a fresh P-256 key pair of the phone; `publicJwk` holds no private part.
export function makeDeviceKey() {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const publicJwk = publicKey.export({ format: 'jwk' });
  return { privateKey, publicJwk, privateJwk: privateKey.export({ format: 'jwk' }) };
}

const b64url = (bytes) => Buffer.from(bytes).toString('base64url');

// signEs256Jwt: a compact JWS (RFC 7515) over header.payload, ES256 (RFC 7518 §3.4: the raw
// 64-byte r||s, which node gives with dsaEncoding 'ieee-p1363').
export function signEs256Jwt(privateKey, header, payload) {
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  const signature = crypto.sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' });
  return `${input}.${b64url(signature)}`;
}

// walletCallbacks: the callbacks @openid4vc/openid4vci's client needs (hash, random, JWT
// signing with the phone's key, client authentication), on node's crypto, and the `fetch` the
// library makes every request with (one that trusts the issuer's TLS CA; node's when omitted).
export function walletCallbacks(oauth2, deviceKey, fetch = undefined) {
  const hashNames = { 'sha-256': 'sha256', 'sha-384': 'sha384', 'sha-512': 'sha512' };
  return {
    hash: (data, alg) => new Uint8Array(crypto.createHash(hashNames[String(alg).toLowerCase()] ?? 'sha256').update(data).digest()),
    generateRandom: (n) => new Uint8Array(crypto.randomBytes(n)),
    signJwt: (signer, { header, payload }) => {
      if (signer.method !== 'jwk' || signer.alg !== 'ES256') throw new Error(`the phone signs ES256 with its jwk only, not ${signer.method}/${signer.alg}`);
      return { jwt: signEs256Jwt(deviceKey.privateKey, header, payload), signerJwk: deviceKey.publicJwk };
    },
    // Pre-authorized code flow with anonymous access (OpenID4VCI 1.0 §6.1): no client id.
    clientAuthentication: oauth2.clientAuthenticationAnonymous(),
    ...(fetch ? { fetch } : {}),
  };
}

// CBOR (RFC 8949 §3) heads, for the few fixed items of the wrapper below.
function cborHead(major, n) {
  if (n < 24) return Buffer.from([(major << 5) | n]);
  if (n < 256) return Buffer.from([(major << 5) | 24, n]);
  if (n < 65536) return Buffer.from([(major << 5) | 25, n >> 8, n & 0xff]);
  throw new Error('string too long for this wrapper');
}
const tstr = (s) => Buffer.concat([cborHead(3, Buffer.byteLength(s)), Buffer.from(s, 'utf8')]);

// wrapAsDeviceResponse: ISO 18013-5 §8.3.2.1.2.2 DeviceResponse {"version": "1.0",
// "documents": [{"docType": D, "issuerSigned": <IssuerSigned>}], "status": 0}, with the
// IssuerSigned bytes embedded exactly as received (no decode and re-encode). OpenID4VCI
// Appendix A.2 delivers a bare IssuerSigned; the verifier libraries read DeviceResponses, and
// a document without deviceSigned is exactly what a DeviceResponse holds before the phone
// adds its device authentication.
export function wrapAsDeviceResponse(docType, issuerSigned) {
  return Buffer.concat([
    cborHead(5, 3),
    tstr('version'), tstr('1.0'),
    tstr('documents'), cborHead(4, 1),
    cborHead(5, 2), tstr('docType'), tstr(docType), tstr('issuerSigned'), Buffer.from(issuerSigned),
    tstr('status'), cborHead(0, 0),
  ]);
}
