// A real MCP client (the official TypeScript SDK) against a server that
// closes SSE streams after a second (SEP-1699 polling), telling clients to
// come back after 200 ms (--sse-retry; the default is long, to ride out
// restarts): a call that runs
// longer is resumed with Last-Event-ID across several connections, and the
// client sees every progress notification once, in order, then the result.
//
//   node polling.mjs PATH_TO_MCPKEEP
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const binary = process.argv[2];
if (!binary) throw new Error('usage: node polling.mjs PATH_TO_MCPKEEP');
const dir = mkdtempSync(join(tmpdir(), 'mcpkeep-node-'));
const server = spawn(binary, ['serve', '--db', join(dir, 'polling.db'), '--listen', '127.0.0.1:0',
                              '--close-streams-after', '1', '--sse-retry', '200'], { stdio: ['ignore', 'pipe', 'pipe'] });
let stderr = '';
server.stderr.on('data', (chunk) => { stderr += chunk; });

try {
  const url = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('the server did not start')), 15000);
    server.stdout.on('data', (chunk) => {
      out += chunk;
      const found = /listening on (\S+)/.exec(out);
      if (found) { clearTimeout(timer); resolve(new URL(found[1])); }
    });
  });
  let gets = 0;  // resumptions: GETs that carry Last-Event-ID
  const countingFetch = (input, init) => {
    const headers = new Headers(init?.headers);
    if (init?.method === 'GET' && headers.has('last-event-id')) ++gets;
    return fetch(input, init);
  };
  const client = new Client({ name: 'mcpkeep-polling-test', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(url, { fetch: countingFetch });
  await client.connect(transport);
  const progress = [];
  const result = await client.callTool({ name: 'slow_task', arguments: { steps: 25, interval_ms: 100 } },
    undefined, { onprogress: (p) => progress.push(p.progress), timeout: 30000 });
  assert.equal(result.content[0].text, 'done after 25 steps');
  assert.deepEqual(progress, Array.from({ length: 25 }, (_, i) => i + 1));
  assert.ok(gets >= 2, `${gets} resumptions`);
  await transport.close();
  console.log(`ok: 25 progress notifications and the result over ${gets + 1} connections`);
} catch (error) {
  console.error(stderr);
  throw error;
} finally {
  server.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}
