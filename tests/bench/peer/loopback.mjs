// Preloaded into the peer server (node --import): its HTTP server listens on
// every interface at a fixed port by default; this binds it to 127.0.0.1 on
// a free port and says where.
import net from 'node:net';

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  const callback = typeof args[args.length - 1] === 'function' ? args.pop() : undefined;
  this.once('listening', () => {
    console.error(`peer listening on http://127.0.0.1:${this.address().port}/mcp`);
  });
  return listen.call(this, 0, '127.0.0.1', callback);
};
