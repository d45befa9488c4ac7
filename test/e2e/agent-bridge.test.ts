/**
 * Bridge networking (DESIGN.md §2.7) end to end, where the machine allows it (root, the CNI
 * bridge, host-local and loopback plugins, iproute2; skipped otherwise): the node gets a pod CIDR
 * and reports the mode; two replicas of a Node.js HTTP server listening on the same port run side
 * by side on the one node, each with its own 10.42.x.y address shown by `kubectl get pods -o
 * wide`; both answer from the host and from each other; a readiness httpGet probe passes against
 * the pod IP; each pod has the kubelet's /etc/hosts (its FQDN with a subdomain, its hostAliases) and
 * a resolv.conf naming the cluster DNS, through which it resolves Service names (node's dns.lookup
 * and glibc's getent); port-forward reaches a pod; a restarted server keeps the pods and their addresses;
 * deleting the pods gives their namespaces and addresses
 * back. Once with each runtime; each run removes the bridge and everything else it made.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { bridgeSkip, kc, kubectlPath } from './harness.js';
import { suiteServer } from './suite-server.js';
import { eventually } from '../support/eventually.js';
import { httpGet } from '../support/http-request.js';
import { freePort } from '../support/free-port.js';

const skip = bridgeSkip();
const PORT = 8080;
// Answers with the pod's name; /ready is what the readiness probe asks for.
const SERVER_JS = `require('http').createServer((q, s) => s.end(q.url === '/ready' ? 'ok' : process.env.HOSTNAME)).listen(${PORT})`;

const haveRunc = spawnSync('sh', ['-c', 'command -v runc'], { encoding: 'utf8' }).stdout.trim() !== '';

for (const runtime of ['process', 'sandbox'] as const) describe(`bridge pod networking (${runtime} runtime)`, { skip: skip || (runtime === 'sandbox' && !haveRunc ? 'the sandbox runtime needs runc' : false), timeout: 180_000 }, () => {
  const children: ChildProcess[] = [];
  const json = (args: string[]) => JSON.parse(kc(server, [...args, '-o', 'json']));
  const ipamDir = () => join(server.dataDir, 'agent', 'cni', 'networks', 'capstan');
  const heldIPs = () => (existsSync(ipamDir()) ? readdirSync(ipamDir()).filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f)) : []);
  const podNetns = () => (existsSync('/run/netns') ? readdirSync('/run/netns').filter((n) => n.startsWith('capstan-')) : []);
  let netnsBefore: string[] = [];
  let ips: Record<string, string> = {};

  before(() => {
    netnsBefore = podNetns();
  });
  const server = suiteServer({
    agent: true,
    runtime,
    network: 'bridge',
    cleanUp: () => {
      for (const c of children) c.kill('SIGKILL');
    },
    deleteAll: ['deployment', 'pods'],
  });
  after(() => spawnSync('ip', ['link', 'delete', 'capstan0']));

  test('the node gets a pod CIDR and reports bridge mode', async () => {
    const node = await eventually('a pod CIDR', () => {
      const n = json(['get', 'node', 'capstan-e2e']);
      return n.spec?.podCIDR ? n : undefined;
    });
    assert.equal(node.spec.podCIDR, '10.42.0.0/24');
    assert.deepEqual(node.spec.podCIDRs, ['10.42.0.0/24']);
    assert.equal(node.metadata.labels['capstan.io/network-mode'], 'bridge');
    assert.match(kc(server, ['describe', 'node', 'capstan-e2e']), /capstan\.io\/network-mode=bridge[\s\S]*PodCIDR:\s+10\.42\.0\.0\/24/);
  });

  test('two replicas on one port run side by side, each with its own address', async () => {
    kc(server, ['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web' },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: 'web' } },
          template: {
            metadata: { labels: { app: 'web' } },
            spec: {
              terminationGracePeriodSeconds: 1,
              containers: [
                {
                  name: 'web',
                  image: 'node',
                  command: [process.execPath, '-e', SERVER_JS],
                  ports: [{ containerPort: PORT }],
                  readinessProbe: { httpGet: { path: '/ready', port: PORT }, periodSeconds: 1 },
                },
              ],
            },
          },
        },
      }),
    });
    const pods = await eventually(
      'two ready replicas',
      () => {
        const items = json(['get', 'pods', '-l', 'app=web']).items as { metadata: { name: string }; status: { podIP?: string; conditions?: { type: string; status: string }[] } }[];
        const ready = items.filter((p) => p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
        return ready.length === 2 ? ready : undefined;
      },
      60_000,
    );
    ips = Object.fromEntries(pods.map((p) => [p.metadata.name, p.status.podIP!]));
    const [a, b] = Object.values(ips);
    assert.match(a!, /^10\.42\.0\.\d+$/);
    assert.match(b!, /^10\.42\.0\.\d+$/);
    assert.notEqual(a, b);
    const wide = kc(server, ['get', 'pods', '-l', 'app=web', '-o', 'wide']);
    for (const [name, ip] of Object.entries(ips)) assert.match(wide, new RegExp(`^${name}\\s+1/1\\s+Running\\s+0\\s+\\S+\\s+${ip.replace(/\./g, '\\.')}\\s+capstan-e2e`, 'm'));
    // Both answer on the same port, each on its own address, from the host.
    for (const [name, ip] of Object.entries(ips)) assert.equal(await httpGet(ip, PORT), name);
  });

  test('one pod reaches the other by IP, and exec runs in the pod network', () => {
    const [[nameA], [nameB, ipB]] = Object.entries(ips);
    const fetchScript = (ip: string) => `require('http').get('http://${ip}:${PORT}/', (r) => r.pipe(process.stdout))`;
    assert.equal(kc(server, ['exec', nameA!, '--', process.execPath, '-e', fetchScript(ipB!)]), nameB);
    // The pod's own loopback is its own: 127.0.0.1 inside pod A is pod A.
    assert.equal(kc(server, ['exec', nameA!, '--', process.execPath, '-e', fetchScript('127.0.0.1')]), nameA);
    // Each pod has its own /etc/hosts, the kubelet's managed file ending with the pod's address and name.
    const hosts = kc(server, ['exec', nameB!, '--', 'cat', '/etc/hosts']);
    assert.match(hosts, /^# Kubernetes-managed hosts file\.\n127\.0\.0\.1\tlocalhost\n/);
    assert.match(hosts, new RegExp(`\\n${ipB!.replace(/\./g, '\\.')}\\t${nameB}\\n$`));
  });

  test('a Service spreads over both replicas by ClusterIP from the host and from a pod; pods resolve it by name', async () => {
    kc(server, ['expose', 'deployment', 'web', '--port', '80', '--target-port', String(PORT)]);
    const clusterIP = kc(server, ['get', 'svc', 'web', '-o', 'jsonpath={.spec.clusterIP}']);
    assert.match(clusterIP, /^10\.43\.\d+\.\d+$/);
    const names = new Set(Object.keys(ips));
    const seen = new Set<string>();
    await eventually('both replicas through the ClusterIP', async () => {
      seen.add(await httpGet(clusterIP, 80).catch((e: Error) => `error ${e.message}`));
      return [...names].every((n) => seen.has(n)) ? true : undefined;
    }).catch((e: Error) => {
      throw new Error(`${e.message}: saw ${[...seen].join(', ')}`);
    });
    const [nameA] = Object.keys(ips);
    const viaService = kc(server, ['exec', nameA!, '--', process.execPath, '-e', `require('http').get('http://${clusterIP}/', (r) => r.pipe(process.stdout))`]);
    assert.ok(names.has(viaService), viaService);
    const dnsIP = kc(server, ['get', 'svc', 'kube-dns', '-n', 'kube-system', '-o', 'jsonpath={.spec.clusterIP}']);
    const resolv = kc(server, ['exec', nameA!, '--', 'cat', '/etc/resolv.conf']);
    assert.match(resolv, new RegExp(`^search default\\.svc\\.cluster\\.local svc\\.cluster\\.local cluster\\.local`, 'm'));
    assert.match(resolv, new RegExp(`^nameserver ${dnsIP.replace(/\./g, '\\.')}$`, 'm'));
    assert.match(resolv, /^options ndots:5$/m);
    const lookup = (host: string) => kc(server, ['exec', nameA!, '--', process.execPath, '-e', `require('dns').lookup('${host}', (e, a) => process.stdout.write(e ? e.code : a))`]);
    assert.equal(await eventually('the service name resolved in the pod', () => (lookup('web.default.svc.cluster.local') === clusterIP ? true : undefined)), true);
    assert.equal(lookup('web'), clusterIP);
    // glibc's resolver too, through the pod's resolv.conf: the kubernetes Service's name.
    const apiIP = kc(server, ['get', 'svc', 'kubernetes', '-o', 'jsonpath={.spec.clusterIP}']);
    assert.equal(kc(server, ['exec', nameA!, '--', 'getent', 'hosts', 'kubernetes.default.svc.cluster.local']).trim().split(/\s+/)[0], apiIP);
    const byName = kc(server, ['exec', nameA!, '--', process.execPath, '-e', `require('http').get('http://web/', (r) => r.pipe(process.stdout))`]);
    assert.ok(names.has(byName), byName);
  });

  test("a pod with a hostname, a subdomain and hostAliases gets the kubelet's hosts file", async () => {
    kc(server, ['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'named' },
        spec: {
          terminationGracePeriodSeconds: 1,
          hostname: 'db-0',
          subdomain: 'db',
          hostAliases: [
            { ip: '127.0.0.1', hostnames: ['foo.local', 'bar.local'] },
            { ip: '10.1.2.3', hostnames: ['foo.remote'] },
          ],
          containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'] }],
        },
      }),
    });
    kc(server, ['wait', '--for=condition=Ready', 'pod/named', '--timeout=60s']);
    const ip = kc(server, ['get', 'pod', 'named', '-o', 'jsonpath={.status.podIP}']);
    const expected = [
      '# Kubernetes-managed hosts file.',
      '127.0.0.1\tlocalhost',
      '::1\tlocalhost ip6-localhost ip6-loopback',
      'fe00::0\tip6-localnet',
      'fe00::0\tip6-mcastprefix',
      'fe00::1\tip6-allnodes',
      'fe00::2\tip6-allrouters',
      `${ip}\tdb-0.db.default.svc.cluster.local\tdb-0`,
      '',
      '# Entries added by HostAliases.',
      '127.0.0.1\tfoo.local\tbar.local',
      '10.1.2.3\tfoo.remote',
      '',
    ].join('\n');
    assert.equal(kc(server, ['exec', 'named', '--', 'cat', '/etc/hosts']), expected);
    assert.equal(kc(server, ['exec', 'named', '--', 'getent', 'ahostsv4', 'foo.remote']).trim().split(/\s+/)[0], '10.1.2.3');
    kc(server, ['delete', 'pod', 'named', '--wait=true']);
  });

  test('a hostPort of a bridge pod is forwarded from the node to the pod', async () => {
    const hostPort = 20000 + Math.floor(Math.random() * 10000);
    kc(server, ['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'hostport' },
        spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'web', image: 'node', command: [process.execPath, '-e', SERVER_JS], ports: [{ containerPort: PORT, hostPort, hostIP: '127.0.0.1' }] }] },
      }),
    });
    assert.equal(await eventually('the hostPort answering', async () => ((await httpGet('127.0.0.1', hostPort).catch(() => '')) === 'hostport' ? 'hostport' : undefined), 60_000), 'hostport');
    kc(server, ['delete', 'pod', 'hostport', '--wait=true']);
    await eventually('the hostPort closed', async () => ((await httpGet('127.0.0.1', hostPort).then(() => 'open', () => 'closed')) === 'closed' ? true : undefined));
  });

  test('port-forward reaches the pod on its address', async () => {
    const [name] = Object.keys(ips);
    const local = await freePort();
    const child = spawn(kubectlPath()!, ['--kubeconfig', server.kubeconfig, 'port-forward', `pod/${name}`, `${local}:${PORT}`], { env: { ...process.env, HOME: server.dataDir } });
    children.push(child);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    await eventually('port-forward listening', () => (out.includes('Forwarding from 127.0.0.1') ? true : undefined));
    assert.equal(await httpGet('127.0.0.1', local), name);
    child.kill();
    // port-forward svc/<name>: kubectl picks a pod of the Service and maps the Service port to its target.
    const local2 = await freePort();
    const svc = spawn(kubectlPath()!, ['--kubeconfig', server.kubeconfig, 'port-forward', 'svc/web', `${local2}:80`], { env: { ...process.env, HOME: server.dataDir } });
    children.push(svc);
    let out2 = '';
    svc.stdout!.on('data', (d: Buffer) => (out2 += d.toString()));
    await eventually('port-forward svc listening', () => (out2.includes('Forwarding from 127.0.0.1') ? true : undefined));
    assert.ok(Object.keys(ips).includes(await httpGet('127.0.0.1', local2)));
    svc.kill();
  });

  test('a restarted server keeps the pods, their addresses and their namespaces', async () => {
    await server.restart();
    await eventually('the pods seen again, ready, at the same addresses', () => {
      const items = json(['get', 'pods', '-l', 'app=web']).items as { metadata: { name: string }; status: { podIP?: string; containerStatuses?: { ready: boolean; restartCount: number }[] } }[];
      const same = items.filter((p) => ips[p.metadata.name] === p.status.podIP && p.status.containerStatuses?.[0]?.ready && p.status.containerStatuses[0].restartCount === 0);
      return same.length === 2 ? true : undefined;
    });
    for (const [name, ip] of Object.entries(ips)) assert.equal(await httpGet(ip, PORT), name);
  });

  test('deleting the pods gives their namespaces and addresses back', async () => {
    assert.equal(heldIPs().length, 2);
    assert.equal(podNetns().filter((n) => !netnsBefore.includes(n)).length, 2);
    kc(server, ['delete', 'deployment', 'web', '--wait=true']);
    await eventually('the pods gone', () => ((json(['get', 'pods', '-l', 'app=web']).items as unknown[]).length === 0 ? true : undefined), 60_000);
    await eventually('addresses released', () => (heldIPs().length === 0 ? true : undefined));
    await eventually('namespaces deleted', () => (podNetns().filter((n) => !netnsBefore.includes(n)).length === 0 ? true : undefined));
    // The pods' addresses answer no more.
    for (const ip of Object.values(ips)) await assert.rejects(httpGet(ip, PORT));
    execFileSync('ip', ['link', 'show', 'capstan0']);
  });
});
