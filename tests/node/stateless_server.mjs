// A small MCP server on the v2 TypeScript SDK (@modelcontextprotocol/server)
// served by its Node HTTP handler with the default legacy serving
// ('stateless'): 2025-era clients are answered request by request, with no
// Mcp-Session-Id and no GET stream. A gateway upstream for the tests.
//
//   node stateless_server.mjs   (prints "listening on URL")
import { createServer } from 'node:http';

import { McpServer, createMcpHandler } from '@modelcontextprotocol/server';
import { toNodeHandler } from '@modelcontextprotocol/node';
import * as z from 'zod';

function factory() {
  const server = new McpServer({ name: 'stateless-v2', version: '1.0.0' });
  server.registerTool('add', {
    description: 'Adds two numbers.',
    inputSchema: z.object({ a: z.number(), b: z.number() }),
  }, async ({ a, b }) => ({ content: [{ type: 'text', text: String(a + b) }] }));
  return server;
}

const handler = toNodeHandler(createMcpHandler(factory));
const server = createServer((request, response) => handler(request, response));
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  console.log(`stateless-v2: listening on http://127.0.0.1:${server.address().port}/mcp`);
});
