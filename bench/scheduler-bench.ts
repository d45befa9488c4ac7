/**
 * Scheduler throughput and latency with simulated nodes.
 *
 * For each node count × pod kind × mode it starts a fresh `capstan server` (sqlite by default), a simulated-node fleet in a child process, and watches pods in
 * namespace `bench` from before the first create. Pods are created once every node is Ready and
 * its not-ready taint has been lifted. Pod kinds:
 *   plain          100m cpu / 128Mi requests, no constraints
 *   anti-affinity  groups of --group-size pods, required anti-affinity by hostname within a group
 *   spread         groups of --group-size pods, topology spread over zones, maxSkew 1, DoNotSchedule
 * Modes:
 *   stream   the scheduler runs inside the server (as `capstan server` ships) while --creators
 *            clients create the pods back to back; gives creation→PodScheduled=True latency, and
 *            throughput bounded by how fast pods can be created.
 *   backlog  the server runs with --disable-scheduler; all pods are created first, then a
 *            standalone `capstan scheduler` process starts; gives the scheduler's own throughput
 *            (pods bound per second from the first to the last binding), as scheduler_perf does.
 * Bindings are observed on the watch (the first event with spec.nodeName, which the binding
 * subresource sets together with PodScheduled=True). Placement is checked afterwards: no two pods
 * of an anti-affinity group on one node, and per spread group the zones differ by at most 1.
 *
 *   node dist/bench/scheduler-bench.js [--nodes 1000,5000] [--pods 10000]
 *     [--kinds plain,anti-affinity,spread] [--modes backlog,stream] [--group-size 10]
 *     [--creators 16] [--store sqlite|memory://] [--lease-renew-ms 10000] [--timeout-s 600]
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { Connection, openConnections, openWatch, runLoad } from './lib/client.js';
import { machineBusyMs, processCpuMs } from './lib/cpu.js';
import { isMain } from './lib/main.js';
import { type BenchPodKind, benchSchedulingPod } from './lib/scheduling-pods.js';
import { capstanBin, newDataDir, readCredentials, rssBytes, serverArgs, spawnServer, stopAll, stopProcess } from './lib/server.js';
import { startSimChild } from './lib/sim-process.js';
import { fmt, passFail, printMachine, printTable, summarize } from './lib/stats.js';

export interface SchedulerBenchOptions {
  nodes: number[];
  pods: number;
  kinds: BenchPodKind[];
  modes: ('backlog' | 'stream')[];
  groupSize: number;
  creators: number;
  store?: string;
  leaseRenewMs: number;
  timeoutS: number;
}

export interface ScenarioResult {
  nodes: number;
  kind: BenchPodKind;
  mode: 'backlog' | 'stream';
  bound: number;
  pods: number;
  /** Pods bound per second from the first to the last binding. */
  bindRate: number;
  /** Pods per second from the first create (stream) or scheduler start (backlog) to the last binding. */
  endToEndRate: number;
  createRate: number;
  latency?: ReturnType<typeof summarize>;
  rssMiB: number;
  registrationMs: number;
  cpu: string;
  placementOk: boolean;
  placementNote: string;
}

const ns = 'bench';

/** Starts a server with extra flags and waits for its ready line. */
async function startBenchServer(extraArgs: string[], store?: string) {
  const dataDir = newDataDir();
  const proc = spawnServer([...serverArgs(dataDir, 0, store), ...extraArgs]);
  let out = '';
  const onData = (d: Buffer) => (out += d.toString());
  proc.stdout!.on('data', onData);
  proc.stderr!.on('data', onData);
  await new Promise<void>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`server not ready:\n${out}`)), 60_000);
    const check = () => {
      if (/ready at https:\/\/\S+/.test(out)) {
        clearTimeout(timer);
        proc.off('exit', onExit);
        res();
      }
    };
    const onExit = (code: number | null) => {
      clearTimeout(timer);
      rej(new Error(`server exited with ${code}:\n${out}`));
    };
    proc.stdout!.on('data', check);
    proc.once('exit', onExit);
  });
  return {
    ...readCredentials(dataDir),
    dataDir,
    pid: proc.pid!,
    output: () => out,
    async stop() {
      await stopProcess(proc);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** CAPSTAN_BENCH_NODE_ARGS (e.g. `--cpu-prof`) applies to the standalone scheduler as to the server. */
const nodeArgs = () => (process.env.CAPSTAN_BENCH_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');

/** Resolves when `pred` holds, checking every 50 ms; false after `ms`. */
async function until(pred: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

export async function runScenario(nodes: number, kind: BenchPodKind, mode: 'backlog' | 'stream', o: SchedulerBenchOptions): Promise<ScenarioResult> {
  // The controller manager stays on: its node lifecycle controller lifts the not-ready taint that
  // admission puts on every new Node.
  const server = await startBenchServer(mode === 'backlog' ? ['--disable-scheduler'] : [], o.store);
  const kubeconfig = join(server.dataDir, 'kubeconfig.yaml');
  const children: { stop(): Promise<void> }[] = [];
  const conns: Connection[] = [];
  let watch: { close(): void } | undefined;
  try {
    const sim = await startSimChild({ kubeconfig, nodes, zones: 3, leaseRenewIntervalMs: o.leaseRenewMs });
    children.push(sim);
    const admin = new Connection(server);
    conns.push(admin);
    await admin.json('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    type NodeList = { items: { metadata: { name: string; labels?: Record<string, string> }; spec?: { taints?: unknown[] } }[] };
    let nodeList = await admin.json<NodeList>('GET', '/api/v1/nodes');
    const untaintedBy = Date.now() + 120_000;
    while (nodeList.items.some((n) => n.spec?.taints?.length)) {
      if (Date.now() > untaintedBy) throw new Error('nodes kept their taints for 2 minutes');
      await new Promise((r) => setTimeout(r, 500));
      nodeList = await admin.json<NodeList>('GET', '/api/v1/nodes');
    }
    const zoneOf = new Map(nodeList.items.map((n) => [n.metadata.name, n.metadata.labels?.['topology.kubernetes.io/zone'] ?? '']));

    // Watch from before the first create: record when each pod was first seen bound.
    const sentAt = new Map<string, bigint>();
    const boundAt = new Map<string, bigint>();
    const nodeOf = new Map<string, string>();
    const podList = await admin.json<{ metadata: { resourceVersion: string } }>('GET', `/api/v1/namespaces/${ns}/pods`);
    watch = await openWatch(
      server,
      `/api/v1/namespaces/${ns}/pods?watch=1&allowWatchBookmarks=false&resourceVersion=${podList.metadata.resourceVersion}`,
      (ev) => {
        const pod = ev.object as Pod;
        const name = pod.metadata?.name ?? '';
        if (pod.spec?.nodeName && !boundAt.has(name)) {
          boundAt.set(name, process.hrtime.bigint());
          nodeOf.set(name, pod.spec.nodeName);
        }
      },
      () => undefined,
    );

    const cpu0 = { server: processCpuMs(server.pid), sim: processCpuMs(sim.pid), bench: process.cpuUsage(), machine: machineBusyMs() };
    const t0 = process.hrtime.bigint();
    let i = 0;
    const creators = openConnections(server, o.creators);
    conns.push(...creators);
    const next = () => {
      if (i >= o.pods) return undefined;
      const pod = benchSchedulingPod(`p-${i}`, kind, i, o.groupSize);
      sentAt.set(pod.metadata!.name!, process.hrtime.bigint());
      i++;
      return { method: 'POST', path: `/api/v1/namespaces/${ns}/pods`, body: JSON.stringify(pod) };
    };
    const created = await runLoad(creators, o.timeoutS * 1000, next, []);
    if (created.errors) throw new Error(`${created.errors} creates failed: ${created.firstError}`);
    const createRate = created.ok / (created.elapsedMs / 1000);

    let schedStart = t0;
    let schedPid: number | undefined;
    if (mode === 'backlog') {
      schedStart = process.hrtime.bigint();
      const proc = spawn(process.execPath, [...nodeArgs(), capstanBin, 'scheduler', '--kubeconfig', kubeconfig, '--log-level', 'warn'], { stdio: ['ignore', 'inherit', 'inherit'] });
      schedPid = proc.pid;
      children.push({ stop: () => stopProcess(proc) });
    }
    const schedCpu0 = schedPid ? processCpuMs(schedPid) : 0;
    await until(() => boundAt.size >= o.pods, o.timeoutS * 1000);
    const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
    const schedCpu = schedPid ? processCpuMs(schedPid) - schedCpu0 : 0;
    const benchCpu = process.cpuUsage(cpu0.bench);
    const serverCpu = processCpuMs(server.pid) - cpu0.server;
    const simCpu = processCpuMs(sim.pid) - cpu0.sim;
    const benchMs = (benchCpu.user + benchCpu.system) / 1000;
    const other = Math.max(0, machineBusyMs() - cpu0.machine - serverCpu - simCpu - schedCpu - benchMs);
    const pct = (ms: number) => `${Math.round((ms / wallMs) * 100)}%`;
    const cpu = `${pct(serverCpu)} / ${schedPid ? pct(schedCpu) : '-'} / ${pct(simCpu)} / ${pct(benchMs)} / ${pct(other)}`;
    const rssMiB = rssBytes(server.pid) / 2 ** 20;

    const binds = [...boundAt.values()].sort((a, b) => (a < b ? -1 : 1));
    const first = binds[0] ?? t0;
    const last = binds.at(-1) ?? t0;
    const secs = (a: bigint, b: bigint) => Number(b - a) / 1e9;
    const latencies: number[] = [];
    if (mode === 'stream') for (const [name, at] of boundAt) latencies.push(Number(at - sentAt.get(name)!) / 1e6);
    const { ok: placementOk, note: placementNote } = checkPlacement(kind, o.groupSize, nodeOf, zoneOf);
    return {
      nodes,
      kind,
      mode,
      bound: boundAt.size,
      pods: o.pods,
      bindRate: binds.length > 1 ? (binds.length - 1) / secs(first, last) : 0,
      endToEndRate: boundAt.size / secs(schedStart, last),
      createRate,
      latency: mode === 'stream' ? summarize(latencies) : undefined,
      rssMiB,
      registrationMs: sim.registrationMs,
      cpu,
      placementOk,
      placementNote,
    };
  } finally {
    watch?.close();
    for (const c of conns) c.close();
    for (const c of children.reverse()) await c.stop();
    await server.stop();
  }
}

/** Checks the placement against the constraints the pods carried. */
function checkPlacement(kind: BenchPodKind, groupSize: number, nodeOf: Map<string, string>, zoneOf: Map<string, string>): { ok: boolean; note: string } {
  if (kind === 'plain') return { ok: true, note: `${new Set(nodeOf.values()).size} nodes used` };
  const groups = new Map<number, string[]>();
  for (const [name, node] of nodeOf) {
    const g = Math.floor(Number(name.slice(2)) / groupSize);
    groups.set(g, [...(groups.get(g) ?? []), node]);
  }
  let bad = 0;
  for (const members of groups.values()) {
    if (kind === 'anti-affinity' && new Set(members).size !== members.length) bad++;
    if (kind === 'spread') {
      const perZone = new Map<string, number>([...new Set(zoneOf.values())].map((z) => [z, 0]));
      for (const n of members) perZone.set(zoneOf.get(n)!, perZone.get(zoneOf.get(n)!)! + 1);
      const counts = [...perZone.values()];
      // Pods bind one by one, so every prefix kept the skew; the final counts must too.
      if (Math.max(...counts) - Math.min(...counts) > 1) bad++;
    }
  }
  return { ok: bad === 0, note: bad === 0 ? `${groups.size} groups obey the constraint` : `${bad} of ${groups.size} groups violate the constraint` };
}

function parseOptions(argv: string[]): SchedulerBenchOptions {
  const { values: v } = parseArgs({
    args: argv,
    options: {
      nodes: { type: 'string', default: '1000,5000' },
      pods: { type: 'string', default: '10000' },
      kinds: { type: 'string', default: 'plain,anti-affinity,spread' },
      modes: { type: 'string', default: 'backlog,stream' },
      'group-size': { type: 'string', default: '10' },
      creators: { type: 'string', default: '16' },
      store: { type: 'string' },
      'lease-renew-ms': { type: 'string', default: '10000' },
      'timeout-s': { type: 'string', default: '600' },
    },
    strict: true,
  });
  const list = (s: string) => s.split(',').map((x) => x.trim()).filter(Boolean);
  const kinds = list(v.kinds!) as BenchPodKind[];
  for (const k of kinds) if (!['plain', 'anti-affinity', 'spread'].includes(k)) throw new Error(`unknown kind ${k}`);
  const modes = list(v.modes!) as ('backlog' | 'stream')[];
  for (const m of modes) if (m !== 'backlog' && m !== 'stream') throw new Error(`unknown mode ${m}`);
  return {
    nodes: list(v.nodes!).map(Number),
    pods: Number(v.pods),
    kinds,
    modes,
    groupSize: Number(v['group-size']),
    creators: Number(v.creators),
    store: v.store,
    leaseRenewMs: Number(v['lease-renew-ms']),
    timeoutS: Number(v['timeout-s']),
  };
}

export async function schedulerBench(o: SchedulerBenchOptions): Promise<ScenarioResult[]> {
  await printMachine();
  const results: ScenarioResult[] = [];
  const rows: string[][] = [];
  for (const nodes of o.nodes)
    for (const kind of o.kinds)
      for (const mode of o.modes) {
        const r = await runScenario(nodes, kind, mode, o);
        results.push(r);
        const goal = kind === 'plain' ? 1000 : 100;
        const row = [
          String(nodes),
          kind,
          mode,
          `${r.bound}/${r.pods}`,
          r.bindRate.toFixed(0),
          r.endToEndRate.toFixed(0),
          r.createRate.toFixed(0),
          r.latency ? `${fmt(r.latency.median, 0)} / ${fmt(r.latency.p99, 0)} / ${fmt(r.latency.max, 0)}` : '-',
          r.rssMiB.toFixed(0),
          (r.registrationMs / 1000).toFixed(1),
          r.cpu,
          `${passFail(r.placementOk)}: ${r.placementNote}`,
          mode === 'backlog' ? `${passFail(r.bindRate >= goal)} (≥ ${goal}/s)` : '',
        ];
        rows.push(row);
        process.stderr.write(`done: ${row.join(' | ')}\n`);
      }
  process.stdout.write(`\n## Scheduling ${o.pods} pods (store ${o.store ?? 'sqlite'}, ${o.creators} creators, groups of ${o.groupSize}, lease renewal ${o.leaseRenewMs} ms)\n`);
  printTable(
    ['nodes', 'pods', 'mode', 'bound', 'binds/s', 'end-to-end/s', 'creates/s', 'create→scheduled p50 / p99 / max ms', 'server RSS MiB', 'node registration s', 'CPU server / scheduler / sim / bench / other', 'placement', 'goal'],
    rows,
  );
  return results;
}

if (isMain(import.meta.url)) {
  const stopOnSignal = () => void stopAll().then(() => process.exit(130));
  process.once('SIGINT', stopOnSignal);
  process.once('SIGTERM', stopOnSignal);
  schedulerBench(parseOptions(process.argv.slice(2)))
    .then(() => stopAll())
    .catch(async (e) => {
      process.stderr.write(`${(e as Error).stack ?? e}\n`);
      await stopAll();
      process.exit(1);
    });
}
