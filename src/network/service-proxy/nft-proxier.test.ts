import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
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
  serving: endpoint ? [{ ip: endpoint, port: 8080 }] : [],
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

test('after the first full load only changes are loaded; after a failure the whole table again', async () => {
  const nft = fakeNft();
  const p = new NftProxier({ logger, nft: nft.runner, retryMs: 60_000 });
  const load = async (entries: NftEntry[]) => {
    p.apply(entries);
    await new Promise((r) => setImmediate(r));
    nft.release();
    await p.settled();
    return nft.scripts.at(-1)!;
  };
  assert.match(await load([entry('10.43.0.1', '10.42.0.5'), entry('10.43.0.2', '10.42.0.6')]), /^table ip capstan-proxy\ndelete table ip capstan-proxy\n/);
  assert.equal(await load([entry('10.43.0.1', '10.42.0.7'), entry('10.43.0.2', '10.42.0.6')]), 'flush chain ip capstan-proxy svc-10.43.0.1\nadd rule ip capstan-proxy svc-10.43.0.1 meta l4proto tcp dnat to 10.42.0.7:8080\n');
  nft.failWith(new Error('Error: Could not process rule: No such file or directory'));
  await load([entry('10.43.0.1', '10.42.0.8'), entry('10.43.0.2', '10.42.0.6')]);
  nft.failWith(undefined);
  assert.match(await load([entry('10.43.0.1', '10.42.0.9'), entry('10.43.0.2', '10.42.0.6')]), /^table ip capstan-proxy\ndelete table ip capstan-proxy\n/);
  assert.equal(p.loadCount(), 3);
  const closing = p.close();
  await new Promise((r) => setImmediate(r));
  nft.release();
  await closing;
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

const udp = (ip: string, serving: string[], endpoints = serving): NftEntry => ({
  key: `UDP/${ip}:53`,
  ip,
  port: 53,
  protocol: 'UDP',
  kind: 'ClusterIP',
  chain: endpoints.length ? `svc-${ip}` : undefined,
  endpoints: endpoints.map((e) => ({ ip: e, port: 5353 })),
  serving: serving.map((e) => ({ ip: e, port: 5353 })),
});

/** A logger whose lines the test reads. */
function capture() {
  const lines: string[] = [];
  return { lines, logger: createLogger('debug', 'test', (l) => lines.push(l)) };
}

test('after a table is loaded the conntrack entries of UDP flows to endpoints that stopped serving are deleted', async () => {
  const nft = fakeNft();
  const calls: string[][] = [];
  const p = new NftProxier({ logger, nft: nft.runner, conntrack: async (args) => void calls.push(args) });
  const load = async () => {
    await new Promise((r) => setImmediate(r));
    nft.release();
    await p.settled();
  };
  p.apply([udp('10.43.0.10', ['10.42.0.5', '10.42.0.6'])]);
  await load();
  assert.deepEqual(calls, []);
  // The endpoint .5 terminates (still serving): no new flows go there, the old ones stay.
  p.apply([udp('10.43.0.10', ['10.42.0.5', '10.42.0.6'], ['10.42.0.6'])]);
  await load();
  assert.deepEqual(calls, []);
  // It leaves the slice: the DNAT rule is the same, so nothing is loaded, but its flows go.
  p.apply([udp('10.43.0.10', ['10.42.0.6'])]);
  await p.settled();
  assert.equal(p.loadCount(), 2);
  assert.deepEqual(calls, [['-D', '-p', 'udp', '--orig-dst', '10.43.0.10', '--orig-port-dst', '53', '--reply-src', '10.42.0.5', '--reply-port-src', '5353']]);
  assert.equal(p.flushCount(), 1);
  // A failed load deletes nothing; the retry that succeeds does.
  nft.failWith(new Error('Error: no buffer space'));
  p.apply([udp('10.43.0.10', ['10.42.0.7'])]);
  await load();
  assert.equal(calls.length, 1);
  nft.failWith(undefined);
  p.apply([udp('10.43.0.10', ['10.42.0.7'])]);
  await load();
  assert.deepEqual(calls.slice(1), [['-D', '-p', 'udp', '--orig-dst', '10.43.0.10', '--orig-port-dst', '53', '--reply-src', '10.42.0.6', '--reply-port-src', '5353']]);
  const closing = p.close();
  await new Promise((r) => setImmediate(r));
  nft.release();
  await closing;
});

test('start: br_netfilter on masquerades hairpin connections only; off or absent keeps masquerading all and says why', async () => {
  const bridge = { name: 'capstan0', podCidr: '10.42.0.0/16' };
  for (const [value, hairpin] of [['1\n', true], ['0\n', false], [undefined, false]] as const) {
    const nft = fakeNft();
    const log = capture();
    const p = new NftProxier({ logger: log.logger, nft: nft.runner, bridge, conntrack: async () => undefined, readBridgeNfCallIptables: async () => value });
    await p.start();
    p.apply([entry('10.43.0.1', '10.42.0.5')]);
    await new Promise((r) => setImmediate(r));
    nft.release();
    await p.settled();
    if (hairpin) {
      assert.match(nft.scripts[0]!, /ip saddr \. ip daddr @hairpin-endpoints oifname "capstan0" ct status dnat masquerade/);
      assert.ok(log.lines.some((l) => l.includes('masquerades only hairpin connections')));
    } else {
      assert.match(nft.scripts[0]!, /ip saddr 10\.42\.0\.0\/16 oifname "capstan0" ct status dnat masquerade/);
      const warned = log.lines.filter((l) => l.includes('masquerades every pod connection through a Service'));
      assert.equal(warned.length, 1);
      assert.match(warned[0]!, value === undefined ? /br_netfilter is not loaded/ : /bridge-nf-call-iptables is 0/);
    }
    assert.ok(!log.lines.some((l) => l.includes('conntrack command')));
    const closing = p.close();
    await new Promise((r) => setImmediate(r));
    nft.release();
    await closing;
  }
});

test('start without a conntrack runner looks for the command, and warns once when it is missing', async () => {
  const log = capture();
  const p = new NftProxier({ logger: log.logger, nft: async () => undefined });
  await p.start();
  const have = spawnSync('conntrack', ['--version']).status === 0;
  const warned = log.lines.filter((l) => l.includes('the conntrack command (Debian package conntrack) is not installed'));
  assert.equal(warned.length, have ? 0 : 1);
  // Host network mode: no bridge, nothing said about masquerading.
  assert.ok(!log.lines.some((l) => l.includes('masquerade')));
  await p.close();
});
