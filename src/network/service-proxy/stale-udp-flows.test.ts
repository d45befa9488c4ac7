import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { conntrackRunner } from './nft-proxier.js';
import type { NftEntry } from './nft-ruleset.js';
import { conntrackDeleteArgs, staleUdpFlows } from './stale-udp-flows.js';

/** A UDP entry; endpoints as `ip` (port 5353) or `ip:port`. */
const entry = (ip: string, port: number, serving: string[], o: Partial<NftEntry> = {}): NftEntry => {
  const eps = serving.map((s) => ({ ip: s.split(':')[0]!, port: Number(s.split(':')[1] ?? 5353) }));
  return { key: `${o.protocol ?? 'UDP'}/${ip}:${port}`, ip, port, protocol: 'UDP', kind: 'ClusterIP', chain: eps.length ? 'svc-x' : undefined, endpoints: eps, serving: eps, ...o };
};
const flow = (kind: NftEntry['kind'], ip: string, port: number, endpointIP: string, endpointPort = 5353) => ({ kind, ip, port, endpoint: { ip: endpointIP, port: endpointPort } });

test('an endpoint that left a UDP Service port is stale on each of its addresses, ClusterIP and NodePort alike', () => {
  const prev = [entry('10.43.0.10', 53, ['10.42.0.5', '10.42.0.6']), entry('192.0.2.2', 30053, ['10.42.0.5', '10.42.0.6'], { kind: 'NodePort' })];
  const next = [entry('10.43.0.10', 53, ['10.42.0.6', '10.42.0.7']), entry('192.0.2.2', 30053, ['10.42.0.6', '10.42.0.7'], { kind: 'NodePort' })];
  assert.deepEqual(staleUdpFlows(prev, next), [flow('ClusterIP', '10.43.0.10', 53, '10.42.0.5'), flow('NodePort', '192.0.2.2', 30053, '10.42.0.5')]);
  // Added endpoints, and an unchanged plan, make nothing stale.
  assert.deepEqual(staleUdpFlows(next, next), []);
  assert.deepEqual(staleUdpFlows([], next), []);
});

test('endpoints are told apart by port too (host-network pods share the node address)', () => {
  const prev = [entry('127.10.0.10', 53, ['192.0.2.2:5353', '192.0.2.2:5354'])];
  assert.deepEqual(staleUdpFlows(prev, [entry('127.10.0.10', 53, ['192.0.2.2:5354'])]), [flow('ClusterIP', '127.10.0.10', 53, '192.0.2.2', 5353)]);
});

test('TCP is left alone; a UDP address gone from the table (Service deleted, or served in userspace) loses all its flows', () => {
  const tcp = entry('10.43.0.10', 53, ['10.42.0.5'], { protocol: 'TCP', key: 'TCP/10.43.0.10:53' });
  const udp = entry('10.43.0.10', 53, ['10.42.0.5', '10.42.0.6']);
  assert.deepEqual(staleUdpFlows([tcp, udp], []), [flow('ClusterIP', '10.43.0.10', 53, '10.42.0.5'), flow('ClusterIP', '10.43.0.10', 53, '10.42.0.6')]);
  // Scaled to zero: the address now rejects, its old flows go.
  assert.equal(staleUdpFlows([udp], [entry('10.43.0.10', 53, [])]).length, 2);
});

test('a terminating endpoint that still serves keeps its flows until it stops serving', () => {
  // Not usable for new flows any more (another is ready), but still serving: kept.
  const terminating = entry('10.43.0.10', 53, ['10.42.0.5', '10.42.0.6'], { endpoints: [{ ip: '10.42.0.6', port: 5353 }] });
  assert.deepEqual(staleUdpFlows([entry('10.43.0.10', 53, ['10.42.0.5', '10.42.0.6'])], [terminating]), []);
  assert.deepEqual(staleUdpFlows([terminating], [entry('10.43.0.10', 53, ['10.42.0.6'])]), [flow('ClusterIP', '10.43.0.10', 53, '10.42.0.5')]);
});

test('the conntrack arguments name the original destination and the endpoint that answers', () => {
  assert.deepEqual(conntrackDeleteArgs(flow('NodePort', '192.0.2.2', 30053, '10.42.0.5')), ['-D', '-p', 'udp', '--orig-dst', '192.0.2.2', '--orig-port-dst', '30053', '--reply-src', '10.42.0.5', '--reply-port-src', '5353']);
});

// The arguments against the real conntrack, in a network namespace of the test's own where an
// output DNAT makes entries for two endpoints of one UDP Service address.
const ctSkip =
  process.getuid?.() !== 0
    ? 'needs root'
    : spawnSync('conntrack', ['--version']).status !== 0
      ? 'needs conntrack (Debian package conntrack)'
      : spawnSync('nft', ['--version']).status !== 0
        ? 'needs nft (Debian package nftables)'
        : spawnSync('ip', ['-V']).status !== 0
          ? 'needs iproute2'
          : false;

test('conntrack deletes exactly the stale flows, and a delete that matches nothing is not an error', { skip: ctSkip }, async () => {
  const ns = `capstan-cttest-${process.pid}`;
  assert.equal(spawnSync('ip', ['netns', 'add', ns]).status, 0);
  try {
    const x = (...args: string[]) => spawnSync('ip', ['netns', 'exec', ns, ...args], { encoding: 'utf8' });
    x('ip', 'link', 'set', 'lo', 'up');
    for (const a of ['10.42.0.5', '10.42.0.6', '10.42.0.9', '10.43.0.10']) assert.equal(x('ip', 'addr', 'add', `${a}/32`, 'dev', 'lo').status, 0);
    // Source port 40001 goes to .5, 40002 to .6, 40003 to .6 on another port: one flow per endpoint.
    const dnat = (sport: number, to: string) => `\t\tip daddr 10.43.0.10 udp sport ${sport} dnat to ${to}`;
    const rules = ['table ip t {', '\tchain out {', '\t\ttype nat hook output priority -100; policy accept;', dnat(40001, '10.42.0.5:5353'), dnat(40002, '10.42.0.6:5353'), dnat(40003, '10.42.0.6:5354'), '\t}', '}', ''].join('\n');
    const load = spawnSync('ip', ['netns', 'exec', ns, 'nft', '-f', '-'], { input: rules, encoding: 'utf8' });
    assert.equal(load.status, 0, load.stderr);
    const send = `const d = require('dgram'); let n = 0; for (const p of [40001, 40002, 40003]) { const s = d.createSocket('udp4'); s.bind(p, '10.42.0.9', () => s.send('x', 53, '10.43.0.10', () => { s.close(); if (++n === 3) process.exit(0); })); }`;
    assert.equal(x(process.execPath, '-e', send).status, 0);
    const flows = () => x('conntrack', '-L', '-p', 'udp').stdout;
    assert.match(flows(), /dst=10\.43\.0\.10 sport=40001 dport=53 .*src=10\.42\.0\.5 /);
    assert.match(flows(), /dst=10\.43\.0\.10 sport=40002 dport=53 .*src=10\.42\.0\.6 /);
    const run = conntrackRunner(['ip', 'netns', 'exec', ns, 'conntrack']);
    const stale = staleUdpFlows([entry('10.43.0.10', 53, ['10.42.0.5', '10.42.0.6', '10.42.0.6:5354'])], [entry('10.43.0.10', 53, ['10.42.0.6'])]);
    assert.equal(stale.length, 2);
    for (const f of stale) await run(conntrackDeleteArgs(f));
    assert.doesNotMatch(flows(), /sport=40001|sport=40003/);
    assert.match(flows(), /sport=40002 dport=53 .*src=10\.42\.0\.6 dst=10\.42\.0\.9 sport=5353 /);
    // Deleting again matches nothing (conntrack exits 1 saying so): still a success.
    await run(conntrackDeleteArgs(stale[0]!));
    await assert.rejects(run(['-D', '-p', 'udp', '--orig-dst', 'not-an-address']));
  } finally {
    spawnSync('ip', ['netns', 'delete', ns]);
  }
});
