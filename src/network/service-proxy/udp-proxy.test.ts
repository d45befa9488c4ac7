import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { ConnectionTracker } from './connection-tracker.js';
import type { Route } from './tcp-proxy.js';
import { UdpProxy } from './udp-proxy.js';

const octet = () => 2 + Math.floor(Math.random() * 250);

async function until(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('datagrams without an endpoint are dropped; each client address gets its own session, which ends when idle', async (t) => {
  const host = `127.${octet()}.${octet()}.${octet()}`;
  const backend = dgram.createSocket('udp4');
  backend.on('message', (m, r) => backend.send(Buffer.from(`echo:${m}`), r.port, r.address));
  backend.bind(0, '127.0.0.1');
  await once(backend, 'listening');
  let route: Route | undefined;
  const tracker = new ConnectionTracker();
  const proxy = new UdpProxy({ host, port: 18053, route: () => route, tracker, idleMs: 50 });
  await proxy.listen();
  const clients = [dgram.createSocket('udp4'), dgram.createSocket('udp4')];
  t.after(async () => {
    await proxy.close();
    backend.close();
    for (const c of clients) c.close();
  });
  const replies: string[][] = [[], []];
  clients.forEach((c, i) => c.on('message', (m) => replies[i]!.push(m.toString())));
  clients[0]!.send('lost', 18053, host);
  await until(() => proxy.dropped === 1, 'the datagram to be dropped');
  route = { ruleId: 'r', endpoint: { ip: '127.0.0.1', port: backend.address().port, ready: true, serving: true, terminating: false } };
  clients[0]!.send('a', 18053, host);
  clients[1]!.send('b', 18053, host);
  await until(() => replies[0]!.length === 1 && replies[1]!.length === 1, 'both replies');
  assert.deepEqual(replies, [['echo:a'], ['echo:b']]);
  assert.equal(tracker.count('r'), 2);
  await until(() => proxy.sessionCount() === 0, 'idle sessions to end');
  assert.equal(tracker.count('r'), 0);
});
