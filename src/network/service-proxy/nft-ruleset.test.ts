import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { bridgeMasquerade, chainName, nftDeleteTable, nftRuleset, splitPlan } from './nft-ruleset.js';
import { planProxy } from './proxy-rules.js';

const node = { name: 'n1', addresses: ['192.0.2.2', '127.0.0.1'] };

function svc(name: string, spec: Service['spec']): Service {
  return { metadata: { namespace: 'default', name }, spec: { clusterIP: '10.43.0.7', ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }], ...spec } };
}

function slice(service: string, eps: { ip: string; ready?: boolean; serving?: boolean; terminating?: boolean; node?: string }[], port = 8080, portName = 'http', protocol = 'TCP'): EndpointSlice {
  return {
    metadata: { namespace: 'default', name: `${service}-${protocol}`, labels: { 'kubernetes.io/service-name': service } },
    addressType: 'IPv4',
    ports: [{ name: portName, port, protocol }],
    endpoints: eps.map((e) => ({ addresses: [e.ip], nodeName: e.node, conditions: { ready: e.ready, serving: e.serving, terminating: e.terminating } })),
  };
}

const split = (services: Service[], slices: EndpointSlice[], bridge = true) => splitPlan(planProxy(services, slices, node), { nodeName: 'n1', bridge });

test('a ClusterIP Service port with two ready endpoints DNATs to one picked at random', () => {
  const s = split([svc('web', {})], [slice('web', [{ ip: '10.42.0.6' }, { ip: '10.42.0.5' }, { ip: '10.42.0.9', ready: false }])]);
  assert.equal(s.userspace.listeners.length, 0);
  assert.deepEqual(s.kernel.map((e) => [e.key, e.chain, e.endpoints]), [
    ['TCP/10.43.0.7:80', chainName('default/web:http/TCP', 'internal'), [{ ip: '10.42.0.5', port: 8080 }, { ip: '10.42.0.6', port: 8080 }]],
  ]);
  const text = nftRuleset(s.kernel, { bridge: { name: 'capstan0', podCidr: '10.42.0.0/16' } });
  const chain = chainName('default/web:http/TCP', 'internal');
  assert.match(chain, /^svc-[0-9a-f]{8}-default\/web\/tcp\/http$/);
  assert.ok(text.startsWith('table ip capstan-proxy\ndelete table ip capstan-proxy\ntable ip capstan-proxy {\n'), text);
  assert.ok(text.includes(`\t\t\t10.43.0.7 . tcp . 80 : goto ${chain}\n`), text);
  assert.ok(text.includes(`\tchain ${chain} {\n\t\tmeta l4proto tcp dnat to numgen random mod 2 map { 0 : 10.42.0.5 . 8080, 1 : 10.42.0.6 . 8080 }\n\t}`), text);
  assert.ok(text.includes('type nat hook prerouting priority dstnat; policy accept;\n\t\tip daddr . meta l4proto . th dport vmap @service-ips'), text);
  assert.ok(text.includes('type nat hook output priority -100; policy accept;\n\t\tip daddr . meta l4proto . th dport vmap @service-ips'), text);
  assert.ok(text.includes('ip saddr 10.42.0.0/16 oifname "capstan0" ct status dnat masquerade'), text);
  // Nothing to reject: the map has no elements.
  assert.match(text, /map no-endpoint-services \{\n\t\ttype ipv4_addr \. inet_proto \. inet_service : verdict\n\t\}/);
});

test('one endpoint is a plain DNAT; UDP ports get their own chain and map entry', () => {
  const dns = svc('dns', { ports: [{ name: 'dns', port: 53, protocol: 'UDP' }, { name: 'dns-tcp', port: 53, protocol: 'TCP' }] });
  const s = split([dns], [slice('dns', [{ ip: '10.42.0.5' }], 5353, 'dns', 'UDP'), slice('dns', [{ ip: '10.42.0.5' }], 5353, 'dns-tcp', 'TCP')]);
  const text = nftRuleset(s.kernel);
  assert.ok(text.includes(`10.43.0.7 . udp . 53 : goto ${chainName('default/dns:dns/UDP', 'internal')}`), text);
  assert.ok(text.includes(`10.43.0.7 . tcp . 53 : goto ${chainName('default/dns:dns-tcp/TCP', 'internal')}`), text);
  assert.ok(text.includes('\t\tmeta l4proto udp dnat to 10.42.0.5:5353\n'), text);
  assert.ok(text.includes('\t\tmeta l4proto tcp dnat to 10.42.0.5:5353\n'), text);
  // Host network mode: no bridge, no masquerade.
  assert.doesNotMatch(text, /masquerade/);
});

test('a Service port without usable endpoints is rejected: TCP with a reset, others with ICMP port unreachable', () => {
  const s = split([svc('empty', {}), svc('gone', { clusterIP: '10.43.0.8' })], [slice('gone', [{ ip: '10.42.0.5', ready: false }])]);
  assert.deepEqual(s.kernel.map((e) => [e.key, e.chain]), [['TCP/10.43.0.7:80', undefined], ['TCP/10.43.0.8:80', undefined]]);
  const text = nftRuleset(s.kernel);
  assert.ok(text.includes('\t\t\t10.43.0.7 . tcp . 80 : goto reject-chain,\n\t\t\t10.43.0.8 . tcp . 80 : goto reject-chain\n'), text);
  assert.match(text, /map service-ips \{\n\t\ttype ipv4_addr \. inet_proto \. inet_service : verdict\n\t\}/);
  for (const hook of ['input', 'forward', 'output']) {
    assert.ok(text.includes(`type filter hook ${hook} priority -110; policy accept;\n\t\tct state new ip daddr . meta l4proto . th dport vmap @no-endpoint-services`), hook);
  }
  assert.ok(text.includes('\tchain reject-chain {\n\t\tmeta l4proto tcp reject with tcp reset\n\t\treject\n\t}'), text);
  assert.doesNotMatch(text, /chain svc-/);
});

test('terminating endpoints take traffic only when none is ready', () => {
  const eps = [{ ip: '10.42.0.5', ready: false, serving: true, terminating: true }, { ip: '10.42.0.6' }];
  assert.deepEqual(split([svc('web', {})], [slice('web', eps)]).kernel[0]!.endpoints, [{ ip: '10.42.0.6', port: 8080 }]);
  assert.deepEqual(split([svc('web', {})], [slice('web', eps.slice(0, 1))]).kernel[0]!.endpoints, [{ ip: '10.42.0.5', port: 8080 }]);
});

test('NodePort and LoadBalancer listeners on node addresses go to the kernel, with their own chain for Local policy; loopback ones stay in userspace in bridge mode', () => {
  const np = svc('np', { type: 'LoadBalancer', externalTrafficPolicy: 'Local', ports: [{ name: 'http', port: 8081, nodePort: 30080, targetPort: 8080 }] });
  const s = split([np], [slice('np', [{ ip: '10.42.0.5', node: 'n1' }, { ip: '10.42.1.5', node: 'n2' }])]);
  assert.deepEqual(s.kernel.map((e) => [e.key, e.kind, e.chain, e.endpoints.map((x) => x.ip)]), [
    ['TCP/10.43.0.7:8081', 'ClusterIP', chainName('default/np:http/TCP', 'internal'), ['10.42.0.5', '10.42.1.5']],
    ['TCP/192.0.2.2:30080', 'NodePort', chainName('default/np:http/TCP', 'external'), ['10.42.0.5']],
    ['TCP/192.0.2.2:8081', 'LoadBalancer', chainName('default/np:http/TCP', 'external'), ['10.42.0.5']],
  ]);
  assert.deepEqual(s.userspace.listeners.map((l) => l.key).sort(), ['TCP/127.0.0.1:30080', 'TCP/127.0.0.1:8081']);
  assert.equal(s.userspaceWhy.size, 0);
  // The shared external chain is written once.
  const text = nftRuleset(s.kernel);
  assert.equal(text.split(`chain ${chainName('default/np:http/TCP', 'external')} {`).length, 2);
  assert.ok(chainName('default/np:http/TCP', 'external').endsWith('-ext'));
  // Host network mode: loopback node addresses are local to every endpoint, so the kernel serves them.
  assert.equal(split([np], [slice('np', [{ ip: '192.0.2.2', node: 'n1' }])], false).userspace.listeners.length, 0);
});

test('session affinity and loopback endpoints (bridge mode) keep a Service port in userspace', () => {
  const s = split(
    [svc('sticky', { sessionAffinity: 'ClientIP' }), svc('api', { clusterIP: '10.43.0.1', ports: [{ name: 'https', port: 443, targetPort: 6443 }] }), svc('web', { clusterIP: '10.43.0.9' })],
    [slice('sticky', [{ ip: '10.42.0.5' }]), slice('api', [{ ip: '127.0.0.1' }], 6443, 'https'), slice('web', [{ ip: '10.42.0.6' }])],
  );
  assert.deepEqual(s.userspace.listeners.map((l) => l.key).sort(), ['TCP/10.43.0.1:443', 'TCP/10.43.0.7:80']);
  assert.deepEqual(Object.fromEntries(s.userspaceWhy), { 'default/api:https/TCP': 'endpoints on loopback addresses', 'default/sticky:http/TCP': 'sessionAffinity ClientIP' });
  assert.deepEqual(s.kernel.map((e) => e.key), ['TCP/10.43.0.9:80']);
  // The userspace part keeps every rule, so its listeners route as before.
  assert.ok(s.userspace.rules.has('default/sticky:http/TCP'));
  // In host mode loopback endpoints are fine for the kernel (all traffic is the node's own).
  assert.deepEqual(split([svc('api', { clusterIP: '127.10.0.1', ports: [{ name: 'https', port: 443 }] })], [slice('api', [{ ip: '127.0.0.1' }], 6443, 'https')], false).kernel.map((e) => e.key), ['TCP/127.10.0.1:443']);
});

test('with br_netfilter only hairpin connections are masqueraded: a set of endpoint . endpoint pairs', () => {
  const s = split([svc('web', {}), svc('dns', { clusterIP: '10.43.0.10', ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] })], [slice('web', [{ ip: '10.42.0.6' }, { ip: '10.42.0.5' }]), slice('dns', [{ ip: '10.42.0.5' }], 53, 'dns', 'UDP')]);
  const text = nftRuleset(s.kernel, { bridge: { name: 'capstan0', podCidr: '10.42.0.0/16', hairpinOnly: true } });
  assert.ok(text.includes('\tset hairpin-endpoints {\n\t\ttype ipv4_addr . ipv4_addr\n\t\telements = {\n\t\t\t10.42.0.5 . 10.42.0.5,\n\t\t\t10.42.0.6 . 10.42.0.6\n\t\t}\n\t}'), text);
  assert.ok(text.includes('type nat hook postrouting priority srcnat; policy accept;\n\t\tip saddr . ip daddr @hairpin-endpoints oifname "capstan0" ct status dnat masquerade\n'), text);
  assert.doesNotMatch(text, /ip saddr 10\.42\.0\.0\/16/);
  // No endpoints at all: an empty set, still a valid table.
  assert.match(nftRuleset([], { bridge: { name: 'capstan0', podCidr: '10.42.0.0/16', hairpinOnly: true } }), /set hairpin-endpoints \{\n\t\ttype ipv4_addr \. ipv4_addr\n\t\}/);
});

test('br_netfilter decides the masquerade: on, off, or not loaded', () => {
  assert.deepEqual(bridgeMasquerade('1\n'), { hairpinOnly: true, why: 'br_netfilter passes bridged replies through conntrack' });
  const off = bridgeMasquerade('0\n');
  assert.equal(off.hairpinOnly, false);
  assert.match(off.why, /^net\.bridge\.bridge-nf-call-iptables is 0, so replies between pods on the bridge bypass conntrack: .*backends see the bridge address$/);
  const absent = bridgeMasquerade(undefined);
  assert.equal(absent.hairpinOnly, false);
  assert.match(absent.why, /^br_netfilter is not loaded, /);
});

test('each kernel entry lists the serving endpoint addresses of its Service port, whatever the traffic policy', () => {
  const np = svc('np', { type: 'NodePort', externalTrafficPolicy: 'Local', ports: [{ name: 'http', port: 80, nodePort: 30080 }] });
  const eps = [{ ip: '10.42.0.7', ready: false, serving: true, terminating: true, node: 'n1' }, { ip: '10.42.0.5', node: 'n1' }, { ip: '10.42.1.5', node: 'n2' }, { ip: '10.42.0.9', ready: false, node: 'n1' }];
  const s = split([np], [slice('np', eps)]);
  assert.deepEqual(s.kernel.map((e) => [e.kind, e.endpoints.map((x) => x.ip), e.serving.map((x) => `${x.ip}:${x.port}`)]), [
    ['ClusterIP', ['10.42.0.5', '10.42.1.5'], ['10.42.0.5:8080', '10.42.0.7:8080', '10.42.1.5:8080']],
    ['NodePort', ['10.42.0.5'], ['10.42.0.5:8080', '10.42.0.7:8080', '10.42.1.5:8080']],
  ]);
});

test('chain names are valid nft identifiers, bounded, and distinct per port and scope', () => {
  const long = `ns/${'a'.repeat(200)}:web-port/UDP`;
  const n = chainName(long, 'internal');
  assert.match(n, /^svc-[0-9a-f]{8}-[A-Za-z0-9/_.-]+$/);
  assert.ok(n.length <= 140);
  assert.notEqual(chainName('a/b:/TCP', 'internal'), chainName('a/b:/UDP', 'internal'));
  assert.equal(chainName('a/b:/TCP', 'internal'), 'svc-' + chainName('a/b:/TCP', 'internal').slice(4, 12) + '-a/b/tcp');
});

test('the delete script adds the table first so that it succeeds when the table is absent', () => {
  assert.equal(nftDeleteTable('t'), 'table ip t\ndelete table ip t\n');
});

// The generated text is loaded by the real nft inside a network namespace of the test's own.
const nftSkip = process.getuid?.() !== 0 ? 'needs root' : spawnSync('nft', ['--version']).status !== 0 ? 'needs nft (Debian package nftables)' : spawnSync('ip', ['-V']).status !== 0 ? 'needs iproute2' : false;

test('nft accepts the generated ruleset, twice (replacement), and the delete script', { skip: nftSkip }, () => {
  const ns = `capstan-nfttest-${process.pid}`;
  assert.equal(spawnSync('ip', ['netns', 'add', ns]).status, 0);
  try {
    const nft = (script: string) => spawnSync('ip', ['netns', 'exec', ns, 'nft', '-f', '-'], { input: script, encoding: 'utf8' });
    const np = svc('np', { type: 'NodePort', ports: [{ name: 'http', port: 80, nodePort: 30080, targetPort: 8080 }, { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 }] });
    const s = split([np, svc('empty', { clusterIP: '10.43.0.8' })], [slice('np', [{ ip: '10.42.0.5' }, { ip: '10.42.0.6' }]), slice('np', [{ ip: '10.42.0.5' }], 53, 'dns', 'UDP')]);
    const text = nftRuleset(s.kernel, { bridge: { name: 'capstan0', podCidr: '10.42.0.0/16' } });
    for (let i = 0; i < 2; i++) {
      const r = nft(text);
      assert.equal(r.status, 0, r.stderr);
    }
    const hairpin = nft(nftRuleset(s.kernel, { bridge: { name: 'capstan0', podCidr: '10.42.0.0/16', hairpinOnly: true } }));
    assert.equal(hairpin.status, 0, hairpin.stderr);
    const withSet = spawnSync('ip', ['netns', 'exec', ns, 'nft', 'list', 'table', 'ip', 'capstan-proxy'], { encoding: 'utf8' }).stdout;
    assert.match(withSet, /elements = \{ 10\.42\.0\.5 \. 10\.42\.0\.5,\s+10\.42\.0\.6 \. 10\.42\.0\.6 \}/);
    assert.match(withSet, /ip saddr \. ip daddr @hairpin-endpoints oifname "capstan0" ct status dnat masquerade/);
    assert.equal(nft(text).status, 0);
    const listed = spawnSync('ip', ['netns', 'exec', ns, 'nft', 'list', 'table', 'ip', 'capstan-proxy'], { encoding: 'utf8' }).stdout;
    assert.match(listed, /numgen random mod 2 map \{ 0 : 10\.42\.0\.5 \. 8080, 1 : 10\.42\.0\.6 \. 8080 \}/);
    assert.match(listed, /192\.0\.2\.2 \. tcp \. 30080 : goto svc-/);
    assert.match(listed, /10\.43\.0\.8 \. tcp \. 80 : goto reject-chain/);
    assert.equal(nft(nftRuleset([])).status, 0);
    for (let i = 0; i < 2; i++) assert.equal(nft(nftDeleteTable()).status, 0);
    assert.equal(spawnSync('ip', ['netns', 'exec', ns, 'nft', 'list', 'tables'], { encoding: 'utf8' }).stdout.trim(), '');
  } finally {
    spawnSync('ip', ['netns', 'delete', ns]);
  }
});
