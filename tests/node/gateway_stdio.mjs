// `mcpkeep serve --upstream-command` in front of an unmodified MCP server from
// npm, @modelcontextprotocol/server-everything over stdio, driven by the
// official TypeScript SDK client (1.x):
//   1. what the client sees is the upstream's: its serverInfo, its tools;
//      echo, a long tool with progress, a resource, a prompt, sampling and
//      elicitation round trips (the upstream asks the client, through
//      mcpkeep), cancellation;
//   2. kill -9 of mcpkeep during a long call, restart on the same file: the
//      client resumes its stream and gets the interrupted error; its next
//      call works on a fresh upstream that got the stored initialize (the
//      sampling tool, which the upstream registers only for clients that
//      declared sampling, is there again);
//   3. kill -9 of the upstream child during a long call: the call is
//      answered with an error naming the upstream and how it ended; the next
//      call starts a fresh one;
//   4. with --retry-idempotent, a long call (annotated readOnlyHint) cut by
//      the child's kill -9 gets its real result from a fresh child.
//
//   node gateway_stdio.mjs PATH_TO_MCPKEEP
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';

import { killServers, startServe, waitFor } from './serve.mjs';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  CallToolResultSchema, CreateMessageRequestSchema, ElicitRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';

const binary = process.argv[2];
if (!binary) throw new Error('usage: node gateway_stdio.mjs PATH_TO_MCPKEEP');
const dir = mkdtempSync(join(tmpdir(), 'mcpkeep-gateway-'));
const db = join(dir, 'gateway.db');
const everything = fileURLToPath(
  new URL('node_modules/@modelcontextprotocol/server-everything/dist/index.js', import.meta.url));
const upstream = JSON.stringify([process.execPath, everything, 'stdio']);

function serve(listen, extra = []) {
  return startServe(binary, ['--db', db, '--listen', listen, '--upstream-command', upstream, ...extra]);
}

function sqlite(query) {
  return execFileSync('sqlite3', [db, query], { encoding: 'utf8' }).trim();
}

// The pids of a process's children, from /proc.
function childrenOf(pid) {
  const children = [];
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    const text = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
    if (text) children.push(...text.split(/\s+/).map(Number));
  }
  return children;
}

// The one upstream child of mcpkeep (the probe's, at start, goes first).
function theChild(server) {
  return waitFor('one upstream child', () => {
    const children = childrenOf(server.child.pid);
    return children.length === 1 && children[0];
  });
}

async function newClient(url, sessionId) {
  const client = new Client({ name: 'mcpkeep-gateway-test', version: '1.0.0' },
                            { capabilities: { sampling: {}, elicitation: {} } });
  client.setRequestHandler(CreateMessageRequestSchema, async (request) => ({
    model: 'test-model', role: 'assistant',
    content: { type: 'text', text: `sampled ${request.params.messages[0].content.text.length} chars` },
  }));
  client.setRequestHandler(ElicitRequestSchema, async () => ({ action: 'decline' }));
  const transport = new StreamableHTTPClientTransport(url, {
    sessionId,
    reconnectionOptions: { initialReconnectionDelay: 50, maxReconnectionDelay: 500,
                           reconnectionDelayGrowFactor: 1.5, maxRetries: 5 },
  });
  await client.connect(transport);
  return { client, transport };
}

async function killAndWait(child) {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

async function features(client) {
  assert.equal(client.getServerVersion().name, 'mcp-servers/everything', 'the upstream answers initialize');
  const tools = (await client.listTools()).tools.map((t) => t.name);
  assert.ok(tools.includes('echo') && tools.includes('trigger-long-running-operation'), tools.join());
  const echoed = await client.callTool({ name: 'echo', arguments: { message: 'hello' } });
  assert.equal(echoed.content[0].text, 'Echo: hello');

  const progress = [];
  const long = await client.callTool(
    { name: 'trigger-long-running-operation', arguments: { duration: 0.6, steps: 3 } },
    CallToolResultSchema, { onprogress: (p) => progress.push(p.progress) });
  assert.deepEqual(progress, [1, 2, 3], 'progress with the client\'s own token');
  assert.match(long.content[0].text, /Long running operation completed/);

  const resource = await client.readResource({ uri: 'demo://resource/dynamic/text/1' });
  assert.match(resource.contents[0].text, /Resource 1/);
  const prompt = await client.getPrompt({ name: 'simple-prompt' });
  assert.ok(prompt.messages.length > 0);

  await waitFor('the sampling tool (registered after initialized)', async () =>
    (await client.listTools()).tools.some((t) => t.name === 'trigger-sampling-request'));
  const sampled = await client.callTool({ name: 'trigger-sampling-request', arguments: { prompt: 'hi', maxTokens: 5 } });
  assert.match(sampled.content[0].text, /sampled \d+ chars/, 'the client answered the upstream\'s sampling request');
  const elicited = await client.callTool({ name: 'trigger-elicitation-request', arguments: {} });
  assert.match(elicited.content[0].text, /declined/, 'the client answered the upstream\'s elicitation');

  // Cancellation: the client gives up a long call; the gateway ends its stream.
  const controller = new AbortController();
  const cancelled = client.callTool(
    { name: 'trigger-long-running-operation', arguments: { duration: 30, steps: 30 } },
    CallToolResultSchema, { signal: controller.signal });
  setTimeout(() => controller.abort('enough'), 200);
  await assert.rejects(cancelled, /enough|abort/i);
  const after = await client.callTool({ name: 'echo', arguments: { message: 'after cancel' } });
  assert.equal(after.content[0].text, 'Echo: after cancel');
}

// Starts a long call; resolves, once it has shown progress, with { call }.
async function longCall(client, onresumptiontoken = () => {}) {
  const progress = [];
  const call = client.callTool(
    { name: 'trigger-long-running-operation', arguments: { duration: 4, steps: 40 } },
    CallToolResultSchema, { onprogress: (p) => progress.push(p.progress), resetTimeoutOnProgress: true,
                            onresumptiontoken });
  call.catch(() => {});
  await waitFor('progress of the long call', () => progress.length >= 2);
  return { call };
}

async function main() {
  let server = await serve('127.0.0.1:0');
  const url = server.url;

  // 1.
  let { client, transport } = await newClient(url);
  const sessionId = transport.sessionId;
  await features(client);
  assert.equal(sqlite(`SELECT client_name || ' via ' || upstream_name FROM upstream_sessions_v WHERE session_id = '${sessionId}'`),
               'mcpkeep-gateway-test via mcp-servers/everything');

  // 2. kill -9 of mcpkeep during a long call.
  let lastEventId;
  await longCall(client, (token) => { lastEventId = token; });
  await transport.close();
  await killAndWait(server.child);
  server = await serve(`127.0.0.1:${url.port}`);
  ({ client, transport } = await newClient(url, sessionId));  // no initialize: the session goes on
  let interruption;
  const tap = transport.onmessage;
  transport.onmessage = (message, extra) => {
    if (message.error) interruption = message.error;
    tap?.(message, extra);
  };
  transport.onerror = () => {};
  await transport.send({ jsonrpc: '2.0', id: 'resume', method: 'tools/call', params: { name: 'x' } },
                       { resumptionToken: lastEventId });
  await waitFor('the interrupted error', () => interruption);
  assert.match(interruption.message, /interrupted/);
  const tools = (await client.listTools()).tools.map((t) => t.name);
  assert.ok(tools.includes('trigger-sampling-request'), 'the fresh upstream got the stored initialize (sampling declared)');
  assert.equal((await client.callTool({ name: 'echo', arguments: { message: 'again' } })).content[0].text, 'Echo: again');

  // 3. kill -9 of the upstream child during a long call.
  const cut = await longCall(client);
  process.kill(await theChild(server), 'SIGKILL');
  await assert.rejects(cut.call, /upstream '.*' was killed by signal/);
  assert.equal((await client.callTool({ name: 'echo', arguments: { message: 'fresh' } })).content[0].text, 'Echo: fresh');
  await transport.close();
  await killAndWait(server.child);

  // 4. --retry-idempotent: the same cut call gets its real result.
  server = await serve(`127.0.0.1:${url.port}`, ['--retry-idempotent']);
  ({ client, transport } = await newClient(url, sessionId));
  const retried = await longCall(client);
  process.kill(await theChild(server), 'SIGKILL');
  const result = await retried.call;
  assert.match(result.content[0].text, /Long running operation completed/);
  await transport.close();

  const stopped = new Promise((resolve) => server.child.once('exit', resolve));
  server.child.kill('SIGTERM');
  assert.equal(await stopped, 0, 'SIGTERM exits 0');
  await waitFor('the upstream children to end with mcpkeep', () => {
    try { return childrenOf(server.child.pid).length === 0; } catch { return true; }
  });
  console.log('ok: features, kill -9 of mcpkeep, kill -9 of the upstream, --retry-idempotent');
}

try {
  await main();
} finally {
  killServers();
  rmSync(dir, { recursive: true, force: true });
}
