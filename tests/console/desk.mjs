// tests/console/desk.mjs: a whole desk for the console's browser tests, from the command line
// only: a private pcscd with a vsmartcard vpcd reader (in its own mount namespace, as
// tests/support/pcscd_fixture.cpp does it), simulated cards tapped on it (`idtap sim serve`),
// the issuer the phones talk to (`idtap serve`), the console (`idtap console`), and Debian's
// chromium driven by puppeteer-core. Every process is started here, on free loopback ports, and
// stopped by its pid; every wait is bounded.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

import { idtapProgram, load } from '../interop/site.mjs';

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export function run(program, args, options = {}) {
  try {
    return execFileSync(program, args, { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], ...options });
  } catch (e) {
    throw new Error(`${program} ${args.join(' ')} failed (exit ${e.status}): ${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

// freePortPair: a TCP port P with P and P+1 free (vpcd's two slots), tried a bounded number of times.
async function portFree(port) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
export async function freePortPair() {
  for (let i = 0; i < 200; ++i) {
    const port = 20000 + Math.floor(Math.random() * 40000);
    if (await portFree(port) && await portFree(port + 1)) return port;
  }
  throw new Error('no free TCP port pair for vpcd');
}

// Child: a process with its output in a log file, stopped by pid (SIGTERM, bounded, then SIGKILL).
export class Child {
  constructor(program, args, logPath, env = {}) {
    const log = fs.openSync(logPath, 'w', 0o600);
    this.logPath = logPath;
    this.exited = null;
    this.child = spawn(program, args, { stdio: ['ignore', log, log], env: { ...process.env, ...env } });
    fs.closeSync(log);
    this.exit = new Promise((resolve) => this.child.on('exit', (code, signal) => {
      this.exited = { code, signal };
      resolve(this.exited);
    }));
  }
  get pid() { return this.child.pid; }
  log() { return fs.existsSync(this.logPath) ? fs.readFileSync(this.logPath, 'utf8') : ''; }
  async stop(graceMs = 10000) {
    if (this.exited) return this.exited.code ?? -1;
    process.kill(this.child.pid, 'SIGTERM');
    let timer;
    const timeout = new Promise((resolve) => { timer = setTimeout(() => resolve(null), graceMs); });
    const done = await Promise.race([this.exit, timeout]);
    clearTimeout(timer);
    if (done === null) {
      process.kill(this.child.pid, 'SIGKILL');
      await this.exit;
      return -1;
    }
    return done.code ?? -1;
  }
}

// startPcscd: pcscd in a private mount namespace whose /run/pcscd is `dir`/run, with one vpcd
// reader; resolves once `idtap readers` lists it (bounded: 200 x 50 ms).
export async function startPcscd(dir) {
  const port = await freePortPair();
  const runDir = path.join(dir, 'run');
  fs.mkdirSync(runDir, { recursive: true });
  const conf = path.join(dir, 'reader.conf');
  fs.writeFileSync(conf, `FRIENDLYNAME "idtap-vpcd-${port}"\nDEVICENAME /dev/null:${port}\n` +
    `LIBPATH /usr/lib/pcsc/drivers/serial/libifdvpcd.so\nCHANNELID ${port}\n`);
  const script = 'set -e; if [ ! -d /run/pcscd ]; then mount -t tmpfs -o mode=0755 idtap-run /run; mkdir /run/pcscd; fi; ' +
    'mount --bind "$0" /run/pcscd; exec pcscd --foreground --config "$1"';
  const pcscd = new Child('unshare', ['--mount', '--propagation', 'private', '--', '/bin/sh', '-c', script, runDir, conf],
    path.join(dir, 'pcscd.log'));
  const env = { PCSCLITE_CSOCK_NAME: path.join(runDir, 'pcscd.comm') };
  const reader = `pcsc:idtap-vpcd-${port} 00 00`;
  for (let i = 0; i < 200 && !pcscd.exited; ++i) {
    if (fs.existsSync(env.PCSCLITE_CSOCK_NAME)) {
      try {
        const out = execFileSync(idtapProgram, ['readers'], { encoding: 'utf8', env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
        if (out.includes(`idtap-vpcd-${port} 00 00`)) return { pcscd, env, port, reader };
      } catch (e) { /* not ready yet */ }
    }
    await sleep(50);
  }
  await pcscd.stop();
  throw new Error(`pcscd did not come up: ${pcscd.log()}`);
}

// tapCard: `idtap sim serve` of `cardDir` on the vpcd reader (the card is on the reader until
// the returned Child is stopped).
export function tapCard(dir, cardDir, vpcdPort, extra = []) {
  return new Child(idtapProgram, ['sim', 'serve', '--card', cardDir, '--vpcd', `127.0.0.1:${vpcdPort}`, '--quiet', ...extra],
    path.join(dir, `sim-${path.basename(cardDir)}-${Date.now()}.log`));
}

// startListening: `idtap PROGRAM_ARGS --listen 127.0.0.1:0 --port-file F`; its base URL once it
// listens (bounded: 600 x 50 ms).
export async function startListening(dir, name, args, env = {}) {
  const portFile = path.join(dir, `${name}.port`);
  fs.rmSync(portFile, { force: true });
  const child = new Child(idtapProgram, [...args, '--listen', '127.0.0.1:0', '--port-file', portFile],
    path.join(dir, `${name}.log`), env);
  for (let i = 0; i < 600 && !child.exited; ++i) {
    const text = fs.existsSync(portFile) ? fs.readFileSync(portFile, 'utf8') : '';
    if (text.endsWith('\n')) return { child, baseUrl: `http://127.0.0.1:${Number.parseInt(text, 10)}` };
    await sleep(50);
  }
  await child.stop();
  throw new Error(`idtap ${name} did not start: ${child.log()}`);
}

// launchBrowser: Debian's chromium (never a downloaded one), headless, in a fresh profile, on
// a closed network (loopback only is used).
export async function launchBrowser(dir) {
  const puppeteerModule = await load('puppeteer-core');
  const puppeteer = puppeteerModule.default ?? puppeteerModule;
  const profile = fs.mkdtempSync(path.join(dir, 'chromium-'));
  return puppeteer.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    userDataDir: profile,
    timeout: 60000,
    protocolTimeout: 60000,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-default-apps', '--disable-extensions', '--lang=ko-KR',
      '--window-size=1280,1000'],
  });
}

// personalize: a simulated card image under `dir`/NAME (idtap sim personalize OPTIONS).
export function personalize(dir, name, options = []) {
  const out = path.join(dir, name);
  run(idtapProgram, ['sim', 'personalize', '--out', out, '--issue-date', '2025-01-15', '--expiry-date', '2035-01-14', ...options]);
  return out;
}

export function tempDir(prefix) {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}
