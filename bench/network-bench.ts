/**
 * Networking benchmark (issue 6): one backend, six ways to reach it, one load generator.
 *
 * 1. Data plane. A `capstan server` with its agent (process runtime, host network) runs one
 *    backend pod: a minimal Node.js HTTP server answering a fixed 2-byte body. A ClusterIP
 *    Service selects it; an Ingress (class capstan) and a Gateway listener with an HTTPRoute route
 *    to that Service; and an `nginx` of our own (one worker process, keep-alive to the upstream)
 *    reverse-proxies to the pod. `wrk` (same threads, connections and duration for every target,
 *    keep-alive as wrk always does) measures requests/s and p50/p99 latency directly to the pod,
 *    through the service proxy (ClusterIP:port), the Ingress proxy, the Gateway proxy and nginx.
 *    A one-line node:http reverse proxy without routing (`node-proxy`, a host process) shows what
 *    any proxy built on node:http costs. Goals: the service proxy adds ≤ 10 % to the direct p99;
 *    the Ingress/Gateway proxy reaches ≥ 0.5× nginx's requests/s with p99 ≤ 2× nginx's.
 * 2. Reprogramming at scale. `--services` (1,000) selector-less Services, each with an EndpointSlice
 *    the benchmark writes, all pointing at backend "a"; then one Service's EndpointSlice is rewritten
 *    `--changes` (60) times, alternating between backends "a" and "b". Each change is timed from just
 *    before the write until a new connection to the ClusterIP reaches the new backend (probed back
 *    to back). Goal p99 ≤ 100 ms.
 *
 * Needs `wrk` and `nginx` on the PATH (Debian packages of those names); nginx runs in the
 * foreground with a config in a temporary directory, listening on 127.0.0.1 only.
 *
 * Run: `node dist/bench/network-bench.js [--threads 2] [--connections 32] [--seconds 10]
 *   [--warmup 2] [--rounds 1] [--targets direct,service,ingress,gateway,node-proxy,nginx] [--services 1000]
 *   [--changes 60]` (`--services 0` skips part 2). `CAPSTAN_BENCH_NODE_ARGS` profiles the server.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Service } from 'kubernetes-types/core/v1.js';
import { Connection } from './lib/client.js';
import { machineBusyMs } from './lib/cpu.js';
import { cpuOf, freePort, get, startNginx, until, withDescendants, wrk, type WrkResult } from './lib/http-load.js';
import { isMain } from './lib/main.js';
import { measureReprogramming } from './lib/reprogramming.js';
import { newDataDir, startServer, stopAll, stopProcess, type BenchServer } from './lib/server.js';
import { fmt, passFail, printMachine, printTable } from './lib/stats.js';

export interface Options {
  threads: number;
  connections: number;
  seconds: number;
  warmup: number;
  rounds: number;
  targets: string[];
  services: number;
  changes: number;
}

const NS = 'netbench';

// The backend, as a pod and as the two host processes of the reprogramming part.
const backendScript = `const s=require('http').createServer((q,r)=>r.end(process.env.NAME||'ok'));s.keepAliveTimeout=60000;s.listen(Number(process.env.PORT||0),'127.0.0.1',()=>process.stdout.write(s.address().port+'\\n'))`;

// The smallest node:http reverse proxy (no routing): the floor for a proxy built on node:http.
const nodeProxyScript = `const h=require('http');const a=new h.Agent({keepAlive:true,maxFreeSockets:64});const s=h.createServer((q,r)=>{const u=h.request({host:process.env.UP_HOST,port:Number(process.env.UP_PORT),method:q.method,path:q.url,headers:q.headers,agent:a},(ur)=>{r.writeHead(ur.statusCode,ur.headers);ur.pipe(r)});u.on('error',()=>r.destroy());q.pipe(u)});s.keepAliveTimeout=75000;s.listen(0,'127.0.0.1',()=>process.stdout.write(s.address().port+'\\n'))`;

/** Starts a host process running `script` that prints its port; resolves with that port. */
async function hostProcess(script: string, env: Record<string, string>): Promise<{ proc: ChildProcess; port: number }> {
  const proc = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  while (!out.includes('\n')) {
    await Promise.race([once(proc.stdout!, 'data'), once(proc, 'exit')]);
    if (proc.exitCode !== null) throw new Error('host process exited');
  }
  return { proc, port: Number(out.split('\n')[0]) };
}

/** The processes of every container the server's agent started. */
function containerPids(dataDir: string): number[] {
  const root = join(dataDir, 'agent', 'runtime', 'containers');
  const pids: number[] = [];
  for (const id of existsSync(root) ? readdirSync(root) : []) {
    try {
      const rec = JSON.parse(readFileSync(join(root, id, 'container.json'), 'utf8')) as { process?: { pid?: number } };
      if (rec.process?.pid) pids.push(...withDescendants(rec.process.pid));
    } catch {
      // not started or gone
    }
  }
  return pids;
}

// ---------------------------------------------------------------------------------------------
// Cluster objects

function manifests(podPort: number, gatewayPort: number): { path: string; body: unknown }[] {
  const core = `/api/v1/namespaces/${NS}`;
  const gw = `/apis/gateway.networking.k8s.io/v1/namespaces/${NS}`;
  return [
    { path: '/api/v1/namespaces', body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } } },
    {
      path: `${core}/pods`,
      body: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'web', labels: { app: 'web' } },
        spec: {
          terminationGracePeriodSeconds: 1,
          containers: [
            {
              name: 'web',
              image: 'node',
              command: [process.execPath, '-e', backendScript],
              env: [{ name: 'PORT', value: String(podPort) }],
              ports: [{ name: 'http', containerPort: podPort }],
              readinessProbe: { httpGet: { path: '/', port: podPort }, periodSeconds: 1 },
            },
          ],
        },
      },
    },
    { path: `${core}/services`, body: { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] } } },
    {
      path: `/apis/networking.k8s.io/v1/namespaces/${NS}/ingresses`,
      body: {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        metadata: { name: 'web' },
        spec: { ingressClassName: 'capstan', rules: [{ http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }] },
      },
    },
    { path: `${gw}/gateways`, body: { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name: 'web' }, spec: { gatewayClassName: 'capstan', listeners: [{ name: 'http', protocol: 'HTTP', port: gatewayPort }] } } },
    {
      path: `${gw}/httproutes`,
      body: {
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'HTTPRoute',
        metadata: { name: 'web' },
        spec: { parentRefs: [{ name: 'web' }], rules: [{ matches: [{ path: { type: 'PathPrefix', value: '/' } }], backendRefs: [{ name: 'web', port: 80 }] }] },
      },
    },
  ];
}

/** Kills the process group of every container the server's agent started (a safety net). */
export function killContainers(dataDir: string): void {
  const root = join(dataDir, 'agent', 'runtime', 'containers');
  if (!existsSync(root)) return;
  for (const id of readdirSync(root)) {
    try {
      const rec = JSON.parse(readFileSync(join(root, id, 'container.json'), 'utf8')) as { process?: { pid?: number } };
      if (rec.process?.pid) process.kill(-rec.process.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

// ---------------------------------------------------------------------------------------------
// 1. Data plane

interface Target {
  key: string;
  name: string;
  url: string;
  pids: () => number[];
}

async function dataPlane(server: BenchServer, conn: Connection, o: Options, ingressPort: number): Promise<void> {
  const [podPort, gatewayPort] = [await freePort(), await freePort()];
  for (const m of manifests(podPort, gatewayPort)) await conn.json('POST', m.path, m.body);
  type PodLike = { status?: { podIP?: string; conditions?: { type: string; status: string }[] } };
  let podIP = '';
  await until('the backend pod Ready', async () => {
    const p = await conn.json<PodLike>('GET', `/api/v1/namespaces/${NS}/pods/web`);
    podIP = p.status?.podIP ?? '';
    return p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
  });
  const svc = await conn.json<Service>('GET', `/api/v1/namespaces/${NS}/services/web`);
  const clusterIP = svc.spec!.clusterIP!;
  const nginx = await startNginx(podIP, podPort);
  const nodeProxy = await hostProcess(nodeProxyScript, { UP_HOST: podIP, UP_PORT: String(podPort) });
  try {
    const all: Target[] = [
      { key: 'direct', name: 'direct to the pod', url: `http://${podIP}:${podPort}/`, pids: () => [] },
      { key: 'service', name: 'service proxy (ClusterIP)', url: `http://${clusterIP}:80/`, pids: () => [server.pid] },
      { key: 'ingress', name: 'Ingress proxy', url: `http://127.0.0.1:${ingressPort}/`, pids: () => [server.pid] },
      { key: 'gateway', name: 'Gateway proxy', url: `http://127.0.0.1:${gatewayPort}/`, pids: () => [server.pid] },
      { key: 'node-proxy', name: 'minimal node:http proxy', url: `http://127.0.0.1:${nodeProxy.port}/`, pids: () => [nodeProxy.proc.pid!] },
      { key: 'nginx', name: 'nginx reverse proxy', url: `http://127.0.0.1:${nginx.port}/`, pids: () => withDescendants(nginx.proc.pid!) },
    ];
    const targets = all.filter((t) => o.targets.includes(t.key));
    for (const t of targets) {
      const u = new URL(t.url);
      await until(`${t.name} answering`, async () => (await get(u.hostname, Number(u.port))).status === 200);
    }
    process.stdout.write(
      `\n## Data plane: wrk -t${o.threads} -c${o.connections} -d${o.seconds}s --latency (keep-alive), ${o.warmup} s warm-up per target; backend pod ${podIP}:${podPort}, ClusterIP ${clusterIP}:80\n`,
    );
    const rows: string[][] = [];
    const ratios: string[][] = [];
    for (let round = 1; round <= o.rounds; round++) {
      const res: Record<string, WrkResult> = {};
      for (const t of targets) {
        if (o.warmup > 0) await wrk(t.url, o, o.warmup);
        const load = loadavg()[0]!.toFixed(2);
        const pids = t.pids();
        const backendPids = containerPids(server.dataDir);
        const c0 = cpuOf(pids);
        const b0 = cpuOf(backendPids);
        const m0 = machineBusyMs();
        const t0 = performance.now();
        const r = await wrk(t.url, o, o.seconds);
        const wall = performance.now() - t0;
        const proxyMs = cpuOf(pids) - c0;
        const proxyPct = pids.length ? `${Math.round((proxyMs / wall) * 100)}%` : '-';
        const perReq = pids.length ? ((proxyMs * 1000) / r.requests).toFixed(0) : '-';
        const backendPct = `${Math.round(((cpuOf(backendPids) - b0) / wall) * 100)}%`;
        const machinePct = `${Math.round(((machineBusyMs() - m0) / wall) * 100)}%`;
        res[t.key] = r;
        rows.push([String(round), t.name, r.rps.toFixed(0), fmt(r.p50, 2), fmt(r.p99, 2), String(r.errors), proxyPct, perReq, backendPct, machinePct, load]);
      }
      const { direct, service, nginx: nginxR } = res;
      if (direct && service) {
        const addedPct = (service.p99 / direct.p99 - 1) * 100;
        ratios.push([String(round), 'service proxy p99 vs direct p99', `${addedPct >= 0 ? '+' : ''}${addedPct.toFixed(0)} %`, '≤ +10 %', passFail(addedPct <= 10)]);
      }
      for (const t of targets.filter((x) => x.key === 'ingress' || x.key === 'gateway')) {
        const r = res[t.key]!;
        if (!nginxR) continue;
        const tput = r.rps / nginxR.rps;
        const lat = r.p99 / nginxR.p99;
        ratios.push([String(round), `${t.name} req/s ÷ nginx req/s`, `${tput.toFixed(2)}×`, '≥ 0.5×', passFail(tput >= 0.5)]);
        ratios.push([String(round), `${t.name} p99 ÷ nginx p99`, `${lat.toFixed(2)}×`, '≤ 2×', passFail(lat <= 2)]);
      }
    }
    printTable(['round', 'target', 'requests/s', 'p50 ms', 'p99 ms', 'errors', 'CPU proxy process', 'proxy CPU µs/request', 'CPU backend pod', 'CPU machine', 'load avg (1 min)'], rows);
    process.stdout.write('\n');
    if (ratios.length) printTable(['round', 'ratio', 'result', 'goal', 'pass/fail'], ratios);
  } finally {
    await stopProcess(nodeProxy.proc);
    await nginx.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// 2. Reprogramming with many Services

async function reprogramming(server: BenchServer, o: Options): Promise<void> {
  const backends = await Promise.all(['a', 'b'].map((n) => hostProcess(backendScript, { NAME: n })));
  try {
    await measureReprogramming(server, { namespace: NS, services: o.services, changes: o.changes, backends: [{ ip: '127.0.0.1', port: backends[0]!.port, body: 'a' }, { ip: '127.0.0.1', port: backends[1]!.port, body: 'b' }] });
  } finally {
    for (const b of backends) await stopProcess(b.proc);
  }
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const { values: a } = parseArgs({
    options: {
      threads: { type: 'string', default: '2' },
      connections: { type: 'string', default: '32' },
      seconds: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '2' },
      rounds: { type: 'string', default: '1' },
      targets: { type: 'string', default: 'direct,service,ingress,gateway,node-proxy,nginx' },
      services: { type: 'string', default: '1000' },
      changes: { type: 'string', default: '60' },
    },
  });
  const o: Options = { threads: +a.threads!, connections: +a.connections!, seconds: +a.seconds!, warmup: +a.warmup!, rounds: +a.rounds!, targets: a.targets!.split(','), services: +a.services!, changes: +a.changes! };
  for (const bin of ['wrk', 'nginx']) if (spawnSync('sh', ['-c', `command -v ${bin}`]).status !== 0) throw new Error(`${bin} is not installed (apt-get install -y ${bin})`);
  await printMachine();
  process.stdout.write(`wrk: ${spawnSync('wrk', ['-v']).stdout.toString().split('\n')[0]}; ${spawnSync('nginx', ['-v']).stderr.toString().trim()}\n`);
  // A Service range of our own, so the ClusterIPs cannot collide with another server on this machine.
  const range = `127.${11 + Math.floor(Math.random() * 240)}.0.0/16`;
  const ingressPort = await freePort();
  const dataDir = newDataDir(); // ours to remove, after the agent's containers are gone
  const extraArgs = ['--service-cluster-ip-range', range, '--ingress-http-port', String(ingressPort), '--ingress-https-port', String(await freePort())];
  const server = await startServer({ dataDir, agent: true, extraArgs }).catch((e: Error) => {
    rmSync(dataDir, { recursive: true, force: true });
    throw e;
  });
  const conn = new Connection(server);
  try {
    process.stdout.write(`capstan server: agent with the process runtime, host network, --service-cluster-ip-range ${range}, --ingress-http-port ${ingressPort}\n`);
    await dataPlane(server, conn, o, ingressPort);
    if (o.services > 0) await reprogramming(server, o);
  } finally {
    await conn.request('DELETE', `/api/v1/namespaces/${NS}/pods/web`, JSON.stringify({ kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: 0 })).catch(() => undefined);
    await until('the backend pod gone', async () => (await conn.request('GET', `/api/v1/namespaces/${NS}/pods/web`)).status === 404, 30_000, 200).catch(() => undefined);
    conn.close();
    await server.stop();
    killContainers(dataDir);
    rmSync(dataDir, { recursive: true, force: true });
    await stopAll();
  }
}

if (isMain(import.meta.url)) {
  main().catch((e: Error) => {
    process.stderr.write(`${e.stack ?? e.message}\n`);
    process.exitCode = 1;
  });
}
