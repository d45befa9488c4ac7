/**
 * The nftables service proxy against the pod itself (issue 6's goal: the service proxy adds
 * ≤ 10 % to the direct p99). A `capstan server` with its agent in bridge network mode and
 * `--proxy-mode nftables` runs one backend pod (the same 2-byte Node.js HTTP server as
 * network-bench.ts) in its own network namespace. Two Services select it: `web`, carried by the
 * kernel (DNAT in the agent's nftables table), and `web-sticky` with `sessionAffinity: ClientIP`,
 * which nftables mode leaves to the userspace proxy. `wrk` from the host measures, round after
 * round in one run, the pod directly, the ClusterIP through the kernel and the ClusterIP through
 * the userspace proxy.
 *
 * Needs root, `nft`, `wrk` and the CNI bridge, host-local and loopback plugins. Bridge mode uses
 * the machine's one bridge (capstan0) and fixed ranges, so the run takes the same lock as the
 * bridge-mode end-to-end tests and removes the bridge at the end.
 *
 * Run: `node dist/bench/nft-proxy-bench.js [--threads 2] [--connections 32] [--seconds 10]
 *   [--warmup 2] [--rounds 3]`.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Service } from 'kubernetes-types/core/v1.js';
import { Connection } from './lib/client.js';
import { get, until, wrk, type WrkResult } from './lib/http-load.js';
import { isMain } from './lib/main.js';
import { killContainers } from './network-bench.js';
import { newDataDir, startServer, stopAll } from './lib/server.js';
import { fmt, passFail, printMachine, printTable } from './lib/stats.js';

const NS = 'nftbench';
const PORT = 8080;
const backendScript = `const s=require('http').createServer((q,r)=>r.end('ok'));s.keepAliveTimeout=60000;s.listen(${PORT})`;

async function main(): Promise<void> {
  const { values: a } = parseArgs({
    options: {
      threads: { type: 'string', default: '2' },
      connections: { type: 'string', default: '32' },
      seconds: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '2' },
      rounds: { type: 'string', default: '3' },
    },
  });
  const o = { threads: +a.threads!, connections: +a.connections!, seconds: +a.seconds!, warmup: +a.warmup!, rounds: +a.rounds! };
  if (process.getuid?.() !== 0) throw new Error('needs root (bridge networking and nftables)');
  for (const bin of ['wrk', 'nft']) if (spawnSync('sh', ['-c', `command -v ${bin}`]).status !== 0) throw new Error(`${bin} is not installed`);
  const lock = join(tmpdir(), 'capstan-e2e-bridge.lock');
  try {
    mkdirSync(lock);
    writeFileSync(join(lock, 'owner'), String(process.pid));
  } catch {
    throw new Error(`${lock} exists: another bridge-mode server runs on this machine`);
  }
  await printMachine();
  const dataDir = newDataDir();
  try {
    const server = await startServer({ dataDir, agent: true, extraArgs: ['--network', 'bridge', '--proxy-mode', 'nftables'] });
    const conn = new Connection(server);
    try {
      await run(conn, o);
    } finally {
      await conn.request('DELETE', `/api/v1/namespaces/${NS}/pods/web`, JSON.stringify({ kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: 0 })).catch(() => undefined);
      await until('the backend pod gone', async () => (await conn.request('GET', `/api/v1/namespaces/${NS}/pods/web`)).status === 404, 30_000, 200).catch(() => undefined);
      conn.close();
      await server.stop();
    }
  } finally {
    killContainers(dataDir);
    rmSync(dataDir, { recursive: true, force: true });
    await stopAll();
    spawnSync('ip', ['link', 'delete', 'capstan0']);
    rmSync(lock, { recursive: true, force: true });
  }
}

async function run(conn: Connection, o: { threads: number; connections: number; seconds: number; warmup: number; rounds: number }): Promise<void> {
  const core = `/api/v1/namespaces/${NS}`;
  const service = (name: string, affinity: boolean) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: PORT }], ...(affinity ? { sessionAffinity: 'ClientIP' } : {}) } });
  await conn.json('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  await conn.json('POST', `${core}/pods`, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', labels: { app: 'web' } },
    spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'web', image: 'node', command: [process.execPath, '-e', backendScript], ports: [{ containerPort: PORT }], readinessProbe: { httpGet: { path: '/', port: PORT }, periodSeconds: 1 } }] },
  });
  await conn.json('POST', `${core}/services`, service('web', false));
  await conn.json('POST', `${core}/services`, service('web-sticky', true));
  let podIP = '';
  await until('the backend pod Ready', async () => {
    const p = await conn.json<{ status?: { podIP?: string; conditions?: { type: string; status: string }[] } }>('GET', `${core}/pods/web`);
    podIP = p.status?.podIP ?? '';
    return p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
  });
  const ip = async (name: string) => (await conn.json<Service>('GET', `${core}/services/${name}`)).spec!.clusterIP!;
  const targets = [
    { key: 'direct', name: 'direct to the pod', host: podIP, port: PORT },
    { key: 'nftables', name: 'ClusterIP, nftables (kernel DNAT)', host: await ip('web'), port: 80 },
    { key: 'userspace', name: 'ClusterIP, userspace proxy (sessionAffinity)', host: await ip('web-sticky'), port: 80 },
  ];
  for (const t of targets) await until(`${t.name} answering`, async () => (await get(t.host, t.port).catch(() => ({ status: 0 }))).status === 200);
  process.stdout.write(`\n## wrk -t${o.threads} -c${o.connections} -d${o.seconds}s --latency (keep-alive), ${o.warmup} s warm-up per target; pod ${podIP}:${PORT}\n`);
  const rows: string[][] = [];
  const ratios: string[][] = [];
  for (let round = 1; round <= o.rounds; round++) {
    const res: Record<string, WrkResult> = {};
    for (const t of targets) {
      const url = `http://${t.host}:${t.port}/`;
      if (o.warmup > 0) await wrk(url, o, o.warmup);
      const load = loadavg()[0]!.toFixed(2);
      const r = await wrk(url, o, o.seconds);
      res[t.key] = r;
      rows.push([String(round), t.name, r.rps.toFixed(0), fmt(r.p50, 2), fmt(r.p99, 2), String(r.errors), load]);
    }
    for (const k of ['nftables', 'userspace']) {
      const added = (res[k]!.p99 / res.direct!.p99 - 1) * 100;
      ratios.push([String(round), `${k} p99 vs direct p99`, `${added >= 0 ? '+' : ''}${added.toFixed(0)} %`, passFail(added <= 10)]);
    }
  }
  printTable(['round', 'target', 'requests/s', 'p50 ms', 'p99 ms', 'errors', 'load avg (1 min)'], rows);
  process.stdout.write('\n');
  printTable(['round', 'comparison', 'added p99', 'goal ≤ +10 %'], ratios);
}

if (isMain(import.meta.url)) {
  main().catch((e: Error) => {
    process.stderr.write(`${e.stack ?? e.message}\n`);
    process.exitCode = 1;
  });
}
