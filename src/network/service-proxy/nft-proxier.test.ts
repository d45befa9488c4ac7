import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../../util/logger.js';
import { NftProxier, nftablesProblem } from './nft-proxier.js';
import { parseProxyModeFlag } from './service-proxy.js';
import type { NftEntry } from './nft-ruleset.js';

const logger = createLogger('error');
const entry = (ip: string, endpoint?: string): NftEntry => ({
  key: `TCP/${ip}:80`,
  ip,
  port: 80,
  protocol: 'TCP',
  kind: 'ClusterIP',
  chain: endpoint ? `svc-${ip}` : undefined,
  endpoints: endpoint ? [{ ip: endpoint, port: 8080 }] : [],
});

/** An nft stand-in whose loads finish when the test says so. */
function fakeNft() {
  const scripts: string[] = [];
  const waiting: (() => void)[] = [];
  let fail: Error | undefined;
  return {
    scripts,
    runner: (s: string) =>
      new Promise<void>((resolve, reject) => {
        scripts.push(s);
        waiting.push(() => (fail ? reject(fail) : resolve()));
      }),
    release: () => waiting.splice(0).forEach((f) => f()),
    failWith: (e: Error | undefined) => (fail = e),
  };
}

test('a burst of plans while nft runs collapses into one more load with the newest', async () => {
  const nft = fakeNft();
  const local: string[] = [];
  const p = new NftProxier({ logger, nft: nft.runner, ensureLocalAddress: (ip) => void local.push(ip) });
  p.apply([entry('10.43.0.1', '10.42.0.5')]);
  await new Promise((r) => setImmediate(r));
  p.apply([entry('10.43.0.1', '10.42.0.6')]);
  p.apply([entry('10.43.0.1', '10.42.0.7')]);
  nft.release();
  await new Promise((r) => setImmediate(r));
  nft.release();
  await p.settled();
  assert.equal(nft.scripts.length, 2);
  assert.match(nft.scripts[0]!, /dnat to 10\.42\.0\.5:8080/);
  assert.match(nft.scripts[1]!, /dnat to 10\.42\.0\.7:8080/);
  assert.equal(p.loadCount(), 2);
  // The ClusterIP is made local before its rules load.
  assert.deepEqual([...new Set(local)], ['10.43.0.1']);
  // The same ruleset again loads nothing.
  p.apply([entry('10.43.0.1', '10.42.0.7')]);
  await p.settled();
  assert.equal(nft.scripts.length, 2);
  const closing = p.close();
  await new Promise((r) => setImmediate(r));
  nft.release();
  await closing;
  assert.equal(nft.scripts[2], 'table ip capstan-proxy\ndelete table ip capstan-proxy\n');
});

test('a failed load is retried with the newest plan', async () => {
  const nft = fakeNft();
  const p = new NftProxier({ logger, nft: nft.runner, retryMs: 1 });
  nft.failWith(new Error('Error: syntax error'));
  p.apply([entry('10.43.0.1')]);
  await new Promise((r) => setImmediate(r));
  nft.release();
  await p.settled();
  assert.equal(p.loadCount(), 0);
  nft.failWith(undefined);
  // The retry timer (1 ms) starts a new load of the same text.
  while (nft.scripts.length < 2) await new Promise((r) => setTimeout(r, 2));
  nft.release();
  await p.settled();
  assert.equal(p.loadCount(), 1);
  assert.equal(nft.scripts[0], nft.scripts[1]);
  const closing = p.close();
  await new Promise((r) => setImmediate(r));
  nft.release();
  await closing;
});

test('nftables mode is refused without root, and --proxy-mode takes only its two values', async () => {
  assert.equal(await nftablesProblem(1000), 'it needs root');
  assert.equal(parseProxyModeFlag(undefined), 'userspace');
  assert.equal(parseProxyModeFlag('nftables'), 'nftables');
  assert.throws(() => parseProxyModeFlag('iptables'), /invalid --proxy-mode "iptables": must be userspace or nftables/);
});
