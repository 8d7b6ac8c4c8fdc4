// What the gateway tests share: an SDK client (1.x) that declares sampling
// and elicitation and answers them, the walk through server-everything's
// features, a long call, and the processes around them.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';

import { waitFor } from './serve.mjs';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  CallToolResultSchema, CreateMessageRequestSchema, ElicitRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';

// server-everything's entry point: `node PATH stdio` or `node PATH streamableHttp`.
export const everything = fileURLToPath(
  new URL('node_modules/@modelcontextprotocol/server-everything/dist/index.js', import.meta.url));

// The pids of a process's children, from /proc.
export function childrenOf(pid) {
  const children = [];
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    const text = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
    if (text) children.push(...text.split(/\s+/).map(Number));
  }
  return children;
}

// The one upstream child of mcpkeep (the probe's, at start, goes first).
export function theChild(server) {
  return waitFor('one upstream child', () => {
    const children = childrenOf(server.child.pid);
    return children.length === 1 && children[0];
  });
}

export async function newClient(url, sessionId) {
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

export async function killAndWait(child) {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

export async function features(client) {
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
export async function longCall(client, onresumptiontoken = () => {}) {
  const progress = [];
  const call = client.callTool(
    { name: 'trigger-long-running-operation', arguments: { duration: 4, steps: 40 } },
    CallToolResultSchema, { onprogress: (p) => progress.push(p.progress), resetTimeoutOnProgress: true,
                            onresumptiontoken });
  call.catch(() => {});
  await waitFor('progress of the long call', () => progress.length >= 2);
  return { call };
}

// Resumes a stream as a client does after a restart: GET with the session id
// and Last-Event-ID, reading the SSE answer until a message `wanted` accepts
// arrives (the interrupted answer of a call cut by a restart, or its real
// result). A GET that fails (the server just started) is tried again, as a
// client's reconnection would; every failure is in the error at the deadline.
export async function resume(url, sessionId, lastEventId, wanted, ms = 30000) {
  const deadline = Date.now() + ms;
  const failures = [];
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url, {
        headers: { accept: 'text/event-stream', 'mcp-session-id': sessionId, 'last-event-id': lastEventId },
        signal: AbortSignal.timeout(Math.max(1, deadline - Date.now())),
      });
      if (!response.ok) {
        failures.push(`HTTP ${response.status}: ${await response.text()}`);
      } else {
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let end;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const data = buffer.slice(0, end).split('\n').filter((l) => l.startsWith('data:'))
              .map((l) => l.slice(5).trim()).join('\n');
            buffer = buffer.slice(end + 2);
            if (!data) continue;
            const message = JSON.parse(data);
            if (wanted(message)) {
              reader.cancel().catch(() => {});
              return message;
            }
          }
        }
        failures.push('the stream ended without it');
      }
    } catch (error) {
      failures.push(String(error.cause ?? error));
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`no wanted message resuming after ${lastEventId}: ${failures.join('; ')}`);
}

export async function resumeToError(url, sessionId, lastEventId) {
  return (await resume(url, sessionId, lastEventId, (message) => message.error)).error;
}
