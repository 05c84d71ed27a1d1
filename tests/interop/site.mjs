// tests/interop/site.mjs: one service center for the interoperability tests, built with the
// command line only (no idtap code runs in this process): a simulated card (`idtap sim
// personalize`), an issuer PKI made by `openssl` (an IACA root and a document signer under it,
// independent of idtap's own certificate code), a ledger (`idtap ledger init`), an admin token,
// and `idtap serve` started on a free loopback port and stopped by its pid.
//
// The npm libraries live in the build tree (build/node/node_modules, installed by `make
// node-modules` from tests/interop/package-lock.json), not beside this file: load() imports
// them from there.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
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

  run(idtapProgram, ['ledger', 'init', '--ledger', file('ledger.db'), '--status-uri', 'https://status.example.kr/lists/1']);
  const adminToken = randomBytes(24).toString('hex');
  fs.writeFileSync(file('admin.token'), adminToken + '\n', { mode: 0o600 });
  return {
    dir,
    file,
    adminToken,
    iacaPem: fs.readFileSync(file('iaca.pem'), 'utf8'),
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
// --port-file). Resolves once it listens (bounded: 600 x 50 ms), or rejects with its log.
export async function startServe(site) {
  const portFile = site.file(`serve-${process.pid}-${Date.now()}.port`);
  const logPath = portFile.replace(/\.port$/, '.log');
  const log = fs.openSync(logPath, 'w', 0o600);
  const child = spawn(idtapProgram, ['serve', '--listen', '127.0.0.1:0', '--port-file', portFile, ...site.serveArgs],
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
      return {
        pid: child.pid,
        baseUrl: `http://127.0.0.1:${port}`,
        log: readLog,
        // stop: SIGTERM to this pid, then a bounded wait (30 s, then SIGKILL); the exit code.
        async stop() {
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
  const res = await fetch(`${server.baseUrl}/admin/offers`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${site.adminToken}` },
    body: JSON.stringify({ can: '123456' }),
  });
  const text = await res.text();
  if (res.status !== 201) throw new Error(`POST /admin/offers: HTTP ${res.status} ${text}`);
  return JSON.parse(text);
}
