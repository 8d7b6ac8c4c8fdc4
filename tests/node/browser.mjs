// In a real browser (Debian's headless Chromium, driven by puppeteer-core):
// a page from an origin given to --allowed-origins uses mcpkeep with fetch
// across origins: it initializes a session (reading Mcp-Session-Id), calls
// a tool and reads the SSE answer, and resumes the call's stream with
// Last-Event-ID. The same page from an origin not allowed is blocked by the
// browser. Exit code 77 (skipped) only when Chromium cannot start.
//
//   node browser.mjs PATH_TO_MCPKEEP
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';

import puppeteer from 'puppeteer-core';

import { killServers, startServe } from './serve.mjs';

const SKIP = 77;
const CHROMIUM = '/usr/bin/chromium';
const binary = process.argv[2];
if (!binary) throw new Error('usage: node browser.mjs PATH_TO_MCPKEEP');
const dir = mkdtempSync(join(tmpdir(), 'mcpkeep-browser-'));

// What the page runs: plain fetch, as a web app without an SDK would.
async function pageScript(endpoint) {
  const events = (text) => text.split('\n\n').filter((block) => block.trim()).map((block) => {
    const event = {};
    for (const line of block.split('\n')) {
      const colon = line.indexOf(':');
      const field = line.slice(0, colon);
      const value = line.slice(colon + 1).replace(/^ /, '');
      if (field === 'data') event.data = (event.data ?? '') + value;
      else if (field === 'id') event.id = value;
    }
    return event;
  });
  const messages = (list) => list.filter((e) => e.data).map((e) => JSON.parse(e.data));
  const headers = { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' };
  try {
    const init = await fetch(endpoint, {
      method: 'POST', headers,
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: {
        protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'browser-page', version: '1' } } }),
    });
    const session = init.headers.get('Mcp-Session-Id');
    const initialized = messages(events(await init.text()));
    const inSession = { ...headers, 'Mcp-Session-Id': session, 'MCP-Protocol-Version': '2025-11-25' };
    await fetch(endpoint, { method: 'POST', headers: inSession,
      body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) });
    const call = await fetch(endpoint, {
      method: 'POST', headers: inSession,
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: {
        name: 'slow_task', arguments: { steps: 3, interval_ms: 10 }, _meta: { progressToken: 'p' } } }),
    });
    const callEvents = events(await call.text());
    // Resume from the first progress notification: the rest again.
    const firstProgress = callEvents.find((e) => e.data && JSON.parse(e.data).method === 'notifications/progress');
    const resumed = await fetch(endpoint, {
      method: 'GET', headers: { Accept: 'text/event-stream', 'Mcp-Session-Id': session,
        'MCP-Protocol-Version': '2025-11-25', 'Last-Event-ID': firstProgress.id },
    });
    const resumedMessages = messages(events(await resumed.text()));
    const removed = await fetch(endpoint, { method: 'DELETE', headers: { 'Mcp-Session-Id': session } });
    return {
      session, serverName: initialized[0]?.result?.serverInfo?.name,
      call: messages(callEvents), resumedStatus: resumed.status, resumed: resumedMessages,
      deleteStatus: removed.status,
    };
  } catch (error) {
    return { blocked: true, error: String(error) };
  }
}

// The pages: http://allowed.test:PORT/ and http://other.test:PORT/, both
// served here, on loopback; Chromium maps the names to 127.0.0.1.
const pages = createServer((req, res) => {
  res.writeHead(200, { 'Content-Type': 'text/html' });
  res.end('<!doctype html><title>mcpkeep browser test</title>');
});
await new Promise((resolve) => pages.listen(0, '127.0.0.1', resolve));
const pagePort = pages.address().port;
const allowed = `http://allowed.test:${pagePort}`;
const other = `http://other.test:${pagePort}`;
const { url } = await startServe(binary, ['--db', join(dir, 'browser.db'), '--listen', '127.0.0.1:0',
                                          '--allowed-origins', allowed]);
const endpoint = url.href;

let browser;
try {
  try {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is not installed`);
    browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      userDataDir: join(dir, 'profile'),
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
             '--disable-background-networking', '--disable-component-update', '--disable-sync',
             '--host-resolver-rules=MAP allowed.test 127.0.0.1, MAP other.test 127.0.0.1'],
    });
  } catch (error) {
    console.log(`SKIPPED: Chromium cannot start here: ${error.message}`);
    process.exitCode = SKIP;
  }
  if (browser) {
    const run = async (origin) => {
      const page = await browser.newPage();
      await page.goto(`${origin}/`);
      const result = await page.evaluate(pageScript, endpoint);
      await page.close();
      return result;
    };

    const ok = await run(allowed);
    assert.equal(ok.blocked, undefined, `the allowed page was blocked: ${ok.error}`);
    assert.match(ok.session, /^[0-9a-f]{32}$/);
    assert.equal(ok.serverName, 'mcpkeep');
    const progress = ok.call.filter((m) => m.method === 'notifications/progress').map((m) => m.params.progress);
    assert.deepEqual(progress, [1, 2, 3]);
    assert.equal(ok.call.at(-1).id, 2);
    assert.equal(ok.call.at(-1).result.content[0].text, 'done after 3 steps');
    assert.equal(ok.resumedStatus, 200);
    assert.deepEqual(ok.resumed.filter((m) => m.method).map((m) => m.params.progress), [2, 3]);
    assert.equal(ok.resumed.at(-1).id, 2);
    assert.equal(ok.deleteStatus, 200);

    const refused = await run(other);
    assert.equal(refused.blocked, true, `a page from ${other} read a response: ${JSON.stringify(refused)}`);
    console.log(`ok: ${allowed} initialized, called a tool and resumed its stream; ${other} was blocked ` +
                `(${refused.error})`);
  }
} finally {
  await browser?.close();
  killServers();
  pages.close();
  rmSync(dir, { recursive: true, force: true });
}
