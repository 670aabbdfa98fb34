'use strict';
// The DevRev snap-in function: a thin shim that runs the okta-airsync binary once per event.
//
// For each event it spawns the bundled binary for this machine's architecture with the event on
// stdin, forwards the binary's log lines, sends SIGTERM at the soft limit (the worker then saves
// state and replies PROGRESS) and SIGKILL at the hard limit, and replies *_ERROR itself if the
// binary died without replying. No runtime dependencies.

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const SOFT_MS = () => Number(process.env.OKTA_AIRSYNC_SHIM_SOFT_MS || 9.5 * 60 * 1000);
const HARD_MS = () => Number(process.env.OKTA_AIRSYNC_SHIM_HARD_MS || 12.5 * 60 * 1000);
const SDK_VERSION = '1.20.0';

// The reply a phase sends when it fails (new names, as the SDK sends them).
const ERROR_REPLY = {
  START_EXTRACTING_EXTERNAL_SYNC_UNITS: 'EXTERNAL_SYNC_UNIT_EXTRACTION_ERROR',
  EXTRACTION_EXTERNAL_SYNC_UNITS_START: 'EXTERNAL_SYNC_UNIT_EXTRACTION_ERROR',
  START_EXTRACTING_METADATA: 'METADATA_EXTRACTION_ERROR',
  EXTRACTION_METADATA_START: 'METADATA_EXTRACTION_ERROR',
  START_EXTRACTING_DATA: 'DATA_EXTRACTION_ERROR',
  EXTRACTION_DATA_START: 'DATA_EXTRACTION_ERROR',
  CONTINUE_EXTRACTING_DATA: 'DATA_EXTRACTION_ERROR',
  EXTRACTION_DATA_CONTINUE: 'DATA_EXTRACTION_ERROR',
  START_EXTRACTING_ATTACHMENTS: 'ATTACHMENT_EXTRACTION_ERROR',
  EXTRACTION_ATTACHMENTS_START: 'ATTACHMENT_EXTRACTION_ERROR',
  CONTINUE_EXTRACTING_ATTACHMENTS: 'ATTACHMENT_EXTRACTION_ERROR',
  EXTRACTION_ATTACHMENTS_CONTINUE: 'ATTACHMENT_EXTRACTION_ERROR',
  START_DELETING_EXTRACTOR_STATE: 'EXTRACTOR_STATE_DELETION_ERROR',
  EXTRACTION_DATA_DELETE: 'EXTRACTOR_STATE_DELETION_ERROR',
  START_DELETING_EXTRACTOR_ATTACHMENTS_STATE: 'EXTRACTOR_ATTACHMENTS_STATE_DELETION_ERROR',
  EXTRACTION_ATTACHMENTS_DELETE: 'EXTRACTOR_ATTACHMENTS_STATE_DELETION_ERROR',
};

/** The binary to run: OKTA_AIRSYNC_BIN, else dist/bin/okta-airsync-<arch>, made executable. */
function resolveBinary() {
  if (process.env.OKTA_AIRSYNC_BIN) return process.env.OKTA_AIRSYNC_BIN;
  const bundled = path.join(__dirname, 'bin', `okta-airsync-${process.arch}`);
  if (!fs.existsSync(bundled)) throw new Error(`no okta-airsync binary for ${process.arch} at ${bundled}`);
  try {
    fs.accessSync(bundled, fs.constants.X_OK);
    return bundled;
  } catch {
    // Packaging lost the exec bit, and the bundle may be read-only: run a copy from the temp dir.
    const copy = path.join(os.tmpdir(), `okta-airsync-${process.arch}-${process.pid}`);
    fs.copyFileSync(bundled, copy);
    fs.chmodSync(copy, 0o755);
    return copy;
  }
}

/** Posts the phase's ERROR reply, as the SDK's supervisor does (no artifacts). */
async function emitError(event, message) {
  const payload = event.payload || {};
  const ctx = payload.event_context || {};
  const token = event.context && event.context.secrets && event.context.secrets.service_account_token;
  if (!ctx.callback_url || !token) return false;
  const body = {
    event_type: ERROR_REPLY[payload.event_type] || 'UNKNOWN_EVENT_TYPE',
    event_context: ctx,
    event_data: { error: { message } },
    worker_metadata: { adaas_library_version: SDK_VERSION },
  };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const res = await fetch(ctx.callback_url, {
        method: 'POST',
        headers: {
          Accept: 'application/json, text/plain, */*',
          'Content-Type': 'application/json',
          Authorization: token,
          'X-DevRev-Client-Platform': ctx.snap_in_slug || '',
          'X-DevRev-Client-Id': ctx.snap_in_version_id || '',
          'X-DevRev-Client-Version': SDK_VERSION,
        },
        body: JSON.stringify(body),
      });
      if (res.ok) return true;
      if (res.status < 500) return false;
    } catch (e) {
      console.error(`okta-airsync shim: the ERROR reply failed: ${e.message}`);
    }
    await new Promise((r) => setTimeout(r, 1000 * 2 ** attempt));
  }
  return false;
}

function forward(stream, sink, onLine) {
  let buf = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk) => {
    buf += chunk;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      onLine(line);
      sink(line);
    }
  });
  stream.on('end', () => buf && (onLine(buf), sink(buf)));
}

/** Runs the binary on one event; resolves to {code, signal, replied}. */
function runOne(event) {
  return new Promise((resolve) => {
    let replied = false;
    let child;
    try {
      child = spawn(resolveBinary(), ['run', '--event', '-', '--log-format', 'json'], { stdio: ['pipe', 'pipe', 'pipe'], env: process.env });
    } catch (e) {
      resolve({ code: null, signal: null, replied: false, error: e.message });
      return;
    }
    const seeReply = (line) => {
      if (line.includes('"reply_sent"')) replied = true;
    };
    forward(child.stdout, (l) => console.log(l), seeReply);
    forward(child.stderr, (l) => console.log(l), seeReply);
    const soft = setTimeout(() => child.kill('SIGTERM'), SOFT_MS());
    const hard = setTimeout(() => child.kill('SIGKILL'), HARD_MS());
    child.on('error', (e) => console.error(`okta-airsync shim: ${e.message}`));
    child.on('close', (code, signal) => {
      clearTimeout(soft);
      clearTimeout(hard);
      resolve({ code, signal, replied });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(JSON.stringify([event]));
  });
}

/** The `extraction` function: handles each event of the invocation in turn. */
async function extraction(events) {
  for (const event of Array.isArray(events) ? events : [events]) {
    const r = await runOne(event);
    if (!r.replied) {
      const why = r.error || (r.signal ? `it was killed by ${r.signal}` : `it exited with code ${r.code}`);
      const message = `Worker exited without emitting event. Error: okta-airsync ${why}`;
      console.error(`okta-airsync shim: ${message}`);
      await emitError(event, message);
    }
  }
}

const functionFactory = { extraction };

module.exports = { functionFactory, extraction, resolveBinary, ERROR_REPLY };
