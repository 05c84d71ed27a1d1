// tests/console/console.test.mjs: the clerk's console (`idtap console`) in a real browser:
// Debian's headless chromium driven by puppeteer-core, against simulated cards tapped on a
// real pcscd + vpcd reader, with the phone's side played by @openid4vc/openid4vci against
// `idtap serve` on the same ledger. node's test runner; `make check` runs it through
// tests/run.sh. The tests share one desk and run in order (a card's credentials issued by the
// first are reported lost by a later one).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { makeDeviceKey, walletCallbacks } from '../interop/phone.mjs';
import { idtapProgram, load, makeSite } from '../interop/site.mjs';
import { launchBrowser, personalize, run, sleep, startListening, startPcscd, tapCard } from './desk.mjs';

const kTestTimeout = { timeout: 240_000 };
const kWait = { timeout: 30_000 };
const kPassword = 'desk-password-42';
// Screenshots for the README: IDTAP_CONSOLE_SCREENSHOTS names the directory (docs/console when
// regenerating them); otherwise they go to a temporary directory and are removed.
const shotsDir = process.env.IDTAP_CONSOLE_SCREENSHOTS || null;

let site, pcscd, serve, consoleServer, browser, cards, vci, oauth2, utils, ledger;
const started = [];

function today(yearsBack) {
  const d = new Date();
  const y = d.getUTCFullYear() - yearsBack;
  const mm = String(d.getUTCMonth() + 1).padStart(2, '0');
  const dd = String(d.getUTCDate()).padStart(2, '0');
  return { iso: `${y}-${mm}-${dd}`, rrnBirth: `${String(y % 100).padStart(2, '0')}${mm}${dd}` };
}

before(async () => {
  vci = await load('@openid4vc/openid4vci');
  oauth2 = await load('@openid4vc/oauth2');
  utils = await load('@openid4vc/utils');
  utils.setGlobalConfig({ allowInsecureUrls: true });
  site = makeSite();
  ledger = site.file('ledger.db');
  const teen = today(16);
  cards = {
    good: site.file('card'),
    clone: personalize(site.dir, 'clone', ['--cloned', '--document-number', 'KR7654321']),
    teen: personalize(site.dir, 'teen', ['--birth', teen.iso, '--personal-number', `${teen.rrnBirth}-3123456`,
      '--document-number', 'KR1600016', '--full-name', '김<<소년']),
    passport: personalize(site.dir, 'passport', ['--profile', 'passport', '--document-number', 'M12345678']),
    xss: personalize(site.dir, 'xss', ['--full-name', '<img src=x onerror=alert(1)>', '--document-number', 'KR5550001']),
  };
  fs.writeFileSync(site.file('clerk.pass'), `${kPassword}\n`, { mode: 0o600 });
  run(idtapProgram, ['clerk', 'add', 'anna', '--ledger', ledger, '--password-file', site.file('clerk.pass')]);
  pcscd = await startPcscd(site.dir);
  started.push(pcscd.pcscd);
  serve = await startListening(site.dir, 'serve', ['serve', '--ledger', ledger, '--issuer-key', site.file('issuer.key'),
    '--issuer-cert', site.file('issuer.pem'), '--threads', '4']);
  started.push(serve.child);
  const trust = Object.values(cards).flatMap((c) => ['--trust', path.join(c, 'pki/csca_cert.pem')]);
  consoleServer = await startListening(site.dir, 'console', ['console', '--ledger', ledger, '--issuer-url', serve.baseUrl,
    '--site', 'center-001', '--status-out', site.file('status.cwt'), '--issuer-key', site.file('issuer.key'),
    '--issuer-cert', site.file('issuer.pem'), ...trust], pcscd.env);
  started.push(consoleServer.child);
  browser = await launchBrowser(site.dir);
}, kTestTimeout);

after(async () => {
  if (browser) await browser.close();
  // Each server must end cleanly on SIGTERM (pcscd's own status is not ours to judge).
  const codes = [];
  for (const child of started.reverse()) codes.push(await child.stop());
  if (consoleServer) assert.equal(codes[0], 0, `idtap console exit status after SIGTERM\n${consoleServer.child.log()}`);
  if (serve) assert.equal(codes[1], 0, `idtap serve exit status after SIGTERM\n${serve.child.log()}`);
  if (process.env.IDTAP_KEEP_CONSOLE_DESK) console.log(`desk kept: ${site.dir}`);
  else site?.remove();
});

// slot: the page's list item of the test reader when it shows a card (`yes`) or none (`no`).
const slot = (card) => `#readers li[data-reader="${pcscd.reader}"][data-card="${card}"]`;

// withCard: `body()` with the card on the reader (sim serve running), removed afterwards. The
// page must first show the reader empty (the previous card's removal seen), and shows it empty
// again at the end.
async function withCard(page, card, body, extra = []) {
  await page.waitForSelector(slot('no'), kWait);
  const sim = tapCard(site.dir, card, pcscd.port, extra);
  try {
    await page.waitForSelector(slot('yes'), kWait);
    return await body();
  } finally {
    await sim.stop();
    await page.waitForSelector(slot('no'), kWait).catch(() => {});
  }
}

// newPage: a fresh browser context (no cookies) on the console, dialogs recorded (confirms
// accepted, anything else dismissed).
async function newPage() {
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  page.dialogs = [];
  page.confirms = [];
  page.on('dialog', async (d) => {
    page.dialogs.push(`${d.type()}: ${d.message()}`);
    if (d.type() === 'confirm') await d.accept();
    else await d.dismiss();
  });
  page.consoleErrors = [];
  page.on('console', (m) => { if (m.type() === 'error') page.consoleErrors.push(m.text()); });
  await page.setViewport({ width: 1280, height: 1000 });
  await page.goto(`${consoleServer.baseUrl}/`, { waitUntil: 'load' });
  page.closeAll = () => context.close();
  return page;
}

// login: once the page's script has run and found no session (the focus in the name field).
async function login(page) {
  await page.waitForFunction(() => document.activeElement && document.activeElement.id === 'login-name', kWait);
  await page.type('#login-name', 'anna');
  await page.type('#login-password', kPassword);
  await page.click('#login-form button[type=submit]');
  await page.waitForSelector('#desk-view:not([hidden])', kWait);
}

const text = (page, selector) => page.$eval(selector, (el) => el.textContent);

// clickConfirmed: clicks `selector`, then answers the page's confirmation with "yes"; its text
// goes to page.confirms.
async function clickConfirmed(page, selector) {
  await page.click(selector);
  await page.waitForSelector('#confirm[open]', kWait);
  page.confirms.push(await text(page, '#confirm-text'));
  await page.click('#confirm-yes');
  await page.waitForSelector('#confirm:not([open])', kWait);
}

// readCard: the CAN typed and Read pressed; resolves when the read is over (verdict or error).
async function readCard(page, can = '123456') {
  await page.$eval('#can', (el) => { el.value = ''; });
  await page.type('#can', can);
  await page.click('#read-button');
  await page.waitForFunction(() => document.querySelector('#verdict').dataset.genuine ||
    document.querySelector('#read-error').textContent, kWait);
}

async function shot(page, name) {
  if (!shotsDir) return;
  fs.mkdirSync(shotsDir, { recursive: true });
  await page.screenshot({ path: path.join(shotsDir, name), fullPage: true });
}

// redeem: the phone: the offer URI (as scanned) and the code the holder types.
async function redeem(offerUri, txCode) {
  const deviceKey = makeDeviceKey();
  const client = new vci.Openid4vciClient({ callbacks: walletCallbacks(oauth2, deviceKey) });
  const credentialOffer = await client.resolveCredentialOffer(offerUri);
  const issuerMetadata = await client.resolveIssuerMetadata(credentialOffer.credential_issuer);
  const configurationId = credentialOffer.credential_configuration_ids[0];
  const { accessTokenResponse } = await client.retrievePreAuthorizedCodeAccessTokenFromOffer({ credentialOffer, issuerMetadata, txCode });
  const { c_nonce } = await client.requestNonce({ issuerMetadata });
  const { jwt } = await client.createCredentialRequestJwtProof({ issuerMetadata, credentialConfigurationId: configurationId,
    nonce: c_nonce, signer: { method: 'jwk', alg: 'ES256', publicJwk: deviceKey.publicJwk } });
  return client.retrieveCredentials({ issuerMetadata, accessToken: accessTokenResponse.access_token,
    credentialConfigurationId: configurationId, proofs: { jwt: [jwt] } });
}

test('log in, a tapped card appears, read with the CAN, issue: the QR on screen is the offer, the phone redeems it, "delivered"', kTestTimeout, async () => {
  const page = await newPage();
  try {
    assert.equal(await page.$eval('html', (el) => el.lang), 'ko');
    await shot(page, 'console-login-ko.png');
    await login(page);
    await withCard(page, cards.good, async () => {
      await readCard(page);
      assert.equal(await text(page, '#read-error'), '');
      assert.equal(await page.$eval('#verdict', (el) => el.dataset.genuine), 'yes');
      assert.match(await text(page, '#verdict'), /진본 확인/);
      assert.equal(await text(page, '#h-name-ko'), '홍길동');
      assert.equal(await text(page, '#h-name-en'), 'HONG GILDONG');
      assert.equal(await text(page, '#h-birth'), '1990년 1월 1일');
      assert.equal(await text(page, '#h-rrn'), '900101-1******');
      assert.equal(await text(page, '#h-doc'), 'KR1234567');
      const face = await page.$eval('#portrait', (img) => ({ w: img.naturalWidth, src: img.src.slice(0, 23) }));
      assert.equal(face.src, 'data:image/jpeg;base64,');
      assert.ok(face.w > 0, 'the face image decodes');
      // Revealing the resident number is an explicit action (and a ledger event).
      await page.click('#reveal');
      await page.waitForFunction(() => !document.querySelector('#h-rrn').textContent.includes('*'), kWait);
      assert.equal(await text(page, '#h-rrn'), '900101-1234567');
      await shot(page, 'console-read-ko.png');

      const [response] = await Promise.all([
        page.waitForResponse((r) => r.url().endsWith('/offer') && r.request().method() === 'POST', kWait),
        page.click('#issue'),
      ]);
      const offer = await response.json();
      assert.equal(response.status(), 201);
      await page.waitForSelector('#offer-state[data-state="waiting"]', kWait);
      await shot(page, 'console-offer-ko.png');
      // The QR code as the screen shows it, read back by zbarimg.
      const qrFile = path.join(site.dir, 'qr-screen.png');
      await (await page.$('#qr')).screenshot({ path: qrFile });
      const scanned = execFileSync('zbarimg', ['--raw', '-q', qrFile], { encoding: 'utf8' }).trim();
      assert.equal(scanned, offer.credential_offer_uri);
      const txCode = await text(page, '#tx-code');
      assert.match(txCode, /^[0-9]{6}$/);
      const received = await redeem(scanned, txCode);
      assert.ok(received.credentialResponse.credentials[0].credential.length > 100);
      await page.waitForSelector('#offer-state[data-state="delivered"]', kWait);
      assert.match(await text(page, '#offer-state'), /발급 완료/);
      await shot(page, 'console-delivered-ko.png');
      // The English toggle.
      await page.click('#lang');
      assert.match(await text(page, '#offer-state'), /Delivered|발급 완료/);
      assert.equal(await text(page, '#issue'), 'Issue mobile ID');
      await page.click('#lang');
    });
    assert.deepEqual(page.dialogs, []);
  } finally {
    await page.closeAll();
  }
});

test('a clone card is "not genuine" with no Issue button', kTestTimeout, async () => {
  const page = await newPage();
  try {
    await login(page);
    await withCard(page, cards.clone, async () => {
      await readCard(page);
      assert.equal(await page.$eval('#verdict', (el) => el.dataset.genuine), 'no');
      assert.match(await text(page, '#verdict'), /진본 아님/);
      assert.equal(await page.$eval('#issue', (el) => el.hidden), true);
      await shot(page, 'console-clone-ko.png');
    });
  } finally {
    await page.closeAll();
  }
});

test('a 16-year-old holder is refused with the rule\'s reason', kTestTimeout, async () => {
  const page = await newPage();
  try {
    await login(page);
    await withCard(page, cards.teen, async () => {
      await readCard(page);
      assert.equal(await page.$eval('#verdict', (el) => el.dataset.genuine), 'yes');
      assert.equal(await page.$eval('#issue', (el) => el.hidden), true);
      assert.match(await text(page, '#refusal'), /17/);
    });
  } finally {
    await page.closeAll();
  }
});

test('a wrong CAN, and a card removed mid-read, each say so and offer a retry', kTestTimeout, async () => {
  const page = await newPage();
  try {
    await login(page);
    await withCard(page, cards.good, async () => {
      await readCard(page, '654321');
      assert.equal(await page.$eval('#read-error', (el) => el.dataset.error), 'wrong_access');
      assert.match(await text(page, '#read-error'), /카드 번호\(CAN\)가 맞지 않습니다/);
      assert.equal(await text(page, '#read-button'), '다시 읽기');
    });
    // The card leaves the field after 12 APDUs and stays away longer than the read waits.
    await withCard(page, cards.good, async () => {
      await readCard(page);
      assert.equal(await page.$eval('#read-error', (el) => el.dataset.error), 'card_removed',
        `${await page.$eval('#read-error', (el) => el.title)} / readers: ${await text(page, '#readers')}`);
      assert.match(await text(page, '#read-error'), /카드가 떨어졌습니다/);
    }, ['--leave-after', '12', '--return-after', '15000']);
  } finally {
    await page.closeAll();
  }
});

test('a passport is read with the MRZ data of its data page (BAC)', kTestTimeout, async () => {
  const page = await newPage();
  try {
    await login(page);
    await withCard(page, cards.passport, async () => {
      await page.click('#passport summary');
      await page.type('#p-doc', 'M12345678');
      await page.type('#p-birth', '900101');
      await page.type('#p-expiry', '350114');
      await page.click('#read-button');
      await page.waitForFunction(() => document.querySelector('#verdict').dataset.genuine ||
        document.querySelector('#read-error').textContent, kWait);
      assert.equal(await text(page, '#read-error'), '');
      assert.equal(await page.$eval('#verdict', (el) => el.dataset.genuine), 'yes');
      assert.equal(await text(page, '#h-doc'), 'M12345678');
    });
  } finally {
    await page.closeAll();
  }
});

test('a DG11 name holding <img src=x onerror=alert(1)> is shown as text; no dialog fires', kTestTimeout, async () => {
  const page = await newPage();
  try {
    await login(page);
    await withCard(page, cards.xss, async () => {
      await readCard(page);
      await sleep(500);
      assert.equal(await text(page, '#h-name-card'), '<img src=x onerror=alert(1)>');
      assert.equal(await page.$$eval('#holder-box img', (imgs) => imgs.length), 1, 'no element was made from the name');
    });
    assert.deepEqual(page.dialogs, []);
  } finally {
    await page.closeAll();
  }
});

test('keyboard only: log in, read and issue without a mouse', kTestTimeout, async () => {
  const page = await newPage();
  try {
    // The page puts the focus in the login form once it knows there is no session: type, Tab,
    // type, Enter.
    await page.waitForFunction(() => document.activeElement && document.activeElement.id === 'login-name', kWait);
    await page.keyboard.type('anna');
    await page.keyboard.press('Tab');
    await page.keyboard.type(kPassword);
    await page.keyboard.press('Enter');
    await page.waitForSelector('#desk-view:not([hidden])', kWait);
    await withCard(page, cards.good, async () => {
      // The CAN field has the focus after login; Enter submits the read.
      assert.equal(await page.evaluate(() => document.activeElement.id), 'can');
      await page.keyboard.type('123456');
      await page.keyboard.press('Enter');
      await page.waitForSelector('#issue:not([hidden])', kWait);
      // After a genuine read the Issue button has the focus.
      assert.equal(await page.evaluate(() => document.activeElement.id), 'issue');
      await page.keyboard.press('Enter');
      await page.waitForSelector('#offer-state[data-state="waiting"]', kWait);
    });
  } finally {
    await page.closeAll();
  }
});

test('after-care: phone lost, resume, card lost (the holder\'s credentials suspended), publish the status list, revoke; each confirmed', kTestTimeout, async () => {
  const page = await newPage();
  const row = (state) => `#creds tr[data-state="${state}"]`;
  const fail = (what) => async (e) => {
    const locks = '';
    let probe;
    try {
      const r = await fetch(`${consoleServer.baseUrl}/api/session`, { signal: AbortSignal.timeout(3000) });
      probe = `server answers ${r.status}`;
    } catch (err) { probe = `server does not answer: ${err.message}`; }
    const threads = fs.readdirSync(`/proc/${consoleServer.child.pid}/task`).length;
    const port = Number(new URL(consoleServer.baseUrl).port).toString(16).toUpperCase().padStart(4, '0');
    const conns = fs.readFileSync('/proc/net/tcp', 'utf8').split('\n').filter((l) => l.includes(`:${port} `));
    const pids = `${probe}; console threads ${threads}; connections on its port ${conns.filter((l) => / 01 /.test(l)).length} open\n` +
      `console log:\n${consoleServer.child.log().split('\n').slice(-15).join('\n')}`;
    throw new Error(`${what}: ${e.message}: care status '${await text(page, '#care-status')}', dialogs ${page.dialogs}\n${pids}\n${locks}`);
  };
  try {
    await login(page);
    await page.type('#find-doc', 'KR1234567');
    await page.click('#find-form button[type=submit]');
    await page.waitForSelector(row('active'), kWait);
    // Phone lost: that credential only; then resumed.
    await clickConfirmed(page, `${row('active')} button[data-action="phone-lost"]`);
    await page.waitForSelector(row('suspended'), kWait).catch(fail('phone lost'));
    assert.match(await page.$eval(row('suspended'), (tr) => tr.textContent), /phone_lost/);
    await clickConfirmed(page, `${row('suspended')} button[data-action="resume"]`);
    await page.waitForSelector(row('active'), kWait).catch(fail('resume'));
    // Card lost: every credential of the holder suspended.
    await clickConfirmed(page, '#card-lost');
    await page.waitForFunction(() => document.querySelector('#care-status').textContent.includes('정지'), kWait)
      .catch(fail('card lost'));
    await page.waitForSelector(row('suspended'), kWait);
    assert.equal(await page.$$eval(row('active'), (r) => r.length), 0);
    await shot(page, 'console-card-lost-ko.png');
    const listed = run(idtapProgram, ['credential', 'list', '--ledger', ledger, '--document-number', 'KR1234567']);
    assert.match(listed, /suspended/);
    assert.doesNotMatch(listed, /\bactive\b/);
    // The status list, signed and published: the suspended credential is in it.
    assert.equal(await page.$eval('#publish', (b) => b.hidden), false);
    await clickConfirmed(page, '#publish');
    await page.waitForSelector('#care-status[data-published="yes"]', kWait).catch(fail('publish'));
    const shown = JSON.parse(run(idtapProgram, ['status-list', 'show', site.file('status.cwt'), '--issuer-cert', site.file('issuer.pem'), '--json']));
    assert.ok(shown.not_valid >= 1, JSON.stringify(shown));
    // Revoke, for good.
    await clickConfirmed(page, `${row('suspended')} button[data-action="revoke"]`);
    await page.waitForSelector(row('revoked'), kWait).catch(fail('revoke'));
    // Every step asked first, saying what it would do.
    const confirms = page.confirms;
    assert.equal(confirms.length, 5, confirms.join('\n'));
    assert.deepEqual(page.dialogs, [], 'no browser dialog: the page asks itself');
    assert.ok(confirms.some((d) => d.includes('KR1234567') && d.includes('모든 모바일 신분증이 정지')));
  } finally {
    await page.closeAll();
  }
});

test('the chipless form: hidden where the ledger does not allow it; where it does, a clerk-attested record becomes an offer', kTestTimeout, async () => {
  const page = await newPage();
  try {
    await login(page);
    assert.equal(await page.$eval('#attested-box', (el) => el.hidden), true, 'this ledger does not allow attested issuance');
  } finally {
    await page.closeAll();
  }
  // A second desk on a ledger that allows it, with the portrait (the card's face JPEG) in its
  // --attested-dir.
  const attestedLedger = site.file('attested.db');
  run(idtapProgram, ['ledger', 'init', '--ledger', attestedLedger, '--status-uri', 'https://status.example.kr/lists/2', '--allow-attested']);
  run(idtapProgram, ['clerk', 'add', 'anna', '--ledger', attestedLedger, '--password-file', site.file('clerk.pass')]);
  const portraits = site.file('portraits');
  fs.mkdirSync(portraits);
  const dg2 = fs.readFileSync(path.join(cards.good, 'files/dg2.bin'));
  fs.writeFileSync(path.join(portraits, 'hong.jpg'), dg2.subarray(dg2.indexOf(Buffer.from([0xff, 0xd8, 0xff]))));
  const desk2 = await startListening(site.dir, 'console2', ['console', '--ledger', attestedLedger, '--issuer-url', serve.baseUrl,
    '--attested-dir', portraits, '--trust', path.join(cards.good, 'pki/csca_cert.pem')], pcscd.env);
  const context = await browser.createBrowserContext();
  try {
    const page2 = await context.newPage();
    await page2.goto(`${desk2.baseUrl}/`, { waitUntil: 'load' });
    await login(page2);
    await page2.waitForSelector('#attested-box:not([hidden])', kWait);
    const record = {
      family_name_national: '홍', given_name_national: '길동', family_name: 'HONG', given_name: 'GILDONG',
      birth_date: '1990-01-01', resident_registration_number: '900101-1234567', document_number: 'KR7000001',
      issue_date: '2015-06-01', expiry_date: '2035-05-31', resident_address: '서울특별시 종로구 세종대로 209', portrait: 'hong.jpg',
    };
    for (const [name, value] of Object.entries(record))
      await page2.$eval(`#attested-form input[name="${name}"]`, (el, v) => { el.value = v; }, value);
    await page2.click('#attested-form button[type=submit]');
    await page2.waitForSelector('#offer-state[data-state="waiting"]', kWait).catch(async (e) => {
      throw new Error(`${e.message}: ${await text(page2, '#attested-error')}`);
    });
    assert.match(await text(page2, '#tx-code'), /^[0-9]{6}$/);
    // A portrait path outside the directory is refused.
    await page2.$eval('#attested-form input[name="portrait"]', (el) => { el.value = '../card/files/dg2.bin'; });
    await page2.click('#attested-form button[type=submit]');
    await page2.waitForFunction(() => document.querySelector('#attested-error').textContent.includes('portrait'), kWait);
  } finally {
    await context.close();
    assert.equal(await desk2.child.stop(), 0, desk2.child.log());
  }
});

test('the API: no session is 401, no CSRF token is 403, the sixth wrong password is locked out; headers', kTestTimeout, async () => {
  const base = consoleServer.baseUrl;
  const home = await fetch(`${base}/`);
  assert.match(home.headers.get('content-security-policy'), /default-src 'none'; script-src 'self'/);
  assert.equal((await fetch(`${base}/api/credentials?document=KR1234567`)).status, 401);
  assert.equal((await fetch(`${base}/api/card-lost`, { method: 'POST', body: '{"document":"KR1234567"}' })).status, 401);
  const login = await fetch(`${base}/api/login`, { method: 'POST', body: JSON.stringify({ name: 'anna', password: kPassword }) });
  assert.equal(login.status, 200);
  const cookie = login.headers.get('set-cookie');
  assert.match(cookie, /HttpOnly/);
  assert.match(cookie, /SameSite=Strict/);
  const { csrf } = await login.json();
  const session = cookie.split(';')[0];
  const post = (token) => fetch(`${base}/api/card-lost`, { method: 'POST', headers: { Cookie: session, ...(token ? { 'X-CSRF-Token': token } : {}) },
    body: '{"document":"KR7654321"}' });
  assert.equal((await post(null)).status, 403);
  assert.equal((await post('0'.repeat(64))).status, 403);
  assert.equal((await post(csrf)).status, 404, 'with the token it runs (that card is not in the ledger)');
  // Six wrong passwords for a name: five are counted, then the name is locked, the right
  // password included.
  fs.writeFileSync(site.file('bob.pass'), 'bob-password-123\n', { mode: 0o600 });
  run(idtapProgram, ['clerk', 'add', 'bob', '--ledger', ledger, '--password-file', site.file('bob.pass')]);
  const statuses = [];
  for (let i = 0; i < 6; ++i)
    statuses.push((await fetch(`${base}/api/login`, { method: 'POST', body: JSON.stringify({ name: 'bob', password: `wrong-${i}-password` }) })).status);
  assert.deepEqual(statuses, [401, 401, 401, 401, 401, 429]);
  const right = await fetch(`${base}/api/login`, { method: 'POST', body: JSON.stringify({ name: 'bob', password: 'bob-password-123' }) });
  assert.equal(right.status, 429);
  assert.ok(Number(right.headers.get('retry-after')) > 0);
  // Every clerk action is in the ledger's chain, which still verifies.
  run(idtapProgram, ['ledger', 'verify', '--ledger', ledger]);
});
