// The README's embedding example (built from the README by the tests'
// CMake) with the official TypeScript client 2.x and its default options:
// it lists and calls the example's tool, refuses bad arguments with a tool
// error, and, killed with SIGKILL in the middle of a call and started again
// on the same file and port, answers the call with the interrupted error in
// the same session: the embedded default needs no recovery code.
//
//   node readme_server.mjs PATH_TO_README_COUNTER
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';

import { Client, StreamableHTTPClientTransport, ProtocolError } from '@modelcontextprotocol/client';

import { killServers, startServer, waitFor } from './serve.mjs';

const example = process.argv[2];
if (!example) throw new Error('usage: node readme_server.mjs PATH_TO_README_COUNTER');
const dir = mkdtempSync(join(tmpdir(), 'mcpkeep-readme-'));
const db = join(dir, 'counter.db');

try {
  const first = await startServer(example, [db, '0']);
  const url = first.url;
  const client = new Client({ name: 'mcpkeep-readme-test', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(url);
  await client.connect(transport);
  const { tools } = await client.listTools();
  assert.deepEqual(tools.map((t) => t.name), ['count']);
  const counted = await client.callTool({ name: 'count', arguments: { to: 2 } });
  assert.equal(counted.content[0].text, 'counted to 2');
  const refused = await client.callTool({ name: 'count', arguments: { to: 'three' } });
  assert.equal(refused.isError, true);
  assert.match(refused.content[0].text, /at \/to: expected integer/);

  let progress = 0;
  const outcome = client.callTool({ name: 'count', arguments: { to: 600 } },
                                  { onprogress: () => { progress += 1; } })
    .then((result) => ({ result }), (error) => ({ error }));
  await waitFor('progress', () => progress >= 3);
  first.child.kill('SIGKILL');
  await new Promise((resolve) => first.child.once('exit', resolve));
  await startServer(example, [db, url.port]);
  const { result, error } = await outcome;
  assert.equal(result, undefined, `answered as if nothing happened: ${JSON.stringify(result)}`);
  assert.ok(error instanceof ProtocolError, `not a JSON-RPC error: ${error}`);
  assert.equal(error.code, -32603);
  assert.match(error.message, /interrupted/);
  const again = await client.callTool({ name: 'count', arguments: { to: 1 } });
  assert.equal(again.content[0].text, 'counted to 1');
  console.log(`ok: the README server served, refused bad arguments, and answered the call cut by kill -9 ` +
              `as interrupted after its restart (${progress} progress notifications before)`);
  await client.close();
} finally {
  killServers();
  rmSync(dir, { recursive: true, force: true });
}
