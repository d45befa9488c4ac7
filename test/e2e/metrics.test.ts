/**
 * Resource metrics end to end (compiled dist/ only): `capstan server` with its agent runs a pod
 * that burns CPU and one that holds memory; the agent's /stats/summary, /metrics/resource and
 * /metrics show them (to the API server's client certificate only), and the built-in
 * metrics.k8s.io API serves them to the real `kubectl top pod`, `kubectl top node` and
 * `kubectl get --raw`; nodes/proxy reaches the agent's /pods, /configz and /metrics/cadvisor.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { e2eSkip, kc, kubectl } from './harness.js';
import { suiteServer } from './suite-server.js';
import { eventually } from '../support/eventually.js';

const skip = e2eSkip();

/** Millicores from a kubectl quantity (`998m`, `1`, `12345n`). */
function milli(q: string): number {
  const m = /^(\d+(?:\.\d+)?)([num]?)$/.exec(q);
  if (!m) throw new Error(`not a CPU quantity: ${q}`);
  return Number(m[1]) * { n: 1e-6, u: 1e-3, m: 1, '': 1000 }[m[2] as 'n' | 'u' | 'm' | ''];
}

/** MiB from a kubectl memory quantity (`80Mi`, `2660Ki`, `1Gi`). */
function mib(q: string): number {
  const m = /^(\d+)(Ki|Mi|Gi)?$/.exec(q);
  if (!m) throw new Error(`not a memory quantity: ${q}`);
  return Number(m[1]) * { Ki: 1 / 1024, Mi: 1, Gi: 1024, '': 1 / 2 ** 20 }[(m[2] ?? '') as 'Ki' | 'Mi' | 'Gi' | ''];
}

/** GET on the agent, with or without the API server's client certificate. */
function agentGet(port: number, path: string, cert?: { cert: string; key: string }): Promise<{ code: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, rejectUnauthorized: false, ...cert }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ code: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('resource metrics', { skip, timeout: 180_000 }, () => {
  const server = suiteServer({ agent: true, deleteAll: ['pods'] });

  test('kubectl top and the metrics API show a CPU burner and a memory holder', async () => {
    await eventually('a Ready node', () => (kubectl(server, ['get', 'node', 'capstan-e2e', '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}']).stdout === 'True' ? true : undefined), 60_000, 200);
    const pod = (name: string, command: string[]) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, labels: { app: name, suite: 'metrics' } },
      spec: { terminationGracePeriodSeconds: 0, containers: [{ name: name === 'burner' ? 'burn' : 'hold', image: 'busybox', command }] },
    });
    const holdScript = 'const b=Buffer.alloc(96*1024*1024,1);setInterval(()=>{b[0]++},1000)';
    kc(server, ['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [pod('burner', ['sh', '-c', 'while :; do :; done']), pod('holder', [process.execPath, '-e', holdScript])] }) });
    kc(server, ['wait', '--for=condition=Ready', 'pod/burner', 'pod/holder', '--timeout=60s']);

    // kubectl top pod: a header line, then NAME CPU MEMORY.
    const top = (args: string[]) => {
      const r = kubectl(server, ['top', 'pod', ...args, '--no-headers']);
      if (r.code !== 0) return undefined;
      const rows = r.stdout.trim().split('\n').filter(Boolean).map((l) => l.trim().split(/\s+/));
      return rows.length ? rows : undefined;
    };
    const burner = await eventually('kubectl top pod burner', () => {
      const rows = top(['burner']);
      return rows && milli(rows[0]![1]!) > 100 ? rows[0]! : undefined;
    }, 60_000, 1000);
    assert.equal(burner[0], 'burner');
    const holder = await eventually('kubectl top pod holder', () => {
      const rows = top(['holder']);
      return rows && mib(rows[0]![2]!) >= 96 ? rows[0]! : undefined;
    }, 60_000, 1000);
    assert.ok(mib(holder[2]!) < 1024, `holder memory ${holder[2]} is plausible`);

    // Selectors and --containers.
    const both = top(['-l', 'suite=metrics'])!;
    assert.deepEqual(both.map((r) => r[0]).sort(), ['burner', 'holder']);
    const containers = kc(server, ['top', 'pod', 'burner', '--containers', '--no-headers']).trim().split(/\s+/);
    assert.deepEqual(containers.slice(0, 2), ['burner', 'burn']);
    const all = kc(server, ['top', 'pod', '-A', '--no-headers']);
    assert.match(all, /^default\s+burner\s+\d+m/m);

    // kubectl top node: NAME CPU(cores) CPU(%) MEMORY(bytes) MEMORY(%).
    const node = await eventually('kubectl top node', () => {
      const r = kubectl(server, ['top', 'node', '--no-headers']);
      return r.code === 0 && r.stdout.trim() ? r.stdout.trim().split(/\s+/) : undefined;
    }, 30_000, 1000);
    assert.equal(node[0], 'capstan-e2e');
    assert.ok(milli(node[1]!) >= 100, `node CPU ${node[1]} includes the burner`);
    assert.match(node[2]!, /^\d+%$/);
    assert.ok(mib(node[3]!) > 96, `node memory ${node[3]}`);

    // The raw objects, as metrics-server shapes them.
    const pm = JSON.parse(kc(server, ['get', '--raw', '/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/burner']));
    assert.equal(pm.kind, 'PodMetrics');
    assert.equal(pm.apiVersion, 'metrics.k8s.io/v1beta1');
    assert.equal(pm.metadata.name, 'burner');
    assert.equal(pm.metadata.labels.app, 'burner');
    assert.match(pm.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.match(pm.window, /^\d+(\.\d+)?m?s$/);
    assert.equal(pm.containers[0].name, 'burn');
    assert.match(pm.containers[0].usage.cpu, /^\d+[num]?$/);
    assert.match(pm.containers[0].usage.memory, /^\d+(Ki|Mi)?$/);
    const nm = JSON.parse(kc(server, ['get', '--raw', '/apis/metrics.k8s.io/v1beta1/nodes/capstan-e2e']));
    assert.equal(nm.kind, 'NodeMetrics');
    const gone = kubectl(server, ['get', '--raw', '/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/nope']);
    assert.notEqual(gone.code, 0);
    assert.match(gone.stderr, /not found/);

    // Discovery advertises the group, in both forms.
    assert.match(kc(server, ['api-versions']), /^metrics\.k8s\.io\/v1beta1$/m);
    assert.match(kc(server, ['api-resources', '--api-group=metrics.k8s.io', '--no-headers']), /^pods\s+metrics\.k8s\.io\/v1beta1\s+true\s+PodMetrics$/m);
  });

  test("the agent's stats endpoints answer the API server's certificate only", async () => {
    const port = Number(kc(server, ['get', 'node', 'capstan-e2e', '-o', 'jsonpath={.status.daemonEndpoints.kubeletEndpoint.Port}']));
    const tls = join(server.dataDir, 'tls');
    const cert = { cert: readFileSync(join(tls, 'apiserver-kubelet-client.crt'), 'utf8'), key: readFileSync(join(tls, 'apiserver-kubelet-client.key'), 'utf8') };
    assert.equal((await agentGet(port, '/metrics/resource')).code, 401);

    const summary = JSON.parse((await agentGet(port, '/stats/summary', cert)).body);
    assert.equal(summary.node.nodeName, 'capstan-e2e');
    assert.ok(summary.node.cpu.usageCoreNanoSeconds > 0);
    const burner = summary.pods.find((p: { podRef: { name: string } }) => p.podRef.name === 'burner');
    assert.equal(burner.containers[0].name, 'burn');
    assert.ok(burner.containers[0].cpu.usageNanoCores > 100_000_000);

    const resource = await agentGet(port, '/metrics/resource', cert);
    assert.equal(resource.code, 200);
    assert.match(resource.body, /^# TYPE container_cpu_usage_seconds_total counter$/m);
    assert.match(resource.body, /^container_cpu_usage_seconds_total\{container="burn",namespace="default",pod="burner"\} \S+ \d{13}$/m);
    assert.match(resource.body, /^container_memory_working_set_bytes\{container="hold",namespace="default",pod="holder"\} \S+ \d{13}$/m);
    assert.match(resource.body, /^node_cpu_usage_seconds_total \S+ \d{13}$/m);
    assert.match(resource.body, /^resource_scrape_error 0$/m);

    assert.equal((await agentGet(port, '/pods')).code, 401);
    assert.equal((await agentGet(port, '/configz')).code, 401);
    assert.equal((await agentGet(port, '/metrics/cadvisor')).code, 401);

    const own = await agentGet(port, '/metrics', cert);
    assert.match(own.body, /^kubelet_running_pods 2$/m);
    assert.match(own.body, /^kubelet_running_containers\{container_state="running"\} 2$/m);
    assert.match(own.body, /^kubelet_node_name\{node="capstan-e2e"\} 1$/m);
  });

  test("nodes/proxy reaches the agent's /pods, /configz and /metrics/cadvisor", async () => {
    const base = '/api/v1/nodes/capstan-e2e/proxy';
    const list = JSON.parse(kc(server, ['get', '--raw', `${base}/pods`])) as { kind: string; apiVersion: string; items: { kind?: string; metadata: { name: string; namespace: string }; spec: { nodeName: string } }[] };
    assert.equal(list.kind, 'PodList');
    assert.equal(list.apiVersion, 'v1');
    assert.deepEqual(list.items.map((p) => `${p.metadata.namespace}/${p.metadata.name}`), ['default/burner', 'default/holder']);
    assert.ok(list.items.every((p) => p.spec.nodeName === 'capstan-e2e' && p.kind === undefined));

    const config = JSON.parse(kc(server, ['get', '--raw', `${base}/configz`])) as { kubeletconfig: Record<string, unknown> };
    const port = Number(kc(server, ['get', 'node', 'capstan-e2e', '-o', 'jsonpath={.status.daemonEndpoints.kubeletEndpoint.Port}']));
    const dnsIP = kc(server, ['get', 'svc', 'kube-dns', '-n', 'kube-system', '-o', 'jsonpath={.spec.clusterIP}']);
    assert.equal(config.kubeletconfig.port, port);
    assert.equal(config.kubeletconfig.clusterDomain, 'cluster.local');
    assert.deepEqual(config.kubeletconfig.clusterDNS, [dnsIP]);
    assert.equal(config.kubeletconfig.maxPods, 110);
    assert.equal(config.kubeletconfig.containerLogMaxSize, '10Mi');
    assert.equal(config.kubeletconfig.staticPodPath, undefined);

    const cadvisor = await eventually('the burner in /metrics/cadvisor', () => {
      const text = kc(server, ['get', '--raw', `${base}/metrics/cadvisor`]);
      return /^container_cpu_usage_seconds_total\{container="burn",cpu="total",id="",image="busybox",name="[0-9a-f]+",namespace="default",pod="burner"\} \S+ \d{13}$/m.test(text) ? text : undefined;
    });
    assert.match(cadvisor, /^# TYPE container_cpu_usage_seconds_total counter$/m);
    assert.match(cadvisor, /^container_cpu_usage_seconds_total\{container="",cpu="total",id="\/",image="",name="",namespace="",pod=""\} \S+ \d{13}$/m);
    assert.match(cadvisor, /^container_memory_working_set_bytes\{container="hold",id="",image="busybox",name="[0-9a-f]+",namespace="default",pod="holder"\} \S+ \d{13}$/m);
    assert.match(cadvisor, /^container_scrape_error 0$/m);
  });
});
