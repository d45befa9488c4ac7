/**
 * The nftables service proxy against the pod itself (issue 6's goal: the service proxy adds
 * ≤ 10 % to the direct p99). A `capstan server` with its agent in bridge network mode and
 * `--proxy-mode nftables` runs one backend pod (the same 2-byte Node.js HTTP server as
 * network-bench.ts) in its own network namespace. Two Services select it: `web`, carried by the
 * kernel (DNAT in the agent's nftables table), and `web-sticky` with `sessionAffinity: ClientIP`,
 * which nftables mode leaves to the userspace proxy. `wrk` from the host measures, round after
 * round in one run, the pod directly, the ClusterIP through the kernel and the ClusterIP through
 * the userspace proxy. The order of the three rotates each round, so slow drifts of the shared
 * machine hit every target alike; each proxied p99 is compared with the direct p99 of its own
 * round, and the goal is judged on the median of those paired differences over many short
 * rounds, since a single round's p99 on a shared 2-core machine swings by several times.
 * Then, as network-bench.ts does for the userspace proxy, reprogramming at scale: `--services`
 * selector-less Services in the kernel table, one of them switched `--changes` times between two
 * backend pods (./lib/reprogramming.ts; goal p99 ≤ 100 ms).
 *
 * Needs root, `nft`, `wrk` and the CNI bridge, host-local and loopback plugins. Bridge mode uses
 * the machine's one bridge (capstan0) and fixed ranges, so the run takes the same lock as the
 * bridge-mode end-to-end tests (waiting for its turn) and removes the bridge at the end.
 *
 * Run: `node dist/bench/nft-proxy-bench.js [--threads 2] [--connections 32] [--seconds 4]
 *   [--warmup 1] [--rounds 12] [--services 1000] [--changes 60]` (`--services 0` skips the second part).
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import type { Service } from 'kubernetes-types/core/v1.js';
import { Connection } from './lib/client.js';
import { get, until, wrk, type WrkResult } from './lib/http-load.js';
import { isMain } from './lib/main.js';
import { takeBridgeLock } from '../test/support/bridge-lock.js';
import { killContainers, type Options as NetworkBenchOptions } from './network-bench.js';
import { measureReprogramming, type ReprogramBackend } from './lib/reprogramming.js';
import { newDataDir, startServer, stopAll, type BenchServer } from './lib/server.js';
import { fmt, median, passFail, printMachine, printTable } from './lib/stats.js';

const NS = 'nftbench';
const PORT = 8080;
const backendScript = `const s=require('http').createServer((q,r)=>r.end(process.env.NAME));s.keepAliveTimeout=60000;s.listen(${PORT})`;

async function main(): Promise<void> {
  const { values: a } = parseArgs({
    options: {
      threads: { type: 'string', default: '2' },
      connections: { type: 'string', default: '32' },
      seconds: { type: 'string', default: '4' },
      warmup: { type: 'string', default: '1' },
      rounds: { type: 'string', default: '12' },
      services: { type: 'string', default: '1000' },
      changes: { type: 'string', default: '60' },
    },
  });
  const o: Options = { threads: +a.threads!, connections: +a.connections!, seconds: +a.seconds!, warmup: +a.warmup!, rounds: +a.rounds!, services: +a.services!, changes: +a.changes! };
  if (process.getuid?.() !== 0) throw new Error('needs root (bridge networking and nftables)');
  for (const bin of ['wrk', 'nft']) if (spawnSync('sh', ['-c', `command -v ${bin}`]).status !== 0) throw new Error(`${bin} is not installed`);
  const releaseLock = await takeBridgeLock();
  await printMachine();
  const dataDir = newDataDir();
  try {
    const server = await startServer({ dataDir, agent: true, extraArgs: ['--network', 'bridge', '--proxy-mode', 'nftables'] });
    const conn = new Connection(server);
    try {
      await run(server, conn, o);
    } finally {
      for (const pod of ['web', 'web-b']) {
        await conn.request('DELETE', `/api/v1/namespaces/${NS}/pods/${pod}`, JSON.stringify({ kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: 0 })).catch(() => undefined);
        await until(`the backend pod ${pod} gone`, async () => (await conn.request('GET', `/api/v1/namespaces/${NS}/pods/${pod}`)).status === 404, 30_000, 200).catch(() => undefined);
      }
      conn.close();
      await server.stop();
    }
  } finally {
    killContainers(dataDir);
    rmSync(dataDir, { recursive: true, force: true });
    await stopAll();
    spawnSync('ip', ['link', 'delete', 'capstan0']);
    releaseLock();
  }
}

/** network-bench.ts's options, without its choice of targets (this one has three fixed ones). */
type Options = Omit<NetworkBenchOptions, 'targets'>;

async function run(server: BenchServer, conn: Connection, o: Options): Promise<void> {
  const core = `/api/v1/namespaces/${NS}`;
  const service = (name: string, affinity: boolean) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: PORT }], ...(affinity ? { sessionAffinity: 'ClientIP' } : {}) } });
  await conn.json('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  const pod = (name: string, body: string) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app: name } },
    spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'web', image: 'node', command: [process.execPath, '-e', backendScript], env: [{ name: 'NAME', value: body }], ports: [{ containerPort: PORT }], readinessProbe: { httpGet: { path: '/', port: PORT }, periodSeconds: 1 } }] },
  });
  await conn.json('POST', `${core}/pods`, pod('web', 'a'));
  if (o.services > 0) await conn.json('POST', `${core}/pods`, pod('web-b', 'b'));
  await conn.json('POST', `${core}/services`, service('web', false));
  await conn.json('POST', `${core}/services`, service('web-sticky', true));
  const readyIP = async (name: string) => {
    let ip = '';
    await until(`the backend pod ${name} Ready`, async () => {
      const p = await conn.json<{ status?: { podIP?: string; conditions?: { type: string; status: string }[] } }>('GET', `${core}/pods/${name}`);
      ip = p.status?.podIP ?? '';
      return p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
    });
    return ip;
  };
  const podIP = await readyIP('web');
  const ip = async (name: string) => (await conn.json<Service>('GET', `${core}/services/${name}`)).spec!.clusterIP!;
  const targets = [
    { key: 'direct', name: 'direct to the pod', host: podIP, port: PORT },
    { key: 'nftables', name: 'ClusterIP, nftables (kernel DNAT)', host: await ip('web'), port: 80 },
    { key: 'userspace', name: 'ClusterIP, userspace proxy (sessionAffinity)', host: await ip('web-sticky'), port: 80 },
  ];
  for (const t of targets) await until(`${t.name} answering`, async () => (await get(t.host, t.port).catch(() => ({ status: 0 }))).status === 200);
  process.stdout.write(`\n## wrk -t${o.threads} -c${o.connections} -d${o.seconds}s --latency (keep-alive), ${o.warmup} s warm-up per target, ${o.rounds} rounds in rotating order; pod ${podIP}:${PORT}\n`);
  const rows: string[][] = [];
  const added: Record<string, number[]> = { nftables: [], userspace: [] };
  for (let round = 1; round <= o.rounds; round++) {
    const res: Record<string, WrkResult> = {};
    for (const t of rotate(targets, round - 1)) {
      const url = `http://${t.host}:${t.port}/`;
      if (o.warmup > 0) await wrk(url, o, o.warmup);
      const load = loadavg()[0]!.toFixed(2);
      const r = await wrk(url, o, o.seconds);
      res[t.key] = r;
      rows.push([String(round), t.name, r.rps.toFixed(0), fmt(r.p50, 2), fmt(r.p99, 2), String(r.errors), load]);
    }
    for (const k of Object.keys(added)) added[k]!.push((res[k]!.p99 / res.direct!.p99 - 1) * 100);
  }
  printTable(['round', 'target', 'requests/s', 'p50 ms', 'p99 ms', 'errors', 'load avg (1 min)'], rows);
  process.stdout.write('\n');
  const pct = (v: number) => `${v >= 0 ? '+' : ''}${v.toFixed(0)} %`;
  printTable(
    ['path', 'added p99 per round (vs direct, same round)', 'median', 'rounds ≤ +10 %', 'goal: median ≤ +10 %'],
    Object.entries(added).map(([k, v]) => [k, v.map(pct).join(', '), pct(median(v)), `${v.filter((x) => x <= 10).length} of ${v.length}`, passFail(median(v) <= 10)]),
  );
  if (o.services > 0) {
    const backends: [ReprogramBackend, ReprogramBackend] = [{ ip: podIP, port: PORT, body: 'a' }, { ip: await readyIP('web-b'), port: PORT, body: 'b' }];
    await measureReprogramming(server, { namespace: NS, services: o.services, changes: o.changes, backends });
  }
}

/** The targets starting at `by` (round after round each target goes first, middle and last in turn). */
function rotate<T>(items: readonly T[], by: number): T[] {
  const k = by % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

if (isMain(import.meta.url)) {
  main().catch((e: Error) => {
    process.stderr.write(`${e.stack ?? e.message}\n`);
    process.exitCode = 1;
  });
}
