// The official tasks client, @modelcontextprotocol/ext-tasks, over the 2.x
// SDK client pinned to 2026-07-28, against mcpkeep's conformance fixture:
// a task created and polled to its result, an input request answered
// through the client's handler (tasks/update), another task cancelled.
//
//   node tasks_client.mjs PATH_TO_CONFORMANCE_SERVER
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';

import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { createTaskSessionFromClient, resultFromTaskOutcome } from '@modelcontextprotocol/ext-tasks/client';

import { killServers, startServer } from './serve.mjs';

const fixture = process.argv[2];
if (!fixture) throw new Error('usage: node tasks_client.mjs PATH_TO_CONFORMANCE_SERVER');
const dir = mkdtempSync(join(tmpdir(), 'mcpkeep-tasks-'));
const VERSION = '2026-07-28';
const clientInfo = { name: 'mcpkeep-tasks-test', version: '1.0.0' };
const clientCapabilities = { elicitation: {}, extensions: { 'io.modelcontextprotocol/tasks': {} } };

// The raw request path the tasks client needs for 2026-07-28: one POST per
// request (framed here: jsonrpc and an id), its headers mirroring the body,
// the answer as JSON or SSE.
function rawDispatch(url) {
  let next = 1;
  return async (body, options) => {
    const request = { jsonrpc: '2.0', id: `tasks-${next++}`, ...body };
    const params = request.params ?? {};
    const headers = { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream',
                      'MCP-Protocol-Version': VERSION, 'Mcp-Method': request.method };
    const name = params.name ?? params.uri ?? params.taskId;
    if (typeof name === 'string') headers['Mcp-Name'] = name;
    const reply = await fetch(url, { method: 'POST', headers, body: JSON.stringify(request), signal: options?.signal });
    const text = await reply.text();
    if ((reply.headers.get('content-type') ?? '').includes('text/event-stream')) {
      for (const line of text.split('\n')) {
        if (!line.startsWith('data:')) continue;
        const message = JSON.parse(line.slice(5));
        if (message.id === request.id && !message.method) return message;
      }
      throw new Error(`no response to ${request.method} in the SSE answer`);
    }
    return JSON.parse(text);
  };
}

function textOf(result) {
  return result.content.map((c) => c.text).join('');
}

async function main() {
  const server = await startServer(fixture, ['--db', join(dir, 'fixture.db'), '--listen', '127.0.0.1:0']);
  const client = new Client(clientInfo, { capabilities: clientCapabilities,
                                          versionNegotiation: { mode: { pin: VERSION } } });
  await client.connect(new StreamableHTTPClientTransport(server.url));
  const asked = [];
  const session = createTaskSessionFromClient(client, {
    endpointId: 'mcpkeep-fixture',
    rawDispatch: rawDispatch(server.url),
    v2RequestFraming: { protocolVersion: VERSION, clientInfo, clientCapabilities },
    onInputRequest: async (request) => {
      asked.push(request);
      return { action: 'accept', content: { confirm: true } };
    },
  });
  try {
    // A task, polled to its result.
    const computing = await session.callTool('slow_compute', { seconds: 0.3 });
    assert.equal(computing.kind, 'task', 'slow_compute became a task');
    const { outcome } = await computing.settle();
    assert.match(textOf(resultFromTaskOutcome(outcome)), /computed after/);

    // A task that asks: the question reaches the handler, the answer goes back with tasks/update.
    const deleting = await session.callTool('confirm_delete', { filename: 'notes.txt' });
    const deleted = await deleting.settle();
    assert.equal(textOf(resultFromTaskOutcome(deleted.outcome)), 'Deleted notes.txt');
    assert.equal(asked.length, 1);
    assert.equal(asked[0].kind, 'elicitation');

    // A task cancelled while it runs.
    const long = await session.callTool('slow_compute', { seconds: 30 });
    assert.equal(long.kind, 'task');
    await long.cancel();
    const cancelled = await long.settle();
    assert.equal(cancelled.outcome.status, 'cancelled');
  } finally {
    await session.close();
    await client.close();
  }
  console.log('tasks_client: created, polled, answered and cancelled through @modelcontextprotocol/ext-tasks');
}

main().then(
  () => { killServers(); rmSync(dir, { recursive: true, force: true }); process.exit(0); },
  (error) => { console.error(error); killServers(); rmSync(dir, { recursive: true, force: true }); process.exit(1); });
