import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { deleteScript, deltaScript, fullScript, type NftTableModel } from './nft-table.js';

/** A table shaped like the service proxy's: a verdict map to one chain per Service, a set, a hook. */
function model(services: Record<string, string>, hairpin: string[] = [], extraChain?: string): NftTableModel {
  const chains = new Map<string, string[]>();
  const elements = new Map<string, string>();
  for (const [ip, dnat] of Object.entries(services)) {
    const chain = `svc-${ip.replace(/\./g, '-')}`;
    chains.set(chain, [`meta l4proto tcp dnat to ${dnat}`]);
    elements.set(`${ip} . tcp . 80`, `goto ${chain}`);
  }
  if (extraChain) chains.set(extraChain, ['counter']);
  return {
    family: 'ip',
    name: 'capstan-nfttable-test',
    collections: new Map([
      ['service-ips', { kind: 'map', type: 'type ipv4_addr . inet_proto . inet_service : verdict', elements }],
      ['hairpin', { kind: 'set', type: 'type ipv4_addr . ipv4_addr', elements: new Map(hairpin.map((h) => [h, ''])) }],
    ]),
    baseChains: [{ name: 'nat-output', header: 'type nat hook output priority -100; policy accept;', rules: ['ip daddr . meta l4proto . th dport vmap @service-ips'] }],
    chains,
  };
}

test('equal models need no transaction; a changed structure needs a full replacement', () => {
  const a = model({ '10.43.0.1': '10.42.0.5:8080' });
  assert.equal(deltaScript(a, model({ '10.43.0.1': '10.42.0.5:8080' })), '');
  const b = model({ '10.43.0.1': '10.42.0.5:8080' });
  b.baseChains[0]!.rules.push('counter');
  assert.equal(deltaScript(a, b), undefined);
  const c = model({});
  c.collections.get('hairpin')!.type = 'type ipv4_addr';
  assert.equal(deltaScript(a, c), undefined);
});

test('a changed endpoint only flushes and refills that Service chain', () => {
  const from = model({ '10.43.0.1': '10.42.0.5:8080', '10.43.0.2': '10.42.0.6:8080' });
  const to = model({ '10.43.0.1': '10.42.0.7:8080', '10.43.0.2': '10.42.0.6:8080' });
  assert.equal(deltaScript(from, to), 'flush chain ip capstan-nfttable-test svc-10-43-0-1\nadd rule ip capstan-nfttable-test svc-10-43-0-1 meta l4proto tcp dnat to 10.42.0.7:8080\n');
});

test('a new Service adds its chain before the map element; a removed one deletes the element before the chain', () => {
  const from = model({ '10.43.0.1': '10.42.0.5:8080' }, ['10.42.0.5 . 10.42.0.5']);
  const to = model({ '10.43.0.2': '10.42.0.6:8080' }, ['10.42.0.6 . 10.42.0.6']);
  const lines = deltaScript(from, to)!.trim().split('\n');
  const t = 'ip capstan-nfttable-test';
  assert.deepEqual(lines, [
    `add chain ${t} svc-10-43-0-2`,
    `add rule ${t} svc-10-43-0-2 meta l4proto tcp dnat to 10.42.0.6:8080`,
    `delete element ${t} service-ips { 10.43.0.1 . tcp . 80 }`,
    `delete element ${t} hairpin { 10.42.0.5 . 10.42.0.5 }`,
    `add element ${t} service-ips { 10.43.0.2 . tcp . 80 : goto svc-10-43-0-2 }`,
    `add element ${t} hairpin { 10.42.0.6 . 10.42.0.6 }`,
    `delete chain ${t} svc-10-43-0-1`,
  ]);
});

test('a map element whose value changes is deleted and added again', () => {
  const from = model({ '10.43.0.1': '10.42.0.5:8080' });
  const to = model({ '10.43.0.1': '10.42.0.5:8080' });
  to.collections.get('service-ips')!.elements.set('10.43.0.1 . tcp . 80', 'goto reject-chain');
  to.chains.set('reject-chain', ['reject']);
  to.chains.delete('svc-10-43-0-1');
  const lines = deltaScript(from, to)!.trim().split('\n');
  assert.deepEqual(lines.slice(2), [
    'delete element ip capstan-nfttable-test service-ips { 10.43.0.1 . tcp . 80 }',
    'add element ip capstan-nfttable-test service-ips { 10.43.0.1 . tcp . 80 : goto reject-chain }',
    'delete chain ip capstan-nfttable-test svc-10-43-0-1',
  ]);
});

test('thousands of element changes are split over bounded lines', () => {
  const many = Object.fromEntries(Array.from({ length: 600 }, (_, i) => [`10.43.${i >> 8}.${i & 255}`, '10.42.0.5:8080']));
  const lines = deltaScript(model({}), model(many))!.trim().split('\n');
  assert.equal(lines.filter((l) => l.startsWith('add element')).length, 3);
});

// The scripts are loaded by the real nft inside a network namespace of the test's own: applying
// a delta must leave exactly the table a full load of the target gives.
const nftSkip = process.getuid?.() !== 0 ? 'needs root' : spawnSync('nft', ['--version']).status !== 0 ? 'needs nft (Debian package nftables)' : spawnSync('ip', ['-V']).status !== 0 ? 'needs iproute2' : false;

test('the real nft: full load, deltas, and the table a full load of the target gives', { skip: nftSkip }, () => {
  const ns = `capstan-nfttable-${process.pid}`;
  assert.equal(spawnSync('ip', ['netns', 'add', ns]).status, 0);
  try {
    const nft = (...args: string[]) => spawnSync('ip', ['netns', 'exec', ns, 'nft', ...args], { encoding: 'utf8' });
    const load = (script: string) => {
      const r = spawnSync('ip', ['netns', 'exec', ns, 'nft', '-f', '-'], { input: script, encoding: 'utf8' });
      assert.equal(r.status, 0, `${r.stderr}\n${script}`);
    };
    // The listing without handles, elements sorted (a hash set lists in no fixed order).
    const listing = () => {
      const json = JSON.parse(nft('-j', 'list', 'table', 'ip', 'capstan-nfttable-test').stdout) as { nftables: Record<string, Record<string, unknown>>[] };
      return json.nftables
        .filter((o) => !o.metainfo)
        .map((o) => {
          const [kind, body] = Object.entries(o)[0]!;
          const { handle: _h, ...rest } = body;
          if (Array.isArray(rest.elem)) rest.elem = rest.elem.map((e) => JSON.stringify(e)).sort();
          return JSON.stringify([kind, rest]);
        })
        .sort();
    };
    const steps = [
      model({ '10.43.0.1': '10.42.0.5:8080', '10.43.0.2': '10.42.0.6:8080' }, ['10.42.0.5 . 10.42.0.5']),
      model({ '10.43.0.1': '10.42.0.7:8080', '10.43.0.2': '10.42.0.6:8080', '10.43.0.3': '10.42.0.8:8080' }, ['10.42.0.7 . 10.42.0.7'], 'extra'),
      model({ '10.43.0.3': '10.42.0.8:8080' }),
      model({}),
    ];
    load(fullScript(steps[0]!));
    for (let i = 1; i < steps.length; i++) {
      load(deltaScript(steps[i - 1]!, steps[i]!)!);
      const incremental = listing();
      load(fullScript(steps[i]!));
      assert.deepEqual(incremental, listing(), `step ${i}`);
    }
    for (let i = 0; i < 2; i++) load(deleteScript('ip', 'capstan-nfttable-test'));
    assert.equal(nft('list', 'tables').stdout.trim(), '');
  } finally {
    spawnSync('ip', ['netns', 'delete', ns]);
  }
});
