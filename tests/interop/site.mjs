// tests/interop/site.mjs: one service center for the interoperability tests, built with the
// command line only (no idtap code runs in this process): a simulated card (`idtap sim
// personalize`), an issuer PKI made by `openssl` (an IACA root and a document signer under it,
// independent of idtap's own certificate code), a TLS CA and the server's certificate for
// 127.0.0.1 (`openssl` too), a ledger (`idtap ledger init`), an admin token, and `idtap serve`
// started on a free loopback port (HTTPS, or plain HTTP) and stopped by its pid.
//
// The npm libraries live in the build tree (build/node/node_modules, installed by `make
// node-modules` from tests/interop/package-lock.json), not beside this file: load() imports
// them from there.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const sourceDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
// IDTAP and IDTAP_NODE_DIR are set by `make check` (tests/run.sh's environment).
export const idtapProgram = process.env.IDTAP || path.join(sourceDir, 'build/rel/bin/idtap');
export const nodeDir = process.env.IDTAP_NODE_DIR || path.join(sourceDir, 'build/node');

// load: the module `name` as installed under nodeDir (one instance per process, so the error
// classes one library throws are the classes another one exports).
export async function load(name) {
  const require = createRequire(path.join(nodeDir, 'package.json'));
  let resolved;
  try {
    resolved = require.resolve(name);
  } catch (e) {
    throw new Error(`${name} is not installed under ${nodeDir} (run \`make node-modules\`): ${e.message}`);
  }
  return import(pathToFileURL(resolved).href);
}

// installedVersion: the version of `name` under nodeDir, for the test's messages.
export function installedVersion(name) {
  const file = path.join(nodeDir, 'node_modules', name, 'package.json');
  return JSON.parse(fs.readFileSync(file, 'utf8')).version;
}

function run(program, args, options = {}) {
  try {
    return execFileSync(program, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...options });
  } catch (e) {
    throw new Error(`${program} ${args.join(' ')} failed (exit ${e.status}): ${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

const kP256 = ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'];

// makeIaca: an IACA root (self-signed, CA, C=KR): STEM.key and STEM.pem.
function makeIaca(stem) {
  run('openssl', ['genpkey', ...kP256, '-out', `${stem}.key`]);
  run('openssl', ['req', '-new', '-x509', '-key', `${stem}.key`, '-out', `${stem}.pem`, '-days', '3650', '-sha256',
    '-subj', '/C=KR/O=idtap interop test/CN=idtap interop IACA',
    '-addext', 'basicConstraints=critical,CA:TRUE,pathlen:0', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
}

// foreignIacaPem: another IACA of the same name, which issued nothing.
export function foreignIacaPem() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'idtap-interop-iaca-'));
  try {
    makeIaca(path.join(dir, 'iaca'));
    return fs.readFileSync(path.join(dir, 'iaca.pem'), 'utf8');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// makeTls: a TLS CA (tls-ca.pem) and, under it, the server's certificate for the IP address
// 127.0.0.1 (tls-server.pem, tls-server.key). Node checks an IP address against the
// certificate's subjectAltName only (RFC 6125 §6.4.4: never the common name), so it has one.
function makeTls(file) {
  run('openssl', ['genpkey', ...kP256, '-out', file('tls-ca.key')]);
  run('openssl', ['req', '-new', '-x509', '-key', file('tls-ca.key'), '-out', file('tls-ca.pem'), '-days', '30', '-sha256',
    '-subj', '/C=KR/O=idtap interop test/CN=idtap interop TLS CA',
    '-addext', 'basicConstraints=critical,CA:TRUE,pathlen:0', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  run('openssl', ['genpkey', ...kP256, '-out', file('tls-server.key')]);
  run('openssl', ['req', '-new', '-key', file('tls-server.key'), '-out', file('tls-server.csr'), '-subj', '/C=KR/O=idtap interop test/CN=127.0.0.1']);
  fs.writeFileSync(file('tls-server.ext'),
    'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1\n');
  run('openssl', ['x509', '-req', '-in', file('tls-server.csr'), '-CA', file('tls-ca.pem'), '-CAkey', file('tls-ca.key'),
    '-set_serial', '3', '-days', '30', '-sha256', '-extfile', file('tls-server.ext'), '-out', file('tls-server.pem')]);
}

// tlsFetch: a WHATWG fetch (what the OpenID4VCI library's `callbacks.fetch` takes) over
// node:https that trusts `caPem` alone, as a phone trusts the issuer's TLS chain: node's global
// fetch reads extra CAs only at start-up (NODE_EXTRA_CA_CERTS), before this test made its CA.
// Keep-alive, like a wallet's one connection; each request bounded by 30 s.
export function tlsFetch(caPem) {
  const agent = new https.Agent({ ca: caPem, keepAlive: true, maxSockets: 4 });
  const fetchOverHttps = (input, init = {}) => new Promise((resolve, reject) => {
    const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
    if (url.protocol !== 'https:') {
      reject(new TypeError(`tlsFetch: ${url.href} is not https`));
      return;
    }
    const headers = Object.fromEntries(new Headers(init.headers ?? {}).entries());
    const body = init.body === undefined || init.body === null ? null : Buffer.from(init.body instanceof Uint8Array ? init.body : String(init.body));
    if (body) headers['content-length'] = String(body.length);
    const req = https.request(url, { method: init.method ?? 'GET', headers, agent, timeout: 30_000 }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const responseHeaders = new Headers();
        for (const [name, value] of Object.entries(res.headers)) {
          for (const v of Array.isArray(value) ? value : [value]) responseHeaders.append(name, v);
        }
        const nullBody = [101, 204, 205, 304].includes(res.statusCode);
        resolve(new Response(nullBody ? null : Buffer.concat(chunks), { status: res.statusCode, statusText: res.statusMessage, headers: responseHeaders }));
      });
    });
    req.on('timeout', () => req.destroy(new Error(`tlsFetch: ${url.href} timed out`)));
    req.on('error', reject);
    req.end(body ?? undefined);
  });
  fetchOverHttps.close = () => agent.destroy();
  return fetchOverHttps;
}

// makeSite: everything under a fresh temporary directory. Throws with the failing command's
// output when a step fails.
export function makeSite() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'idtap-interop-'));
  const file = (name) => path.join(dir, name);
  run(idtapProgram, ['sim', 'personalize', '--out', file('card'), '--issue-date', '2025-01-15', '--expiry-date', '2035-01-14']);

  // The issuer PKI: an IACA (self-signed, CA) and a document signer (ISO 18013-5 Annex B: the
  // DS certificate carries the country, C=KR, which verifiers compare with the mdoc).
  makeIaca(file('iaca'));
  run('openssl', ['genpkey', ...kP256, '-out', file('issuer.key')]);
  run('openssl', ['req', '-new', '-key', file('issuer.key'), '-out', file('ds.csr'), '-subj', '/C=KR/O=idtap interop test/CN=idtap interop DS']);
  fs.writeFileSync(file('ds.ext'), 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n');
  run('openssl', ['x509', '-req', '-in', file('ds.csr'), '-CA', file('iaca.pem'), '-CAkey', file('iaca.key'),
    '-set_serial', '2', '-days', '1825', '-sha256', '-extfile', file('ds.ext'), '-out', file('ds.pem')]);
  fs.writeFileSync(file('issuer.pem'), fs.readFileSync(file('ds.pem'), 'utf8') + fs.readFileSync(file('iaca.pem'), 'utf8'));

  makeTls(file);

  run(idtapProgram, ['ledger', 'init', '--ledger', file('ledger.db'), '--status-uri', 'https://status.example.kr/lists/1']);
  const adminToken = randomBytes(24).toString('hex');
  fs.writeFileSync(file('admin.token'), adminToken + '\n', { mode: 0o600 });
  return {
    dir,
    file,
    adminToken,
    iacaPem: fs.readFileSync(file('iaca.pem'), 'utf8'),
    tlsCaPem: fs.readFileSync(file('tls-ca.pem'), 'utf8'),
    serveArgs: ['--ledger', file('ledger.db'), '--issuer-key', file('issuer.key'), '--issuer-cert', file('issuer.pem'),
      '--admin-token-file', file('admin.token'), '--reader', 'sim:' + file('card'),
      '--trust', file('card/pki/csca_cert.pem'), '--threads', '4'],
    remove() {
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// startServe: `idtap serve` on 127.0.0.1, port chosen by the kernel (--listen 127.0.0.1:0,
// --port-file), over HTTPS with the site's server certificate unless `tls` is false (plain
// HTTP, which idtap serve allows on loopback only). Its `fetch` is one that reaches it: a
// tlsFetch trusting the site's TLS CA, or node's own for plain HTTP. Resolves once it listens
// (bounded: 600 x 50 ms), or rejects with its log.
export async function startServe(site, { tls = true } = {}) {
  const portFile = site.file(`serve-${process.pid}-${Date.now()}.port`);
  const logPath = portFile.replace(/\.port$/, '.log');
  const log = fs.openSync(logPath, 'w', 0o600);
  const tlsArgs = tls ? ['--tls-cert', site.file('tls-server.pem'), '--tls-key', site.file('tls-server.key')] : [];
  const child = spawn(idtapProgram, ['serve', '--listen', '127.0.0.1:0', '--port-file', portFile, ...tlsArgs, ...site.serveArgs],
    { stdio: ['ignore', log, log] });
  fs.closeSync(log);
  let exited = null;
  const exit = new Promise((resolve) => child.on('exit', (code, signal) => {
    exited = { code, signal };
    resolve(exited);
  }));
  const readLog = () => fs.readFileSync(logPath, 'utf8');
  for (let i = 0; i < 600 && exited === null; ++i) {
    const text = fs.existsSync(portFile) ? fs.readFileSync(portFile, 'utf8') : '';
    if (text.endsWith('\n')) {
      const port = Number.parseInt(text, 10);
      const fetchIt = tls ? tlsFetch(site.tlsCaPem) : fetch;
      return {
        pid: child.pid,
        baseUrl: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
        fetch: fetchIt,
        log: readLog,
        // stop: SIGTERM to this pid, then a bounded wait (30 s, then SIGKILL); the exit code.
        async stop() {
          fetchIt.close?.();  // its idle keep-alive connections, before the server drains
          if (exited === null) process.kill(child.pid, 'SIGTERM');
          let timer;
          const timeout = new Promise((resolve) => { timer = setTimeout(() => resolve(null), 30000); });
          const done = await Promise.race([exit, timeout]);
          clearTimeout(timer);  // a pending timer would keep this process alive for its 30 s
          if (done === null) {
            process.kill(child.pid, 'SIGKILL');
            await exit;
            return -1;
          }
          return done.code ?? -1;
        },
      };
    }
    await sleep(50);
  }
  if (exited === null) {
    process.kill(child.pid, 'SIGKILL');
    await exit;
  }
  throw new Error(`idtap serve did not start: ${readLog()}`);
}

// createOffer: POST /admin/offers as a desk application does (the card on the server's reader,
// CAN 123456); the 201 answer's JSON.
export async function createOffer(server, site) {
  const res = await server.fetch(`${server.baseUrl}/admin/offers`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${site.adminToken}` },
    body: JSON.stringify({ can: '123456' }),
  });
  const text = await res.text();
  if (res.status !== 201) throw new Error(`POST /admin/offers: HTTP ${res.status} ${text}`);
  return JSON.parse(text);
}
