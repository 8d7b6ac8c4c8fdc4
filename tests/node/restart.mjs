// A real MCP client (the official TypeScript SDK) keeps its session across a
// kill -9 and a restart of `mcpkeep serve`:
//   1. connect, call echo;
//   2. call slow_task; after a few progress notifications the client drops
//      its connection, and the server, still working, commits more;
//   3. kill -9 the server, start it again on the same file and port;
//   4. a new transport with the old session id and the last event id the
//      client saw resumes the call: it receives exactly the progress it
//      missed, then the error that names the interruption;
//   5. echo works in the same session, with no new initialize.
//
//   node restart.mjs PATH_TO_MCPKEEP
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';

import { killServers, startServe, waitFor } from './serve.mjs';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CallToolResultSchema, McpError } from '@modelcontextprotocol/sdk/types.js';

const binary = process.argv[2];
if (!binary) throw new Error('usage: node restart.mjs PATH_TO_MCPKEEP');
const dir = mkdtempSync(join(tmpdir(), 'mcpkeep-node-'));
const db = join(dir, 'restart.db');

// Starts `mcpkeep serve` on the test's file.
function startServer(listen) {
  return startServe(binary, ['--db', db, '--listen', listen]);
}

// Rows of the database, read with the sqlite3 CLI as any operator would.
function sqlite(query) {
  return execFileSync('sqlite3', [db, query], { encoding: 'utf8' }).trim();
}

function transportFor(url, sessionId) {
  return new StreamableHTTPClientTransport(url, {
    sessionId,
    reconnectionOptions: {
      initialReconnectionDelay: 50, maxReconnectionDelay: 500,
      reconnectionDelayGrowFactor: 1.5, maxRetries: 5,
    },
  });
}

async function main() {
  let server = await startServer('127.0.0.1:0');
  const url = server.url;

  // 1. A normal session.
  const client = new Client({ name: 'mcpkeep-restart-test', version: '1.0.0' });
  const transport = transportFor(url);
  await client.connect(transport);
  const sessionId = transport.sessionId;
  assert.match(sessionId, /^[0-9a-f]{32}$/);
  const echoed = await client.callTool({ name: 'echo', arguments: { message: 'before' } });
  assert.equal(echoed.content[0].text, 'before');

  // 2. A long call; the client goes away after three progress notifications.
  const seen = [];
  let lastEventId;
  const call = client.callTool({ name: 'slow_task', arguments: { steps: 400, interval_ms: 20 } },
    CallToolResultSchema, {
      onprogress: (p) => seen.push(p.progress),
      resetTimeoutOnProgress: true,
      onresumptiontoken: (token) => { lastEventId = token; },
    });
  call.catch(() => {});  // it ends with the transport
  await waitFor('three progress notifications', () => seen.length >= 3);
  await transport.close();
  const clientSaw = Math.max(...seen);
  const stream = Number(lastEventId.split('-')[0]);

  // The server works on: wait until it has committed three more.
  const committed = () => Number(sqlite(
    `SELECT count(*) FROM events_v WHERE stream_id = ${stream} AND method = 'notifications/progress'`));
  await waitFor('three more committed progress events', () => committed() >= clientSaw + 3);

  // 3. kill -9, restart on the same file and port.
  const killed = new Promise((resolve) => server.child.once('exit', resolve));
  server.child.kill('SIGKILL');
  await killed;
  server = await startServer(`127.0.0.1:${url.port}`);
  const onDisk = committed();
  assert.ok(onDisk >= clientSaw + 3, `${onDisk} progress events on disk`);
  assert.equal(sqlite(`SELECT state FROM streams WHERE id = ${stream}`), 'interrupted');

  // 4. Resume with the session id and the last event id.
  const resumed = new Client({ name: 'mcpkeep-restart-test', version: '1.0.0' });
  const transport2 = transportFor(url, sessionId);
  await resumed.connect(transport2);  // a known session id: no initialize
  const replayed = [];
  let interruption;
  const tap = transport2.onmessage;
  transport2.onmessage = (message, extra) => {
    if (message.method === 'notifications/progress') replayed.push(message.params.progress);
    if (message.error) interruption = message.error;
    tap?.(message, extra);
  };
  transport2.onerror = () => {};  // the client logs unknown ids; we check below
  await transport2.send({ jsonrpc: '2.0', id: 'resume', method: 'tools/call',
                          params: { name: 'slow_task' } },
                        { resumptionToken: lastEventId });
  await waitFor('the interruption error', () => interruption);
  const missed = [];
  for (let p = clientSaw + 1; p <= onDisk; ++p) missed.push(p);
  assert.deepEqual(replayed, missed, 'exactly the missed progress, in order');
  assert.equal(interruption.code, -32603);
  assert.match(interruption.message, /interrupted/);

  // 5. The same session goes on.
  const after = await resumed.callTool({ name: 'echo', arguments: { message: 'after' } });
  assert.equal(after.content[0].text, 'after');
  assert.equal(sqlite('SELECT count(*) FROM sessions'), '1');
  await transport2.close();

  const stopped = new Promise((resolve) => server.child.once('exit', resolve));
  server.child.kill('SIGTERM');
  assert.equal(await stopped, 0, 'SIGTERM exits 0');
  console.log(`ok: client saw ${clientSaw}, replay gave ${missed.length} missed progress ` +
              `notifications (${clientSaw + 1}..${onDisk}) and the interruption error`);
}

try {
  await main();
} finally {
  killServers();
  rmSync(dir, { recursive: true, force: true });
}
