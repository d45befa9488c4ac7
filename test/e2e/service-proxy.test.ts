/**
 * The service proxy end to end: a `capstan server` with its agent, plus three standalone agents
 * whose nodes have addresses of their own in 127/8 (pods of a host-network-mode node take the
 * node's address, so one node can hold only one replica listening on a given port). A Deployment
 * of three replicas of a small Node.js HTTP server, gated by a readiness probe, is reached through
 * its ClusterIP (served by the server's agent), a NodePort and a LoadBalancer port on 127.0.0.1;
 * a rolling restart under a steady stream of requests without keep-alive loses none.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { capstanBin, kc, killContainers, kubectl, kubectlPath, startServer, type ServerHandle } from './harness.js';
import { eventually } from '../support/eventually.js';

const skip = existsSync(capstanBin) && existsSync(new URL('../../src/cli/main.js', import.meta.url)) ? (kubectlPath() ? false : 'needs kubectl') : 'needs the compiled server (npm run build)';

/** A second octet of our own, so concurrent test servers never share addresses or ports. */
const net2 = 20 + Math.floor(Math.random() * 231);
const nodeIPs = [2, 3, 4].map((d) => `127.${net2}.255.${d}`);
const nodePortBase = 30000 + Math.floor(Math.random() * 270) * 10;
const lbPort = 20000 + Math.floor(Math.random() * 10000);
const podPort = 18080;

/** The replica: answers its pod name, `/ready` while not shutting down; keeps serving 2 s after SIGTERM. */
const appScript = `
const http = require('node:http');
let ready = false;
const srv = http.createServer((req, res) => {
  if (req.url === '/ready') { res.statusCode = ready ? 200 : 503; res.end(); return; }
  res.setHeader('Connection', 'close');
  res.end(process.env.POD_NAME);
});
srv.listen(Number(process.env.PORT), process.env.POD_IP, () => { ready = true; });
process.on('SIGTERM', () => { ready = false; setTimeout(() => process.exit(0), 2000); });
`;

const manifests = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 0, maxUnavailable: 1}}
  template:
    metadata: {labels: {app: web}}
    spec:
      nodeSelector: {proxy-e2e: pool}
      terminationGracePeriodSeconds: 10
      containers:
      - name: web
        image: none
        command: [${JSON.stringify(process.execPath)}, -e, ${JSON.stringify(appScript)}]
        env:
        - {name: PORT, value: "${podPort}"}
        - {name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
        - {name: POD_IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}
        ports: [{name: http, containerPort: ${podPort}}]
        readinessProbe: {httpGet: {path: /ready, port: http}, periodSeconds: 1}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 8080, targetPort: http}]
---
apiVersion: v1
kind: Service
metadata: {name: web-np}
spec:
  type: NodePort
  selector: {app: web}
  ports: [{name: http, port: 8080, targetPort: http}]
---
apiVersion: v1
kind: Service
metadata: {name: web-lb}
spec:
  type: LoadBalancer
  selector: {app: web}
  ports: [{name: http, port: ${lbPort}, targetPort: http}]
`;

/** One HTTP GET without keep-alive; resolves with the body of a 200. */
function get(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host, port, path: '/', agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`status ${res.statusCode}`))));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

describe('service proxy', { skip, timeout: 240_000 }, () => {
  let server: ServerHandle;
  const agents: { proc: ChildProcess; dir: string }[] = [];

  /** kubectl without blocking the event loop (the request stream keeps going meanwhile). */
  const kcAsync = (args: string[]) =>
    new Promise<string>((resolve, reject) =>
      execFile(kubectlPath()!, ['--kubeconfig', server.kubeconfig, ...args], { env: { ...process.env, HOME: server.dataDir, KUBECTL_KUBERC: 'false' }, timeout: 180_000 }, (err, stdout, stderr) =>
        err ? reject(new Error(`kubectl ${args.join(' ')}: ${stderr}`)) : resolve(stdout),
      ),
    );

  before(async () => {
    server = await startServer({
      agent: true,
      extraArgs: ['--service-cluster-ip-range', `127.${net2}.0.0/17`, '--service-node-port-range', `${nodePortBase}-${nodePortBase + 9}`],
    });
    for (const [i, ip] of nodeIPs.entries()) {
      const dir = mkdtempSync(join(tmpdir(), 'capstan-e2e-proxy-agent-'));
      const proc = spawn(
        process.execPath,
        [capstanBin, 'agent', '--kubeconfig', server.kubeconfig, '--data-dir', join(dir, 'agent'), '--bind-address', ip, '--port', '0', '--node-name', `pool-${i}`, '--node-ip', ip, '--node-labels', 'proxy-e2e=pool', '--container-runtime', 'process', '--network', 'host', '--disable-service-proxy', '--log-level', 'warn'],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let out = '';
      proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
      agents.push({ proc, dir });
      await eventually(`agent ${ip} to be ready:\n${out}`, () => (out.includes('agent is ready') ? true : proc.exitCode !== null ? Promise.reject(new Error(out)) : undefined));
    }
    kc(server, ['apply', '-f', '-'], { input: manifests });
  });

  after(async () => {
    if (server) kubectl(server, ['delete', 'deployment', 'web', '--wait=false']);
    for (const a of agents) {
      a.proc.kill('SIGTERM');
      if (a.proc.exitCode === null) await new Promise((r) => a.proc.once('exit', r));
      killContainers(a.dir);
      rmSync(a.dir, { recursive: true, force: true });
    }
    await server?.stop();
  });

  const clusterIP = () => kc(server, ['get', 'svc', 'web', '-o', 'jsonpath={.spec.clusterIP}']).trim();

  test('requests to the ClusterIP are spread over the ready replicas', async () => {
    kc(server, ['rollout', 'status', 'deployment/web', '--timeout=120s']);
    const ip = clusterIP();
    assert.match(ip, new RegExp(`^127\\.${net2}\\.`));
    const pods = kc(server, ['get', 'pods', '-l', 'app=web', '-o', 'jsonpath={.items[*].metadata.name}']).trim().split(/\s+/).sort();
    assert.equal(pods.length, 3);
    // The slice may lag the rollout status by a moment: wait until every replica has answered.
    const seen = new Set<string>();
    await eventually('every replica to answer through the ClusterIP', async () => {
      seen.add(await get(ip, 8080));
      return seen.size === 3 ? true : undefined;
    }, 30_000, 20);
    assert.deepEqual([...seen].sort(), pods);
    const counts = new Map<string, number>();
    for (let i = 0; i < 30; i++) {
      const who = await get(ip, 8080);
      counts.set(who, (counts.get(who) ?? 0) + 1);
    }
    assert.deepEqual([...counts.values()], [10, 10, 10], 'round-robin over three endpoints');
  });

  test('a NodePort and a LoadBalancer Service answer on 127.0.0.1, and the load balancer publishes the node addresses', async () => {
    const nodePort = Number(kc(server, ['get', 'svc', 'web-np', '-o', 'jsonpath={.spec.ports[0].nodePort}']));
    assert.ok(nodePort >= nodePortBase && nodePort <= nodePortBase + 9);
    assert.match(await eventually('the NodePort to answer', () => get('127.0.0.1', nodePort).catch(() => undefined)), /^web-/);
    assert.match(await eventually('the LoadBalancer port to answer', () => get('127.0.0.1', lbPort).catch(() => undefined)), /^web-/);
    const external = await eventually('EXTERNAL-IP', () => {
      const row = kc(server, ['get', 'svc', 'web-lb', '--no-headers']).trim().split(/\s+/);
      return row[3] && row[3] !== '<pending>' ? row[3] : undefined;
    });
    assert.deepEqual(external.split(',').sort(), ['127.0.0.1', ...nodeIPs].sort());
    const ingress = JSON.parse(kc(server, ['get', 'svc', 'web-lb', '-o', 'jsonpath={.status.loadBalancer.ingress}'])) as { ip: string; ipMode: string }[];
    assert.ok(ingress.every((i) => i.ipMode === 'VIP'));
  });

  test('a rolling restart under a steady request stream loses no request', async () => {
    const ip = clusterIP();
    const before = new Set(kc(server, ['get', 'pods', '-l', 'app=web', '-o', 'jsonpath={.items[*].metadata.name}']).trim().split(/\s+/));
    const failures: string[] = [];
    const answeredBy = new Map<string, number>();
    const inflight = new Set<Promise<void>>();
    const timer = setInterval(() => {
      const p = get(ip, 8080)
        .then((who) => void answeredBy.set(who, (answeredBy.get(who) ?? 0) + 1))
        .catch((e: Error) => void failures.push(e.message))
        .finally(() => inflight.delete(p));
      inflight.add(p);
    }, 50);
    try {
      await kcAsync(['rollout', 'restart', 'deployment/web']);
      await kcAsync(['rollout', 'status', 'deployment/web', '--timeout=150s']);
      // Keep the stream going while the last old replica drains and leaves the slices.
      await new Promise((r) => setTimeout(r, 3000));
    } finally {
      clearInterval(timer);
      await Promise.all([...inflight]);
    }
    const total = [...answeredBy.values()].reduce((a, b) => a + b, 0) + failures.length;
    assert.deepEqual(failures, [], `${failures.length} of ${total} requests failed`);
    assert.ok(total > 100, `only ${total} requests were sent`);
    const newPods = [...answeredBy.keys()].filter((p) => !before.has(p));
    assert.ok(newPods.length >= 3, `new replicas answered: ${newPods.join(', ')}`);
  });
});
