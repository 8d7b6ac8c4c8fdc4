// What the Node tests share: waiting on a condition with a deadline, and
// starting `mcpkeep serve` or another server as a child process (each one
// is killed by killServers()).
import { spawn } from 'node:child_process';

const servers = new Set();

// Waits for `check()` to be truthy, polling, for at most `ms`.
export async function waitFor(what, check, ms = 15000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

// Starts `BINARY serve ARGS...` (stderr passed through) and resolves with
// the child and its endpoint URL once it prints its listening line.
export function startServe(binary, args) {
  return startServer(binary, ['serve', ...args]);
}

// The same for any server program that prints "listening on URL".
export async function startServer(command, args) {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  servers.add(child);
  child.on('exit', () => servers.delete(child));
  let out = '';
  child.stdout.on('data', (chunk) => { out += chunk; });
  const url = await waitFor('the server to listen', () => /listening on (\S+)/.exec(out)?.[1]);
  return { child, url: new URL(url) };
}

export function killServers() {
  for (const child of servers) child.kill('SIGKILL');
}
