/**
 * Service proxy benchmarks (issue 6):
 *
 * 1. Data plane: HTTP requests per second and p50/p99 latency to a backend directly and through the
 *    service proxy's TCP listener (the agent's data plane, run here in a process of its own), with
 *    `--clients` (32) concurrent clients for `--seconds` (5) per case, both with keep-alive
 *    connections and with a new connection per request (what the proxy pays per connection).
 *    The backend is a Node.js HTTP server in its own process; the load generator is this process.
 * 2. Reprogramming: a `capstan server` with its agent; a selector-less Service whose EndpointSlice
 *    the benchmark rewrites `--changes` (40) times, alternating between two backends. Each change is
 *    timed from just before the write until a new connection to the ClusterIP reaches the new
 *    backend (probed back to back). Goal ≤ 100 ms.
 *
 * Run: `node dist/bench/service-proxy-bench.js [--clients 32] [--seconds 5] [--changes 40]`
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import { parseArgs } from 'node:util';
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { Proxier } from '../src/network/service-proxy/proxier.js';
import { planProxy } from '../src/network/service-proxy/proxy-rules.js';
import { createLogger } from '../src/util/logger.js';
import { Connection } from './lib/client.js';
import { isMain } from './lib/main.js';
import { startServer, stopAll, stopProcess } from './lib/server.js';
import { fmt, passFail, percentile, printMachine, printTable, summarize } from './lib/stats.js';

const backendScript = `
const http = require('node:http');
const srv = http.createServer((req, res) => res.end(process.env.NAME || 'ok'));
srv.keepAliveTimeout = 60000;
srv.listen(0, '127.0.0.1', () => process.stdout.write(String(srv.address().port) + '\\n'));
`;

/** Starts a child process that prints its port on its first line. */
async function child(args: string[], env: Record<string, string> = {}): Promise<{ proc: ChildProcess; port: number }> {
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  while (!out.includes('\n')) {
    const [code] = await Promise.race([once(proc.stdout!, 'data'), once(proc, 'exit')]);
    if (proc.exitCode !== null) throw new Error(`child exited with ${code}`);
  }
  return { proc, port: Number(out.split('\n')[0]) };
}

function plan(clusterIP: string, backendPort: number) {
  const svc: Service = { metadata: { namespace: 'bench', name: 'web' }, spec: { clusterIP, ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] } };
  const slice: EndpointSlice = {
    metadata: { namespace: 'bench', name: 'web-1', labels: { 'kubernetes.io/service-name': 'web' } },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: backendPort, protocol: 'TCP' }],
    endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready: true } }],
  };
  return planProxy([svc], [slice], { name: 'bench', addresses: [] });
}

/** `--role proxy`: the data plane alone, serving `clusterIP:8080` towards the backend port. */
async function runProxyRole(clusterIP: string, backendPort: number): Promise<void> {
  const proxier = new Proxier({ nodeName: 'bench', logger: createLogger('warn') });
  proxier.apply(plan(clusterIP, backendPort));
  await proxier.settled();
  process.stdout.write('8080\n');
  await new Promise<void>((r) => process.once('SIGTERM', () => r()));
  await proxier.close();
}

interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

/** `clients` closed loops of GET / for `seconds`. */
async function load(host: string, port: number, clients: number, seconds: number, keepAlive: boolean): Promise<LoadResult> {
  const agent = keepAlive ? new http.Agent({ keepAlive: true, maxSockets: clients }) : false;
  const latencies: number[] = [];
  let errors = 0;
  const end = performance.now() + seconds * 1000;
  const one = () =>
    new Promise<void>((resolve) => {
      const t0 = performance.now();
      const req = http.get({ host, port, path: '/', agent }, (res) => {
        res.resume();
        res.on('end', () => {
          latencies.push(performance.now() - t0);
          resolve();
        });
      });
      req.on('error', () => {
        errors++;
        resolve();
      });
    });
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < end) await one();
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  if (agent) agent.destroy();
  const sorted = Float64Array.from(latencies).sort();
  return { rps: latencies.length / elapsed, p50: percentile(sorted, 50), p99: percentile(sorted, 99), errors };
}

async function dataPlane(clients: number, seconds: number): Promise<void> {
  const backend = await child(['-e', backendScript]);
  const clusterIP = `127.10.${200 + Math.floor(Math.random() * 50)}.${2 + Math.floor(Math.random() * 250)}`;
  const proxy = await child([process.argv[1]!, '--role', 'proxy', '--cluster-ip', clusterIP, '--backend-port', String(backend.port)]);
  try {
    const rows: string[][] = [];
    for (const keepAlive of [true, false]) {
      // A short warm-up per case, then the measured run.
      await load('127.0.0.1', backend.port, clients, 1, keepAlive);
      const direct = await load('127.0.0.1', backend.port, clients, seconds, keepAlive);
      await load(clusterIP, 8080, clients, 1, keepAlive);
      const proxied = await load(clusterIP, 8080, clients, seconds, keepAlive);
      const mode = keepAlive ? 'keep-alive' : 'new connection per request';
      for (const [path, r] of [['direct', direct], ['through the proxy', proxied]] as const) {
        rows.push([mode, path, r.rps.toFixed(0), fmt(r.p50, 2), fmt(r.p99, 2), String(r.errors)]);
      }
    }
    process.stdout.write(`\nData plane: ${clients} concurrent clients, ${seconds} s per case\n`);
    printTable(['connections', 'path', 'requests/s', 'p50 ms', 'p99 ms', 'errors'], rows);
  } finally {
    await stopProcess(proxy.proc);
    await stopProcess(backend.proc);
  }
}

async function reprogramming(changes: number): Promise<void> {
  const backends = await Promise.all(['a', 'b'].map((name) => child(['-e', backendScript], { NAME: name })));
  const server = await startServer({ agent: true });
  const conn = new Connection(server);
  try {
    await conn.json('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench' } });
    const svc = await conn.json<Service>('POST', '/api/v1/namespaces/bench/services', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web' },
      spec: { ports: [{ name: 'http', port: 8080 }] },
    });
    const clusterIP = svc.spec!.clusterIP!;
    const sliceFor = (i: number, resourceVersion?: string): EndpointSlice & { apiVersion: string; kind: string } => ({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'web-manual', namespace: 'bench', labels: { 'kubernetes.io/service-name': 'web' }, resourceVersion },
      addressType: 'IPv4',
      ports: [{ name: 'http', port: backends[i % 2]!.port, protocol: 'TCP' }],
      endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready: true } }],
    });
    const path = '/apis/discovery.k8s.io/v1/namespaces/bench/endpointslices';
    let slice = await conn.json<EndpointSlice>('POST', path, sliceFor(0));
    const ask = () =>
      new Promise<string>((resolve) => {
        const req = http.get({ host: clusterIP, port: 8080, path: '/', agent: false }, (res) => {
          let body = '';
          res.on('data', (d: Buffer) => (body += d.toString()));
          res.on('end', () => resolve(body));
        });
        req.on('error', () => resolve(''));
      });
    const until = async (want: string) => {
      const deadline = performance.now() + 30_000;
      while ((await ask()) !== want) if (performance.now() > deadline) throw new Error(`the proxy never reached backend ${want}`);
    };
    await until('a');
    const samples: number[] = [];
    for (let i = 1; i <= changes; i++) {
      const t0 = performance.now();
      slice = await conn.json<EndpointSlice>('PUT', `${path}/web-manual`, sliceFor(i, slice.metadata!.resourceVersion));
      await until(i % 2 ? 'b' : 'a');
      samples.push(performance.now() - t0);
    }
    const s = summarize(samples);
    process.stdout.write(`\nReprogramming: EndpointSlice write → a new connection to the ClusterIP reaches the new backend (${changes} changes)\n`);
    printTable(['min ms', 'median ms', 'p99 ms', 'max ms', 'goal p99 ≤ 100 ms'], [[fmt(s.min), fmt(s.median), fmt(s.p99), fmt(s.max), passFail(s.p99 <= 100)]]);
  } finally {
    conn.close();
    await server.stop();
    for (const b of backends) await stopProcess(b.proc);
  }
}

async function main(): Promise<void> {
  const { values: args } = parseArgs({
    options: {
      role: { type: 'string' },
      'cluster-ip': { type: 'string' },
      'backend-port': { type: 'string' },
      clients: { type: 'string', default: '32' },
      seconds: { type: 'string', default: '5' },
      changes: { type: 'string', default: '40' },
    },
  });
  if (args.role === 'proxy') return runProxyRole(args['cluster-ip']!, Number(args['backend-port']));
  await printMachine();
  try {
    await dataPlane(Number(args.clients), Number(args.seconds));
    await reprogramming(Number(args.changes));
  } finally {
    await stopAll();
  }
}

if (isMain(import.meta.url)) {
  main().catch((e: Error) => {
    process.stderr.write(`${e.stack ?? e.message}\n`);
    process.exitCode = 1;
  });
}
