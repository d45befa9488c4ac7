import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildPodResolvConf, parseResolvConf, podDNSType, type PodResolvConfInput } from './resolv-conf.js';

const host = '# host file\nnameserver 192.0.2.1\nnameserver 192.0.2.2\nsearch corp.example. example.com .\noptions timeout:2 attempts:3\noptions timeout:1\n';
const input = (pod: PodResolvConfInput['pod'], over: Partial<PodResolvConfInput> = {}): PodResolvConfInput => ({
  pod, clusterDNS: ['10.43.0.10'], clusterDomain: 'cluster.local', hostResolvConf: host, ...over,
});

describe('parseResolvConf', () => {
  it('reads nameservers, the last search line without trailing dots or ".", and merged options', () => {
    assert.deepEqual(parseResolvConf(host), { nameservers: ['192.0.2.1', '192.0.2.2'], searches: ['corp.example', 'example.com'], options: ['timeout:1', 'attempts:3'] });
    assert.deepEqual(parseResolvConf('search a\nsearch b c\n; nameserver x\n'), { nameservers: [], searches: ['b', 'c'], options: [] });
  });
});

describe('buildPodResolvConf', () => {
  it('ClusterFirst: the cluster DNS, the cluster search path then the host searches, ndots:5', () => {
    const r = buildPodResolvConf(input({ namespace: 'shop' }));
    assert.equal(r.text, 'search shop.svc.cluster.local svc.cluster.local cluster.local corp.example example.com\nnameserver 10.43.0.10\noptions ndots:5\n');
    assert.deepEqual(r.warnings, []);
  });

  it('ClusterFirst on the host network and Default use the host file', () => {
    for (const pod of [{ namespace: 'a', hostNetwork: true }, { namespace: 'a', dnsPolicy: 'Default' }]) {
      const r = buildPodResolvConf(input(pod));
      assert.equal(r.text, 'search corp.example example.com\nnameserver 192.0.2.1\nnameserver 192.0.2.2\noptions timeout:1 attempts:3\n');
    }
  });

  it('ClusterFirstWithHostNet uses the cluster DNS even on the host network', () => {
    const r = buildPodResolvConf(input({ namespace: 'a', hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' }));
    assert.deepEqual(r.nameservers, ['10.43.0.10']);
    assert.deepEqual(r.searches.slice(0, 3), ['a.svc.cluster.local', 'svc.cluster.local', 'cluster.local']);
  });

  it('None takes only the pod dnsConfig', () => {
    const r = buildPodResolvConf(input({ namespace: 'a', dnsPolicy: 'None', dnsConfig: { nameservers: ['1.1.1.1'], searches: ['x.example'], options: [{ name: 'ndots', value: '2' }, { name: 'edns0' }] } }));
    assert.equal(r.text, 'search x.example\nnameserver 1.1.1.1\noptions ndots:2 edns0\n');
  });

  it('merges dnsConfig into the base: duplicates dropped, the pod option value wins', () => {
    const r = buildPodResolvConf(input({ namespace: 'a', dnsConfig: { nameservers: ['10.43.0.10', '1.1.1.1'], searches: ['cluster.local', 'extra.example'], options: [{ name: 'ndots', value: '1' }, { name: 'single-request-reopen' }] } }));
    assert.deepEqual(r.nameservers, ['10.43.0.10', '1.1.1.1']);
    assert.deepEqual(r.searches, ['a.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'corp.example', 'example.com', 'extra.example']);
    assert.deepEqual(r.options, ['ndots:1', 'single-request-reopen']);
  });

  it('falls back to Default without a cluster DNS address, with a warning', () => {
    const r = buildPodResolvConf(input({ namespace: 'a' }, { clusterDNS: [] }));
    assert.deepEqual(r.nameservers, ['192.0.2.1', '192.0.2.2']);
    assert.equal(r.warnings.length, 1);
    assert.match(r.warnings[0], /Falling back to "Default" policy/);
  });

  it('uses the loopback resolver when there is no host file', () => {
    const r = buildPodResolvConf(input({ namespace: 'a', dnsPolicy: 'Default' }, { hostResolvConf: undefined, nodeIPs: ['fd00::5'] }));
    assert.equal(r.text, 'search .\nnameserver ::1\n');
    const c = buildPodResolvConf(input({ namespace: 'a' }, { hostResolvConf: undefined }));
    assert.deepEqual(c.searches, ['a.svc.cluster.local', 'svc.cluster.local', 'cluster.local']);
  });

  it('keeps at most three nameservers', () => {
    const r = buildPodResolvConf(input({ namespace: 'a', dnsConfig: { nameservers: ['1.1.1.1', '8.8.8.8', '9.9.9.9'] } }));
    assert.deepEqual(r.nameservers, ['10.43.0.10', '1.1.1.1', '8.8.8.8']);
    assert.match(r.warnings[0], /^Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver line is: 10\.43\.0\.10 1\.1\.1\.1 8\.8\.8\.8$/);
  });

  it('keeps at most 32 search domains, none over 253 characters, within 2048 characters', () => {
    const many = Array.from({ length: 40 }, (_, i) => `d${i}.example`);
    const r = buildPodResolvConf(input({ namespace: 'a', dnsPolicy: 'None', dnsConfig: { searches: many } }));
    assert.deepEqual(r.searches, many.slice(0, 32));
    assert.match(r.warnings[0], /^Search Line limits were exceeded/);
    const long = 'x'.repeat(254);
    assert.deepEqual(buildPodResolvConf(input({ namespace: 'a', dnsPolicy: 'None', dnsConfig: { searches: ['a.example', long] } })).searches, ['a.example']);
    const wide = Array.from({ length: 10 }, (_, i) => `${String(i).repeat(240)}.example`.slice(0, 250));
    const w = buildPodResolvConf(input({ namespace: 'a', dnsPolicy: 'None', dnsConfig: { searches: wide } }));
    assert.ok(w.searches.join(' ').length <= 2048);
    assert.deepEqual(w.searches, wide.slice(0, 8));
  });

  it('rejects an unknown policy and maps the known ones', () => {
    assert.throws(() => buildPodResolvConf(input({ namespace: 'a', dnsPolicy: 'Sometimes' })), /invalid DNSPolicy=Sometimes/);
    assert.equal(podDNSType({ namespace: 'a' }), 'cluster');
    assert.equal(podDNSType({ namespace: 'a', dnsPolicy: 'None', hostNetwork: true }), 'none');
  });
});
