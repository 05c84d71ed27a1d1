// tests/interop/oid4vci_mdoc.test.mjs: idtap serve against implementations that are not ours
// (node's test runner; `make check` runs it through tests/run.sh).
//
// The wallet is @openid4vc/openid4vci (the OpenWallet Foundation's oid4vc-ts): it resolves the
// offer URI, reads the issuer and authorization server metadata, redeems the pre-authorized
// code with the tx_code, gets a c_nonce, builds the jwt key proof and asks for the credential,
// every request and every parse of an answer its own. The credential it receives is checked by
// @auth0/mdl's ISO 18013-5 verifier: the COSE_Sign1 issuer signature over the MSO with the
// x5chain to our IACA, the digest of every disclosed element, the validity info, and the
// device signature under the MSO's device key (so that key is the proof's key).
//
// Each test runs its own `idtap serve` on a free loopback port and stops it by pid, over HTTPS
// (a TLS CA made by `openssl`, trusted by the wallet's fetch alone) but for one run of the main
// flow over plain HTTP on loopback (what a TLS-terminating proxy on the same host sees).
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, test } from 'node:test';

import { makeDeviceKey, walletCallbacks, wrapAsDeviceResponse } from './phone.mjs';
import { createOffer, foreignIacaPem, installedVersion, load, makeSite, startServe } from './site.mjs';

let vci, oauth2, utils, mdl, site;

// Bounds: each test (one server, a few requests) and the set-up end within these, or fail.
const kTestTimeout = { timeout: 180_000 };

before(async () => {
  vci = await load('@openid4vc/openid4vci');
  oauth2 = await load('@openid4vc/oauth2');
  utils = await load('@openid4vc/utils');
  const mdlModule = await load('@auth0/mdl');
  mdl = mdlModule.Verifier ? mdlModule : mdlModule.default;
  // The library refuses http:// URLs unless told: only the plain-HTTP test tells it.
  utils.setGlobalConfig({ allowInsecureUrls: false });
  site = makeSite();
}, kTestTimeout);

after(() => site?.remove());

// withServer: `body(server)` with an `idtap serve` of the site running (HTTPS unless
// `{ tls: false }`); stopped (SIGTERM to its pid) whatever happens, and it must exit 0.
async function withServer(body, options = {}) {
  const server = await startServe(site, options);
  let failure = null;
  try {
    await body(server);
  } catch (e) {
    failure = e;
  }
  const code = await server.stop();
  if (failure) {
    failure.message += `\n--- idtap serve log ---\n${server.log()}`;
    throw failure;
  }
  assert.equal(code, 0, `idtap serve exit status after SIGTERM\n${server.log()}`);
}

// redeem: the whole wallet flow through the library; what the phone holds afterwards.
async function redeem(client, offerUri, txCode, deviceKey) {
  const credentialOffer = await client.resolveCredentialOffer(offerUri);
  const issuerMetadata = await client.resolveIssuerMetadata(credentialOffer.credential_issuer);
  const configurationId = credentialOffer.credential_configuration_ids[0];
  const { accessTokenResponse } = await client.retrievePreAuthorizedCodeAccessTokenFromOffer({
    credentialOffer, issuerMetadata, txCode,
  });
  const { c_nonce } = await client.requestNonce({ issuerMetadata });
  const { jwt } = await client.createCredentialRequestJwtProof({
    issuerMetadata, credentialConfigurationId: configurationId, nonce: c_nonce,
    signer: { method: 'jwk', alg: 'ES256', publicJwk: deviceKey.publicJwk },
  });
  const response = await client.retrieveCredentials({
    issuerMetadata, accessToken: accessTokenResponse.access_token, credentialConfigurationId: configurationId,
    proofs: { jwt: [jwt] },
  });
  return { credentialOffer, issuerMetadata, configurationId, accessTokenResponse, jwt, response };
}

// verifyWithAuth0Mdl: @auth0/mdl's Verifier over the received IssuerSigned, presented by the
// phone: every check it runs, and the parsed document. The phone builds the DeviceResponse
// with the library's own DeviceResponse builder, signing the device authentication (ISO
// 18013-5 §9.1.3) with its private key for an OpenID4VP-style session transcript.
async function verifyWithAuth0Mdl(issuerSigned, docType, deviceKey, trustedPem) {
  const issued = wrapAsDeviceResponse(docType, issuerSigned);
  const parsed = mdl.parse(issued);
  const fields = [];
  for (const [ns, items] of Object.entries(parsed.documents[0].issuerSigned.nameSpaces)) {
    for (const item of items) fields.push({ path: [`$['${ns}']['${item.elementIdentifier}']`], intent_to_retain: false });
  }
  const builder = mdl.DeviceResponse.from(issued)
    .usingPresentationDefinition({
      id: 'idtap-interop',
      input_descriptors: [{ id: docType, format: { mso_mdoc: { alg: ['ES256'] } }, constraints: { limit_disclosure: 'required', fields } }],
    })
    .usingSessionTranscriptForOID4VP(crypto.randomBytes(16).toString('base64url'), 'interop-verifier',
      'https://verifier.example/response', crypto.randomBytes(16).toString('base64url'))
    .authenticateWithSignature(deviceKey.privateJwk, 'ES256');
  // The transcript the builder encoded; the verifier must be given the same bytes.
  const sessionTranscript = builder.sessionTranscriptBytes;
  const presented = (await builder.sign()).encode();
  const checks = [];
  const verifier = new mdl.Verifier([trustedPem]);
  const document = await verifier.verify(presented, {
    encodedSessionTranscript: sessionTranscript,
    onCheck: (check) => checks.push(check),
  }).then((dr) => dr.documents[0]);
  return { checks, document, elementCount: fields.length };
}

// mainFlow: the wallet library receives a credential, and @auth0/mdl verifies it.
async function mainFlow(server) {
  const offer = await createOffer(server, site);
  const deviceKey = makeDeviceKey();
  const client = new vci.Openid4vciClient({ callbacks: walletCallbacks(oauth2, deviceKey, server.fetch) });
  const got = await redeem(client, offer.credential_offer_uri, offer.tx_code, deviceKey);

  // What the library read from our offer and metadata (OpenID4VCI 1.0 §4.1.1, §12.2.4).
  assert.equal(got.credentialOffer.credential_issuer, server.baseUrl);
  const preAuth = got.credentialOffer.grants['urn:ietf:params:oauth:grant-type:pre-authorized_code'];
  assert.deepEqual(preAuth.tx_code, { input_mode: 'numeric', length: 6 });
  assert.equal(got.issuerMetadata.originalDraftVersion, vci.Openid4vciVersion.V1, 'the library reads our metadata as OpenID4VCI 1.0');
  const configuration = got.issuerMetadata.knownCredentialConfigurations[got.configurationId];
  assert.ok(configuration, `the library recognised the ${got.configurationId} configuration as a valid mso_mdoc one`);
  assert.equal(configuration.format, 'mso_mdoc');
  assert.equal(got.issuerMetadata.authorizationServers[0].token_endpoint, `${server.baseUrl}/token`);
  assert.equal(got.accessTokenResponse.token_type, 'Bearer');

  // The credential response (§8.3): one credential, a base64url IssuerSigned.
  const credentials = got.response.credentialResponse.credentials;
  assert.equal(credentials.length, 1);
  const issuerSigned = Buffer.from(credentials[0].credential, 'base64url');
  assert.ok(issuerSigned.length > 100);

  const { checks, document, elementCount } = await verifyWithAuth0Mdl(issuerSigned, configuration.doctype, deviceKey, site.iacaPem);
  const failed = checks.filter((c) => c.status === 'FAILED');
  assert.deepEqual(failed, [], 'every check of the independent verifier passes');
  const passed = (id) => checks.filter((c) => c.id === id && c.status === 'PASSED').length;
  const ids = mdl.VerificationAssessmentId;
  assert.equal(passed(ids.ISSUER_AUTH.IssuerCertificateValidity), 1, 'x5chain chains to the IACA');
  assert.equal(passed(ids.ISSUER_AUTH.IssuerSignatureValidity), 1, 'COSE_Sign1 issuer signature');
  assert.equal(passed(ids.ISSUER_AUTH.MsoValidityAtVerificationTime), 1, 'validity info');
  assert.equal(passed(ids.ISSUER_AUTH.MsoSignedDateWithinCertificateValidity), 1);
  assert.equal(passed(ids.DATA_INTEGRITY.AttributeDigestMatch), elementCount, 'one digest match per element');
  assert.equal(passed(ids.DEVICE_AUTH.DeviceSignatureValidity), 1, 'device signature under the MSO device key');

  // The MSO as the verifier decoded it: doc type, SHA-256, tdate validity, the device key
  // equal to the proof's jwk (ISO 18013-5 §9.1.2.4; RFC 9052 COSE_Key: 1 kty, -1 crv, -2 x, -3 y).
  // The COSE headers (ISO 18013-5 §9.1.2.4, RFC 9360): alg alone in the protected header;
  // x5chain (label 33) unprotected, the DS certificate alone as one bstr, not the IACA.
  const issuerAuth = document.issuerSigned.issuerAuth;
  assert.deepEqual([...issuerAuth.protectedHeaders.entries()], [[1, -7]]);
  assert.ok(issuerAuth.unprotectedHeaders.get(33) instanceof Uint8Array, 'x5chain is one bstr');
  assert.equal(issuerAuth.x5chain.length, 1);
  assert.notEqual(issuerAuth.certificate.subject, issuerAuth.certificate.issuer, 'the DS, not the self-signed IACA');
  const mso = issuerAuth.decodedPayload;
  assert.equal(mso.docType, configuration.doctype);
  assert.equal(mso.digestAlgorithm, 'SHA-256');
  const { signed, validFrom, validUntil } = mso.validityInfo;
  for (const d of [signed, validFrom, validUntil]) assert.ok(d instanceof Date && !Number.isNaN(d.getTime()));
  assert.ok(validFrom <= new Date() && new Date() < validUntil);
  const coseKey = mso.deviceKeyInfo.deviceKey;
  assert.equal(coseKey.get(1), 2, 'kty EC2');
  assert.equal(coseKey.get(-1), 1, 'crv P-256');
  assert.equal(Buffer.from(coseKey.get(-2)).toString('base64url'), deviceKey.publicJwk.x);
  assert.equal(Buffer.from(coseKey.get(-3)).toString('base64url'), deviceKey.publicJwk.y);
  assert.ok(elementCount >= 5, `the credential discloses the holder's elements (${elementCount})`);
}

test(`@openid4vc/openid4vci ${installedVersion('@openid4vc/openid4vci')} receives a credential from idtap serve over HTTPS, ` +
     `and @auth0/mdl ${installedVersion('@auth0/mdl')} verifies it`, kTestTimeout, async () => {
  await withServer(async (server) => {
    assert.match(server.baseUrl, /^https:\/\/127\.0\.0\.1:\d+$/);
    // The TLS is real: node's own fetch, which does not trust the test CA, is refused.
    await assert.rejects(fetch(`${server.baseUrl}/.well-known/openid-credential-issuer`),
      (e) => /certificate/i.test(`${e.cause?.code ?? ''} ${e.cause?.message ?? e.message}`));
    await mainFlow(server);
  });
});

test('the same flow over plain HTTP on loopback (behind a TLS-terminating proxy on the host)', kTestTimeout, async () => {
  utils.setGlobalConfig({ allowInsecureUrls: true });
  try {
    await withServer(async (server) => {
      assert.match(server.baseUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
      await mainFlow(server);
    }, { tls: false });
  } finally {
    utils.setGlobalConfig({ allowInsecureUrls: false });
  }
});

test('a wrong tx_code is invalid_grant through the library; the right one still redeems the offer', kTestTimeout, async () => {
  await withServer(async (server) => {
    const offer = await createOffer(server, site);
    const wrong = offer.tx_code === '000000' ? '111111' : '000000';
    const deviceKey = makeDeviceKey();
    const client = new vci.Openid4vciClient({ callbacks: walletCallbacks(oauth2, deviceKey, server.fetch) });
    const credentialOffer = await client.resolveCredentialOffer(offer.credential_offer_uri);
    const issuerMetadata = await client.resolveIssuerMetadata(credentialOffer.credential_issuer);
    await assert.rejects(
      client.retrievePreAuthorizedCodeAccessTokenFromOffer({ credentialOffer, issuerMetadata, txCode: wrong }),
      (e) => {
        assert.ok(e instanceof oauth2.Oauth2ClientErrorResponseError, `an OAuth error response, not ${e}`);
        assert.equal(e.errorResponse.error, 'invalid_grant');
        assert.equal(e.response.status, 400);
        return true;
      });
    // One wrong code of five does not kill the offer (the holder mistyped).
    const got = await redeem(client, offer.credential_offer_uri, offer.tx_code, deviceKey);
    assert.equal(got.response.credentialResponse.credentials.length, 1);
    // A redeemed code is redeemed once (RFC 6749 §4.1.2, OpenID4VCI 1.0 §6.1).
    await assert.rejects(
      client.retrievePreAuthorizedCodeAccessTokenFromOffer({ credentialOffer, issuerMetadata, txCode: offer.tx_code }),
      (e) => e instanceof oauth2.Oauth2ClientErrorResponseError && e.errorResponse.error === 'invalid_grant');
  });
});

test('a proof over a nonce the server never gave is invalid_nonce through the library; a new c_nonce then gets the credential', kTestTimeout, async () => {
  await withServer(async (server) => {
    const offer = await createOffer(server, site);
    const deviceKey = makeDeviceKey();
    const client = new vci.Openid4vciClient({ callbacks: walletCallbacks(oauth2, deviceKey, server.fetch) });
    const credentialOffer = await client.resolveCredentialOffer(offer.credential_offer_uri);
    const issuerMetadata = await client.resolveIssuerMetadata(credentialOffer.credential_issuer);
    const configurationId = credentialOffer.credential_configuration_ids[0];
    const { accessTokenResponse } = await client.retrievePreAuthorizedCodeAccessTokenFromOffer({
      credentialOffer, issuerMetadata, txCode: offer.tx_code,
    });
    const { jwt } = await client.createCredentialRequestJwtProof({
      issuerMetadata, credentialConfigurationId: configurationId, nonce: crypto.randomBytes(16).toString('base64url'),
      signer: { method: 'jwk', alg: 'ES256', publicJwk: deviceKey.publicJwk },
    });
    await assert.rejects(
      client.retrieveCredentials({
        issuerMetadata, accessToken: accessTokenResponse.access_token, credentialConfigurationId: configurationId, proofs: { jwt: [jwt] },
      }),
      (e) => {
        assert.ok(e instanceof vci.Openid4vciRetrieveCredentialsError, `a credential error response, not ${e}`);
        const parsed = e.response.credentialErrorResponseResult;
        assert.ok(parsed?.success, 'the library parsed our error body as a credential error response (§8.3.1.2)');
        assert.equal(parsed.data.error, 'invalid_nonce');
        assert.equal(e.response.response.status, 400);
        return true;
      });
    // OpenID4VCI 1.0 §8.3.1.2: the wallet recovers with a c_nonce from the nonce endpoint (§7);
    // the same token and key then get the credential.
    const { c_nonce } = await client.requestNonce({ issuerMetadata });
    const retry = await client.createCredentialRequestJwtProof({
      issuerMetadata, credentialConfigurationId: configurationId, nonce: c_nonce,
      signer: { method: 'jwk', alg: 'ES256', publicJwk: deviceKey.publicJwk },
    });
    const response = await client.retrieveCredentials({
      issuerMetadata, accessToken: accessTokenResponse.access_token, credentialConfigurationId: configurationId,
      proofs: { jwt: [retry.jwt] },
    });
    assert.equal(response.credentialResponse.credentials.length, 1);
  });
});

test('@auth0/mdl refuses our credential when an element is altered or the IACA is another one', kTestTimeout, async () => {
  await withServer(async (server) => {
    const offer = await createOffer(server, site);
    const deviceKey = makeDeviceKey();
    const client = new vci.Openid4vciClient({ callbacks: walletCallbacks(oauth2, deviceKey, server.fetch) });
    const got = await redeem(client, offer.credential_offer_uri, offer.tx_code, deviceKey);
    const issuerSigned = Buffer.from(got.response.credentialResponse.credentials[0].credential, 'base64url');
    const docType = got.issuerMetadata.knownCredentialConfigurations[got.configurationId].doctype;
    const ids = mdl.VerificationAssessmentId;

    // One letter of the holder's family name changed (inside its tag-24 IssuerSignedItem): that
    // element's digest no longer matches.
    const item = mdl.parse(wrapAsDeviceResponse(docType, issuerSigned)).documents[0].issuerSigned.nameSpaces;
    const family = Object.values(item).flat().find((i) => i.elementIdentifier === 'family_name');
    assert.ok(family, 'the credential holds a family_name element');
    const name = Buffer.from(String(family.elementValue), 'utf8');
    const at = issuerSigned.indexOf(name);
    assert.ok(at > 0 && issuerSigned.lastIndexOf(name) === at, 'the name occurs once in the IssuerSigned');
    const altered = Buffer.from(issuerSigned);
    altered[at] ^= 0x01;  // an ASCII letter stays one
    const bad = await verifyWithAuth0Mdl(altered, docType, deviceKey, site.iacaPem);
    const digestFailures = bad.checks.filter((c) => c.id === ids.DATA_INTEGRITY.AttributeDigestMatch && c.status === 'FAILED');
    assert.equal(digestFailures.length, 1, JSON.stringify(bad.checks.filter((c) => c.status === 'FAILED')));
    assert.match(digestFailures[0].check, /family_name/);

    // Another IACA of the same name: the chain check fails.
    const foreign = await verifyWithAuth0Mdl(issuerSigned, docType, deviceKey, foreignIacaPem());
    assert.ok(foreign.checks.some((c) => c.id === ids.ISSUER_AUTH.IssuerCertificateValidity && c.status === 'FAILED'));
  });
});
