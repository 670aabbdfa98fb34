'use strict';
// The shim against the real binary, `okta-airsync sim` and `okta-airsync devrev` on loopback.

const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
const BIN = process.env.OKTA_AIRSYNC_BIN || path.join(ROOT, 'target', 'debug', 'okta-airsync');
const SHIM = path.join(__dirname, '..', 'src', 'index.js');

const children = [];
after(() => children.forEach((p) => p.kill('SIGKILL')));

/** Starts one of the binary's servers and resolves with its URL once it says it is ready. */
function start(args) {
  return new Promise((resolve, reject) => {
    const proc = spawn(BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(proc);
    let said = '';
    const timer = setTimeout(() => reject(new Error(`${args[0]} did not start: ${said}`)), 20000);
    const look = (chunk) => {
      said += String(chunk);
      // The line may arrive in pieces: match the whole text, up to the end of the address.
      const m = /ready at (http:\/\/[0-9.:]+)[\s(]/.exec(said);
      if (m) {
        clearTimeout(timer);
        resolve({ proc, url: m[1] });
      }
    };
    proc.stdout.on('data', look);
    proc.stderr.on('data', look);
    proc.on('error', reject);
  });
}

async function world(simArgs = []) {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'shim-test-'));
  const sim = await start(['sim', '--listen', '127.0.0.1:0', '--users', '40', '--groups', '8', '--apps', '4', '--devices', '10', '--log-events', '100', ...simArgs]);
  const devrev = await start(['devrev', '--listen', '127.0.0.1:0', '--out', out]);
  return {
    sim, devrev,
    stop() { sim.proc.kill(); devrev.proc.kill(); },
    event(name, n) {
      const text = fs.readFileSync(path.join(ROOT, 'fixtures', 'events', `${name}.json`), 'utf8').replaceAll('http://devrev.placeholder', devrev.url);
      const ev = JSON.parse(text)[0];
      const rid = `shim-test-${name}-${n}`;
      for (const k of ['request_id', 'request_id_adaas', 'uuid']) ev.payload.event_context[k] = rid;
      return ev;
    },
    async replies() {
      return (await (await fetch(`${devrev.url}/__emu/events`)).json());
    },
    async state() {
      const r = await fetch(`${devrev.url}/__emu/state?sync_unit=su1`);
      return r.ok ? r.json() : null;
    },
  };
}

/** Loads the shim fresh with these environment settings. */
function shimWith(env) {
  for (const [k, v] of Object.entries(env)) process.env[k] = v;
  delete require.cache[require.resolve(SHIM)];
  return require(SHIM);
}

test('a normal run ends DONE', async () => {
  const w = await world();
  try {
    const shim = shimWith({ OKTA_AIRSYNC_BIN: BIN, OKTA_AIRSYNC_BASE_URL: w.sim.url, OKTA_AIRSYNC_SHIM_SOFT_MS: '60000', OKTA_AIRSYNC_SHIM_HARD_MS: '90000' });
    await shim.functionFactory.extraction([w.event('metadata', 1)]);
    await shim.functionFactory.extraction([w.event('data_start', 1)]);
    const r = await w.replies();
    assert.deepEqual(r.received.map((x) => x.event_type), ['METADATA_EXTRACTION_DONE', 'DATA_EXTRACTION_DONE']);
    assert.deepEqual(r.violations, []);
    assert.ok(r.artifacts.users >= 1);
  } finally {
    w.stop();
  }
});

test('a run that outlives the soft limit ends in PROGRESS with state saved', async () => {
  const w = await world(['--latency-ms', '300']);
  try {
    const shim = shimWith({ OKTA_AIRSYNC_BIN: BIN, OKTA_AIRSYNC_BASE_URL: w.sim.url, OKTA_AIRSYNC_SHIM_SOFT_MS: '1200', OKTA_AIRSYNC_SHIM_HARD_MS: '60000' });
    await shim.functionFactory.extraction([w.event('data_start', 2)]);
    const r = await w.replies();
    assert.deepEqual(r.received.map((x) => x.event_type), ['DATA_EXTRACTION_PROGRESS']);
    const state = await w.state();
    assert.ok(state && state.okta && state.okta.run, 'the connector state was saved');
    assert.ok(state.lastSyncStarted, 'the sync start was saved');
  } finally {
    w.stop();
  }
});

test('a binary killed mid-run leads the shim to emit ERROR', async () => {
  const w = await world(['--latency-ms', '300']);
  try {
    const shim = shimWith({ OKTA_AIRSYNC_BIN: BIN, OKTA_AIRSYNC_BASE_URL: w.sim.url, OKTA_AIRSYNC_SHIM_SOFT_MS: '60000', OKTA_AIRSYNC_SHIM_HARD_MS: '800' });
    await shim.functionFactory.extraction([w.event('data_start', 3)]);
    const r = await w.replies();
    assert.deepEqual(r.received.map((x) => x.event_type), ['DATA_EXTRACTION_ERROR']);
    assert.match(r.received[0].body.event_data.error.message, /Worker exited without emitting event.*SIGKILL/);
    assert.deepEqual(r.violations, []);
  } finally {
    w.stop();
  }
});

test('a bundled binary that lost its exec bit is copied and made executable', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shim-bundle-'));
  fs.mkdirSync(path.join(dir, 'bin'));
  fs.copyFileSync(SHIM, path.join(dir, 'index.js'));
  fs.copyFileSync(BIN, path.join(dir, 'bin', `okta-airsync-${process.arch}`));
  fs.chmodSync(path.join(dir, 'bin', `okta-airsync-${process.arch}`), 0o644);
  delete process.env.OKTA_AIRSYNC_BIN;
  const { resolveBinary } = require(path.join(dir, 'index.js'));
  const bin = resolveBinary();
  assert.ok(bin.startsWith(os.tmpdir()) && bin !== path.join(dir, 'bin', `okta-airsync-${process.arch}`));
  fs.accessSync(bin, fs.constants.X_OK);
});

test('the factory exports every function the manifest names', () => {
  const manifest = fs.readFileSync(path.join(ROOT, 'manifest.yaml'), 'utf8');
  const section = manifest.split(/^functions:/m)[1].split(/^\S/m)[0];
  const names = [...section.matchAll(/- name: (\S+)/g)].map((m) => m[1]);
  const { functionFactory } = require(SHIM);
  assert.deepEqual(Object.keys(functionFactory).sort(), names.sort());
});
