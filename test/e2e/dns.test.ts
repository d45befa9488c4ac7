/**
 * Cluster DNS against a real `capstan server --cluster-dns-port N`: objects made with the real
 * kubectl are answered over UDP and TCP (ClusterIP A, headless endpoints from a hand-written
 * EndpointSlice, SRV, ExternalName CNAME, PTR, NXDOMAIN), the kube-dns Service exists, and other
 * names are forwarded to a fake upstream resolver named by `--resolv-conf`. Queries go through
 * `dig` when installed, else through the project's own codec.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeMessage, encodeMessage, Rcode, RRType, type DnsMessage } from '../../src/network/dns/message.js';
import { kc, startServer, type ServerHandle } from './harness.js';

const manifests = `apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: db}
spec:
  clusterIP: None
  ports: [{name: pg, port: 5432}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: db-manual
  labels: {kubernetes.io/service-name: db}
addressType: IPv4
endpoints:
- addresses: [10.200.0.1]
  hostname: db-0
  conditions: {ready: true}
- addresses: [10.200.0.2]
  hostname: db-1
  conditions: {ready: true}
ports: [{name: pg, port: 5432, protocol: TCP}]
---
apiVersion: v1
kind: Service
metadata: {name: ext}
spec:
  type: ExternalName
  externalName: outside.example
`;

async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

let nextId = 1;
async function queryUdp(port: number, name: string, type: number, host = '127.0.0.1'): Promise<DnsMessage> {
  const sock = createSocket('udp4');
  try {
    const q = encodeMessage({ id: nextId++, qr: false, opcode: 0, aa: false, tc: false, rd: true, ra: false, rcode: 0, questions: [{ name, type, class: 1 }], answers: [], authorities: [], additionals: [] });
    return await new Promise<DnsMessage>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer for ${name}`)), 5000);
      sock.on('message', (m) => {
        clearTimeout(timer);
        resolve(decodeMessage(m));
      });
      sock.send(q, port, host);
    });
  } finally {
    sock.close();
  }
}

async function queryTcp(port: number, name: string, type: number, host = '127.0.0.1'): Promise<DnsMessage> {
  const q = encodeMessage({ id: nextId++, qr: false, opcode: 0, aa: false, tc: false, rd: true, ra: false, rcode: 0, questions: [{ name, type, class: 1 }], answers: [], authorities: [], additionals: [] });
  const sock = connect({ host, port });
  try {
    const len = Buffer.alloc(2);
    len.writeUInt16BE(q.length);
    sock.write(Buffer.concat([len, q]));
    return await new Promise<DnsMessage>((resolve, reject) => {
      let buf = Buffer.alloc(0);
      sock.on('error', reject);
      sock.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) resolve(decodeMessage(buf.subarray(2, 2 + buf.readUInt16BE(0))));
      });
    });
  } finally {
    sock.destroy();
  }
}

const hasDig = spawnSync('sh', ['-c', 'command -v dig'], { encoding: 'utf8' }).stdout.trim() !== '';

/** Polls until `check` accepts the answer (the DNS caches follow the API asynchronously). */
async function eventually(port: number, name: string, type: number, check: (m: DnsMessage) => boolean, host = '127.0.0.1'): Promise<DnsMessage> {
  const deadline = Date.now() + 15_000;
  let last: DnsMessage | undefined;
  while (Date.now() < deadline) {
    last = await queryUdp(port, name, type, host);
    if (check(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`${name}: last answer ${JSON.stringify(last)}`);
}

describe('cluster DNS', () => {
  const dir = mkdtempSync(join(tmpdir(), 'capstan-e2e-dns-'));
  let server: ServerHandle;
  let upstream: Socket;
  let dnsPort: number;
  const octet = 100 + Math.floor(Math.random() * 150);
  const range = `127.98.${octet}.0/24`;
  const kubeDnsIP = `127.98.${octet}.10`;
  const upstreamSeen: string[] = [];

  before(async () => {
    // A fake upstream resolver: outside.example has an address, everything else is NXDOMAIN.
    upstream = createSocket('udp4');
    upstream.on('message', (msg, rinfo) => {
      const q = decodeMessage(msg);
      const name = q.questions[0].name;
      upstreamSeen.push(name);
      const known = name === 'outside.example' && q.questions[0].type === RRType.A;
      const reply = encodeMessage({ ...q, qr: true, ra: true, rcode: known ? Rcode.NOERROR : Rcode.NXDOMAIN, answers: known ? [{ name, type: RRType.A, class: 1, ttl: 60, data: '192.0.2.80' }] : [] });
      upstream.send(reply, rinfo.port, rinfo.address);
    });
    await new Promise<void>((r) => upstream.bind(0, '127.0.0.1', () => r()));
    const resolvConf = join(dir, 'resolv.conf');
    writeFileSync(resolvConf, `search example\nnameserver 127.0.0.1:${upstream.address().port}\n`);
    dnsPort = await freeUdpPort();
    // A loopback service range of its own, so that a root test server can bind its kube-dns ClusterIP.
    // With the node agent, whose service proxy carries the kube-dns ClusterIP to the server's DNS listener.
    server = await startServer({ agent: true, extraArgs: ['--cluster-dns-port', String(dnsPort), '--resolv-conf', resolvConf, '--service-cluster-ip-range', range] });
    kc(server, ['apply', '-f', '-'], { input: manifests });
  });
  after(async () => {
    await server?.stop();
    upstream?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the kube-dns Service takes the tenth address of the range, with upstream ports and labels', () => {
    const svc = JSON.parse(kc(server, ['get', 'svc', 'kube-dns', '-n', 'kube-system', '-o', 'json'])) as { metadata: { labels: Record<string, string> }; spec: { clusterIP: string; selector?: unknown; ports: { name: string; port: number; protocol: string }[] } };
    assert.equal(svc.spec.clusterIP, kubeDnsIP);
    assert.equal(svc.spec.selector, undefined);
    assert.deepEqual(svc.spec.ports.map((p) => `${p.name}/${p.port}/${p.protocol}`), ['dns/53/UDP', 'dns-tcp/53/TCP', 'metrics/9153/TCP']);
    assert.equal(svc.metadata.labels['k8s-app'], 'kube-dns');
    assert.equal(svc.metadata.labels['kubernetes.io/name'], 'CoreDNS');
  });

  test('a ClusterIP service resolves to its ClusterIP over UDP and TCP, and back by PTR', async () => {
    const ip = kc(server, ['get', 'svc', 'web', '-o', 'jsonpath={.spec.clusterIP}']);
    const a = await eventually(dnsPort, 'web.default.svc.cluster.local', RRType.A, (m) => m.answers.length > 0);
    assert.deepEqual(a.answers.map((r) => [r.data, r.ttl]), [[ip, 5]]);
    assert.ok(a.aa);
    const tcp = await queryTcp(dnsPort, 'WEB.default.svc.cluster.local', RRType.A);
    assert.deepEqual(tcp.answers.map((r) => r.data), [ip]);
    const ptr = await queryUdp(dnsPort, `${ip.split('.').reverse().join('.')}.in-addr.arpa`, RRType.PTR);
    assert.deepEqual(ptr.answers.map((r) => r.data), ['web.default.svc.cluster.local']);
    if (hasDig) {
      const out = spawnSync('dig', ['+short', '-p', String(dnsPort), '@127.0.0.1', 'web.default.svc.cluster.local'], { encoding: 'utf8' }).stdout.trim();
      assert.equal(out, ip);
    } else {
      process.stdout.write('# dig is not installed: queried with the built-in codec only\n');
    }
  });

  test('a headless service resolves to its ready endpoints, by name too, with SRV per endpoint', async () => {
    const a = await eventually(dnsPort, 'db.default.svc.cluster.local', RRType.A, (m) => m.answers.length === 2);
    assert.deepEqual(a.answers.map((r) => r.data).sort(), ['10.200.0.1', '10.200.0.2']);
    const host = await queryUdp(dnsPort, 'db-1.db.default.svc.cluster.local', RRType.A);
    assert.deepEqual(host.answers.map((r) => r.data), ['10.200.0.2']);
    const srv = await queryUdp(dnsPort, '_pg._tcp.db.default.svc.cluster.local', RRType.SRV);
    assert.deepEqual(srv.answers.map((r) => (r.data as { target: string; port: number }).target).sort(), ['db-0.db.default.svc.cluster.local', 'db-1.db.default.svc.cluster.local']);
    const ptr = await queryUdp(dnsPort, '1.0.200.10.in-addr.arpa', RRType.PTR);
    assert.deepEqual(ptr.answers.map((r) => r.data), ['db-0.db.default.svc.cluster.local']);
  });

  test('SRV for a named port of a ClusterIP service points at the service name', async () => {
    const srv = await eventually(dnsPort, '_http._tcp.web.default.svc.cluster.local', RRType.SRV, (m) => m.answers.length > 0);
    assert.deepEqual(srv.answers.map((r) => r.data), [{ priority: 0, weight: 100, port: 80, target: 'web.default.svc.cluster.local' }]);
  });

  test('an ExternalName service is a CNAME, its target resolved upstream', async () => {
    const m = await eventually(dnsPort, 'ext.default.svc.cluster.local', RRType.A, (x) => x.answers.length > 0);
    assert.deepEqual(m.answers.map((r) => [r.type, r.data]), [[RRType.CNAME, 'outside.example'], [RRType.A, '192.0.2.80']]);
  });

  test('an unknown service is NXDOMAIN with the zone SOA; the namespace name itself is NODATA', async () => {
    const nx = await queryUdp(dnsPort, 'nope.default.svc.cluster.local', RRType.A);
    assert.equal(nx.rcode, Rcode.NXDOMAIN);
    assert.equal(nx.authorities[0]?.type, RRType.SOA);
    const nodata = await queryUdp(dnsPort, 'default.svc.cluster.local', RRType.A);
    assert.equal(nodata.rcode, Rcode.NOERROR);
    assert.equal(nodata.answers.length, 0);
  });

  test("kube-dns's endpoints are the server's DNS listener and its metrics port", async () => {
    const eps = JSON.parse(kc(server, ['get', 'endpoints', 'kube-dns', '-n', 'kube-system', '-o', 'json'])) as { subsets: { addresses: { ip: string }[]; ports: { name: string; port: number; protocol: string }[] }[] };
    assert.deepEqual(eps.subsets[0].addresses.map((a) => a.ip), ['127.0.0.1']);
    const ports = Object.fromEntries(eps.subsets[0].ports.map((p) => [p.name, p]));
    assert.deepEqual([ports.dns.port, ports.dns.protocol, ports['dns-tcp'].port, ports['dns-tcp'].protocol], [dnsPort, 'UDP', dnsPort, 'TCP']);
    const text = await (await fetch(`http://127.0.0.1:${ports.metrics.port}/metrics`)).text();
    assert.match(text, /^coredns_dns_requests_total\{proto="udp",type="A",zone="cluster\.local\."\} \d+$/m);
  });

  test('as root, the kube-dns ClusterIP answers at port 53 through the service proxy', { skip: process.getuid?.() !== 0 && 'needs root to bind port 53' }, async () => {
    const a = await eventually(53, 'web.default.svc.cluster.local', RRType.A, (m) => m.answers.length > 0, kubeDnsIP);
    assert.equal(a.answers[0].data, kc(server, ['get', 'svc', 'web', '-o', 'jsonpath={.spec.clusterIP}']));
    const ns = await queryUdp(53, 'ns.dns.cluster.local', RRType.A, kubeDnsIP);
    assert.deepEqual(ns.answers.map((r) => r.data), [kubeDnsIP]);
    const tcp = await queryTcp(53, 'web.default.svc.cluster.local', RRType.A, kubeDnsIP);
    assert.equal(tcp.answers[0].data, a.answers[0].data);
  });

  test('other names are forwarded to the resolv.conf upstream, its answer relayed', async () => {
    const m = await queryUdp(dnsPort, 'outside.example', RRType.A);
    assert.deepEqual(m.answers.map((r) => r.data), ['192.0.2.80']);
    const nx = await queryTcp(dnsPort, 'missing.example', RRType.A).catch(() => undefined);
    // The fake upstream speaks UDP only: a TCP query fails over to SERVFAIL.
    assert.equal(nx?.rcode, Rcode.SERVFAIL);
    const udpNx = await queryUdp(dnsPort, 'missing.example', RRType.A);
    assert.equal(udpNx.rcode, Rcode.NXDOMAIN);
    assert.ok(upstreamSeen.includes('missing.example'));
  });
});
