import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ApiObject } from '../../api/object.js';
import { buildClusterIndex } from './cluster-index.js';
import { Rcode, RRType, type SrvData } from './message.js';
import { resolveQuestion, reverseNameToIP, type Answer, type ZoneConfig } from './records.js';

const cfg: ZoneConfig = { zone: 'cluster.local', ttl: 5, serial: 1, dnsIPs: ['10.43.0.10'] };

const svc = (ns: string, name: string, spec: Record<string, unknown>): ApiObject => ({ apiVersion: 'v1', kind: 'Service', metadata: { namespace: ns, name }, spec });
const slice = (ns: string, svcName: string, name: string, endpoints: unknown[], ports: unknown[], addressType = 'IPv4'): ApiObject => ({
  apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { namespace: ns, name, labels: { 'kubernetes.io/service-name': svcName } }, addressType, endpoints, ports,
});
const ns = (name: string): ApiObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });

const services = [
  svc('default', 'web', { type: 'ClusterIP', clusterIP: '10.43.0.20', clusterIPs: ['10.43.0.20'], ports: [{ name: 'http', protocol: 'TCP', port: 80 }, { protocol: 'UDP', port: 9 }] }),
  svc('default', 'db', { type: 'ClusterIP', clusterIP: 'None', clusterIPs: ['None'], ports: [{ name: 'pg', protocol: 'TCP', port: 5432 }] }),
  svc('default', 'empty', { type: 'ClusterIP', clusterIP: 'None', ports: [] }),
  svc('default', 'ext', { type: 'ExternalName', externalName: 'www.example.com.' }),
  svc('kube-system', 'kube-dns', { type: 'ClusterIP', clusterIP: '10.43.0.10', clusterIPs: ['10.43.0.10'], ports: [{ name: 'dns', protocol: 'UDP', port: 53 }] }),
];
const slices = [
  slice('default', 'db', 'db-abc', [
    { addresses: ['10.42.0.5'], hostname: 'db-0', conditions: { ready: true } },
    { addresses: ['10.42.0.6'], hostname: 'db-1', conditions: {} },
    { addresses: ['10.42.0.7'], conditions: { ready: false } },
    { addresses: ['10.42.0.8'], conditions: { ready: true } },
  ], [{ name: 'pg', protocol: 'TCP', port: 5432 }]),
  // The same address in a second slice is served once.
  slice('default', 'db', 'db-def', [{ addresses: ['10.42.0.5'], hostname: 'db-0' }], [{ name: 'pg', protocol: 'TCP', port: 5432 }]),
  slice('default', 'web', 'web-abc', [{ addresses: ['10.42.0.9'] }], [{ name: 'http', protocol: 'TCP', port: 8080 }]),
];
const index = buildClusterIndex(services, slices, [ns('default'), ns('kube-system'), ns('quiet')], 'cluster.local');

function ask(name: string, type: number): Answer {
  const r = resolveQuestion(index, cfg, { name, type, class: 1 });
  assert.equal(r.kind, 'answer', `${name} should be answered from the cluster`);
  return r as Answer;
}
const data = (a: Answer) => a.answers.map((r) => r.data);
const isNegative = (a: Answer, rcode: number) => {
  assert.equal(a.rcode, rcode);
  assert.equal(a.answers.length, 0);
  assert.equal(a.authorities[0]?.type, RRType.SOA);
  assert.equal(a.authorities[0]?.name, 'cluster.local');
};

describe('cluster DNS records', () => {
  it('answers a ClusterIP service with its ClusterIP, case-insensitively', () => {
    const a = ask('WEB.Default.svc.cluster.local', RRType.A);
    assert.deepEqual(data(a), ['10.43.0.20']);
    assert.equal(a.answers[0].name, 'WEB.Default.svc.cluster.local');
    assert.equal(a.answers[0].ttl, 5);
    isNegative(ask('web.default.svc.cluster.local', RRType.AAAA), Rcode.NOERROR);
    isNegative(ask('web.default.svc.cluster.local', RRType.TXT), Rcode.NOERROR);
  });

  it('answers a headless service with its ready endpoints, each once', () => {
    assert.deepEqual(data(ask('db.default.svc.cluster.local', RRType.A)).sort(), ['10.42.0.5', '10.42.0.6', '10.42.0.8']);
    // No ready endpoints: NXDOMAIN (specification §2.4.1).
    isNegative(ask('empty.default.svc.cluster.local', RRType.A), Rcode.NXDOMAIN);
  });

  it('answers endpoint hostnames of headless services (StatefulSet pods), and the dashed IP of the rest', () => {
    assert.deepEqual(data(ask('db-1.db.default.svc.cluster.local', RRType.A)), ['10.42.0.6']);
    assert.deepEqual(data(ask('10-42-0-8.db.default.svc.cluster.local', RRType.A)), ['10.42.0.8']);
    isNegative(ask('db-9.db.default.svc.cluster.local', RRType.A), Rcode.NXDOMAIN);
    // A not-ready endpoint has no name.
    isNegative(ask('10-42-0-7.db.default.svc.cluster.local', RRType.A), Rcode.NXDOMAIN);
    // ClusterIP services have no endpoint names.
    isNegative(ask('10-42-0-9.web.default.svc.cluster.local', RRType.A), Rcode.NXDOMAIN);
  });

  it('answers SRV for named ports: the service name for a ClusterIP service, each endpoint for a headless one', () => {
    const a = ask('_http._tcp.web.default.svc.cluster.local', RRType.SRV);
    assert.deepEqual(data(a), [{ priority: 0, weight: 100, port: 80, target: 'web.default.svc.cluster.local' }]);
    assert.deepEqual(a.additionals.map((r) => [r.name, r.data]), [['web.default.svc.cluster.local', '10.43.0.20']]);
    const h = ask('_pg._tcp.db.default.svc.cluster.local', RRType.SRV);
    assert.deepEqual((data(h) as SrvData[]).map((s) => `${s.weight} ${s.port} ${s.target}`).sort(), [
      '33 5432 10-42-0-8.db.default.svc.cluster.local',
      '33 5432 db-0.db.default.svc.cluster.local',
      '33 5432 db-1.db.default.svc.cluster.local',
    ]);
    assert.equal(h.additionals.length, 3);
    // Wrong protocol or unknown port: no such name; right name, wrong type: NODATA.
    isNegative(ask('_http._udp.web.default.svc.cluster.local', RRType.SRV), Rcode.NXDOMAIN);
    isNegative(ask('_nope._tcp.web.default.svc.cluster.local', RRType.SRV), Rcode.NXDOMAIN);
    isNegative(ask('_http._tcp.web.default.svc.cluster.local', RRType.A), Rcode.NOERROR);
    isNegative(ask('_tcp.web.default.svc.cluster.local', RRType.SRV), Rcode.NOERROR);
  });

  it('answers an ExternalName service with a CNAME to chase', () => {
    const a = ask('ext.default.svc.cluster.local', RRType.A);
    assert.equal(a.answers[0].type, RRType.CNAME);
    assert.equal(a.answers[0].data, 'www.example.com');
    assert.equal(a.chase, 'www.example.com');
    assert.equal(ask('ext.default.svc.cluster.local', RRType.CNAME).chase, undefined);
  });

  it('answers PTR for ClusterIPs and headless endpoints, and forwards other reverse names', () => {
    assert.deepEqual(data(ask('20.0.43.10.in-addr.arpa', RRType.PTR)), ['web.default.svc.cluster.local']);
    assert.deepEqual(data(ask('6.0.42.10.in-addr.arpa', RRType.PTR)), ['db-1.db.default.svc.cluster.local']);
    assert.deepEqual(data(ask('8.0.42.10.in-addr.arpa', RRType.PTR)), ['10-42-0-8.db.default.svc.cluster.local']);
    // The endpoint of a ClusterIP service has no PTR here.
    assert.equal(resolveQuestion(index, cfg, { name: '9.0.42.10.in-addr.arpa', type: RRType.PTR, class: 1 }).kind, 'forward');
    assert.equal(resolveQuestion(index, cfg, { name: '1.1.168.192.in-addr.arpa', type: RRType.PTR, class: 1 }).kind, 'forward');
  });

  it('tells NXDOMAIN from NODATA across the zone', () => {
    isNegative(ask('nope.default.svc.cluster.local', RRType.A), Rcode.NXDOMAIN);
    isNegative(ask('default.svc.cluster.local', RRType.A), Rcode.NOERROR);
    isNegative(ask('quiet.svc.cluster.local', RRType.A), Rcode.NOERROR);
    isNegative(ask('missing.svc.cluster.local', RRType.A), Rcode.NXDOMAIN);
    isNegative(ask('svc.cluster.local', RRType.A), Rcode.NOERROR);
    isNegative(ask('cluster.local', RRType.A), Rcode.NOERROR);
    isNegative(ask('foo.cluster.local', RRType.A), Rcode.NXDOMAIN);
    isNegative(ask('a.b.web.default.svc.cluster.local', RRType.A), Rcode.NXDOMAIN);
  });

  it('answers pod names in insecure mode, the schema version, the SOA and the name server', () => {
    assert.deepEqual(data(ask('10-42-0-99.default.pod.cluster.local', RRType.A)), ['10.42.0.99']);
    isNegative(ask('10-42-0-999.default.pod.cluster.local', RRType.A), Rcode.NXDOMAIN);
    isNegative(ask('10-42-0-99.default.pod.cluster.local', RRType.AAAA), Rcode.NOERROR);
    assert.deepEqual(data(ask('fd00--1.default.pod.cluster.local', RRType.AAAA)), ['fd00::1']);
    assert.deepEqual(data(ask('dns-version.cluster.local', RRType.TXT)), [['1.1.0']]);
    assert.equal(ask('cluster.local', RRType.SOA).answers[0].type, RRType.SOA);
    assert.deepEqual(data(ask('cluster.local', RRType.NS)), ['ns.dns.cluster.local']);
    assert.deepEqual(data(ask('ns.dns.cluster.local', RRType.A)), ['10.43.0.10']);
  });

  it('forwards names outside the cluster zone', () => {
    assert.equal(resolveQuestion(index, cfg, { name: 'example.com', type: RRType.A, class: 1 }).kind, 'forward');
    assert.equal(resolveQuestion(index, cfg, { name: 'notcluster.local', type: RRType.A, class: 1 }).kind, 'forward');
  });

  it('reads reverse names', () => {
    assert.equal(reverseNameToIP('4.3.2.1.in-addr.arpa'), '1.2.3.4');
    assert.equal(reverseNameToIP('3.2.1.in-addr.arpa'), undefined);
    assert.equal(reverseNameToIP(`1.0.0.0.${'0.'.repeat(26)}d.f.ip6.arpa`), 'fd00::1');
  });

  it('serves services in namespaces it was not told about when namespaces are unknown', () => {
    const idx = buildClusterIndex(services, [], undefined, 'cluster.local');
    const r = resolveQuestion(idx, cfg, { name: 'default.svc.cluster.local', type: RRType.A, class: 1 }) as Answer;
    assert.equal(r.rcode, Rcode.NOERROR);
  });
});
