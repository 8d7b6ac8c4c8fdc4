// The official TypeScript client 2.x against mcpkeep in each of its
// protocol modes: 'legacy' (the default: initialize, a session), 'auto'
// (probes with server/discover and must settle on 2026-07-28 without an
// error logged) and pinned to 2026-07-28. Each lists tools and calls one;
// the modern ones also get progress, answer an input_required round trip
// (elicitation, through the client's own handler) and hear a tool list
// change on subscriptions/listen. Then the gateway bridging the eras: a
// pinned 2026-07-28 client through `mcpkeep serve --upstream-command` to
// server-everything, which speaks only the session era; and the other way:
// a session-era client (the default mode) through the gateway to a server
// of 2026-07-28 only (the fixture with --protocols stateless), an input
// request bridged to an elicitation on the session's stream, its session
// surviving a kill -9 of mcpkeep. Last, 'auto' against `serve --protocols
// sessions` falls back to initialize quietly.
//
//   node stateless_v2.mjs PATH_TO_MCPKEEP PATH_TO_CONFORMANCE_SERVER
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';

import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';

import { everything } from './gateway_client.mjs';
import { killServers, startServe, startServer, waitFor } from './serve.mjs';

const [binary, fixture] = process.argv.slice(2);
if (!fixture) throw new Error('usage: node stateless_v2.mjs PATH_TO_MCPKEEP PATH_TO_CONFORMANCE_SERVER');
const dir = mkdtempSync(join(tmpdir(), 'mcpkeep-stateless-'));

// Everything the client logs as an error or a warning.
const complaints = [];
for (const level of ['error', 'warn']) {
  const original = console[level];
  console[level] = (...args) => {
    complaints.push(`${level}: ${args.map(String).join(' ')}`);
    original(...args);
  };
}

async function connect(url, mode) {
  const client = new Client(
    { name: 'mcpkeep-stateless-test', version: '1.0.0' },
    { capabilities: { elicitation: {} }, ...(mode ? { versionNegotiation: { mode } } : {}) });
  client.setRequestHandler('elicitation/create', async () => ({ action: 'accept', content: { name: 'Alice' } }));
  client.httpTransport = new StreamableHTTPClientTransport(url);
  await client.connect(client.httpTransport);
  return client;
}

function textOf(result) {
  return result.content.map((c) => c.text).join('');
}

async function basics(client) {
  const { tools } = await client.listTools();
  assert.ok(tools.some((t) => t.name === 'test_simple_text'), 'tools/list names the fixture tools');
  const result = await client.callTool({ name: 'test_simple_text', arguments: {} });
  assert.match(textOf(result), /simple text/);
}

async function modernFeatures(client) {
  let progress = 0;
  await client.callTool({ name: 'test_tool_with_progress', arguments: {} }, { onprogress: () => { progress += 1; } });
  assert.ok(progress >= 1, 'progress notifications reach the caller');

  const greeted = await client.callTool({ name: 'test_input_required_result_elicitation', arguments: {} });
  assert.equal(textOf(greeted), 'Hello, Alice!', 'the input_required round trip went through the elicitation handler');

  const changes = [];
  client.setNotificationHandler('notifications/tools/list_changed', () => { changes.push(Date.now()); });
  const subscription = await client.listen({ toolsListChanged: true });
  assert.equal(subscription.honoredFilter.toolsListChanged, true);
  await client.callTool({ name: 'test_trigger_tool_change', arguments: {} });
  await waitFor('notifications/tools/list_changed on the listen stream', () => changes.length > 0);
  await subscription.close();
}

async function main() {
  const server = await startServer(fixture, ['--db', join(dir, 'fixture.db'), '--listen', '127.0.0.1:0']);

  const legacy = await connect(server.url);
  assert.equal(legacy.getProtocolEra(), 'legacy');
  await basics(legacy);
  await legacy.close();

  const auto = await connect(server.url, 'auto');
  assert.equal(auto.getProtocolEra(), 'modern', 'auto mode settled on the stateless era');
  assert.equal(auto.getNegotiatedProtocolVersion(), '2026-07-28');
  await basics(auto);
  await modernFeatures(auto);
  await auto.close();

  const pinned = await connect(server.url, { pin: '2026-07-28' });
  assert.equal(pinned.getProtocolEra(), 'modern');
  await basics(pinned);
  await modernFeatures(pinned);
  await pinned.close();

  // A 2026-07-28 client, through mcpkeep, to a server of the session era.
  const gateway = await startServe(binary, ['--db', join(dir, 'gateway.db'), '--listen', '127.0.0.1:0',
                                            '--upstream-command', JSON.stringify([process.execPath, everything, 'stdio'])]);
  const bridged = await connect(gateway.url, { pin: '2026-07-28' });
  assert.equal(bridged.getProtocolEra(), 'modern');
  assert.match(bridged.getServerVersion()?.name ?? '', /everything/, 'server/discover names the upstream');
  const { tools } = await bridged.listTools();
  assert.ok(tools.some((t) => t.name === 'echo'), 'the upstream\'s tools are listed');
  assert.equal(textOf(await bridged.callTool({ name: 'echo', arguments: { message: 'across eras' } })),
               'Echo: across eras');
  await bridged.close();

  // A session-era client, through mcpkeep, to a server of 2026-07-28 only.
  const modernOnly = await startServer(fixture, ['--db', join(dir, 'modern.db'), '--listen', '127.0.0.1:0',
                                                 '--protocols', 'stateless']);
  const front = ['--db', join(dir, 'front.db'), '--upstream-url', modernOnly.url.href];
  let gatewayToModern = await startServe(binary, [...front, '--listen', '127.0.0.1:0']);
  const old = await connect(gatewayToModern.url);
  assert.equal(old.getProtocolEra(), 'legacy');
  await basics(old);
  assert.equal(textOf(await old.callTool({ name: 'test_input_required_result_elicitation', arguments: {} })),
               'Hello, Alice!', 'the upstream\'s input_required became an elicitation request on the session');
  let steps = 0;
  await old.callTool({ name: 'test_tool_with_progress', arguments: {} }, { onprogress: () => { steps += 1; } });
  assert.ok(steps >= 1, 'the upstream\'s progress reached the session');
  const sessionId = old.httpTransport.sessionId;
  assert.match(sessionId, /^[0-9a-f]{32}$/);
  gatewayToModern.child.kill('SIGKILL');
  await new Promise((resolve) => gatewayToModern.child.once('exit', resolve));
  gatewayToModern = await startServe(binary, [...front, '--listen', `127.0.0.1:${gatewayToModern.url.port}`]);
  const back = new Client({ name: 'mcpkeep-stateless-test', version: '1.0.0' }, { capabilities: { elicitation: {} } });
  back.setRequestHandler('elicitation/create', async () => ({ action: 'accept', content: { name: 'Bob' } }));
  const transport = new StreamableHTTPClientTransport(gatewayToModern.url, { sessionId });
  await back.connect(transport);  // a known session id: no initialize
  assert.equal(transport.sessionId, sessionId, 'the same session after the kill -9');
  assert.equal(textOf(await back.callTool({ name: 'test_input_required_result_elicitation', arguments: {} })),
               'Hello, Bob!');
  await back.close();

  // A server that answers the session era only: the probe must read as "fall back".
  const sessions = await startServe(binary, ['--db', join(dir, 'sessions.db'), '--listen', '127.0.0.1:0',
                                             '--protocols', 'sessions']);
  const fallback = await connect(sessions.url, 'auto');
  assert.equal(fallback.getProtocolEra(), 'legacy', 'auto mode fell back to initialize');
  assert.ok((await fallback.listTools()).tools.some((t) => t.name === 'echo'));
  await fallback.close();

  assert.deepEqual(complaints, [], 'the client logged no error or warning');
  console.log('stateless_v2: legacy, auto, pinned, the gateway across eras and the fallback all passed');
}

main().then(
  () => { killServers(); rmSync(dir, { recursive: true, force: true }); process.exit(0); },
  (error) => { console.error(error); killServers(); rmSync(dir, { recursive: true, force: true }); process.exit(1); });
