/**
 * Controller benchmarks with simulated nodes (issue 4, "Performance"):
 *
 * 1. Scale-up: time from creating a `--replicas` Deployment (1,000) to all replicas available on
 *    `--nodes` simulated nodes (100). Goal ≤ 10 s.
 * 2. Rolling update: change the pod template's image (maxSurge 25 %, maxUnavailable 25 %) and time
 *    until the rollout is complete in the sense of `kubectl rollout status`. Goal ≤ 30 s.
 * 3. Idle: scale the Deployment to `--idle-pods` (10,000), let it settle, then read the server's
 *    CPU from /proc over `--idle-seconds` (30) with no client traffic, second by second, plus its
 *    RSS. Goal: near-zero CPU and no periodic full-list polling (no recurring busy seconds). A
 *    baseline window with the nodes registered and no pods runs first, so the cost of the 10,000
 *    pods can be told apart from the nodes' own Lease renewals.
 *
 * One `capstan server` (API server, scheduler and controllers in one process) and one
 * `capstan sim` child process (the simulated kubelets), so the server's CPU is measured alone.
 * The benchmark itself only holds one watch on the Deployment.
 *
 * Run: `node dist/bench/controller-bench.js [--nodes 100] [--replicas 1000] [--idle-pods 10000]
 *   [--idle-seconds 30] [--baseline-seconds 10] [--settle-seconds 10] [--store sqlite|memory]`
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import { Connection, openWatch } from './lib/client.js';
import { machineBusyMs, processCpuMs } from './lib/cpu.js';
import { namespace } from './lib/fixtures.js';
import { isMain } from './lib/main.js';
import { capstanBin, rssBytes, startServer, stopAll, stopProcess, type BenchServer, type Credentials } from './lib/server.js';
import { fmt, msSince, passFail, printMachine, printTable } from './lib/stats.js';

interface Options {
  nodes: number;
  replicas: number;
  idlePods: number;
  idleSeconds: number;
  baselineSeconds: number;
  settleSeconds: number;
  store: string;
  phaseTimeoutSeconds: number;
}

const ns = 'bench';
const deployName = 'web';

function parseOptions(argv: string[]): Options {
  const { values: v } = parseArgs({
    args: argv,
    options: {
      nodes: { type: 'string', default: '100' },
      replicas: { type: 'string', default: '1000' },
      'idle-pods': { type: 'string', default: '10000' },
      'idle-seconds': { type: 'string', default: '30' },
      'baseline-seconds': { type: 'string', default: '10' },
      'settle-seconds': { type: 'string', default: '10' },
      store: { type: 'string', default: 'sqlite' },
      'phase-timeout-seconds': { type: 'string', default: '600' },
    },
    strict: true,
  });
  const int = (s: string, flag: string): number => {
    if (!/^\d+$/.test(s)) throw new Error(`--${flag} wants a non-negative integer, got ${JSON.stringify(s)}`);
    return Number(s);
  };
  if (v.store !== 'sqlite' && v.store !== 'memory') throw new Error('--store is sqlite or memory');
  return {
    nodes: int(v.nodes, 'nodes'),
    replicas: int(v.replicas, 'replicas'),
    idlePods: int(v['idle-pods'], 'idle-pods'),
    idleSeconds: int(v['idle-seconds'], 'idle-seconds'),
    baselineSeconds: int(v['baseline-seconds'], 'baseline-seconds'),
    settleSeconds: int(v['settle-seconds'], 'settle-seconds'),
    store: v.store,
    phaseTimeoutSeconds: int(v['phase-timeout-seconds'], 'phase-timeout-seconds'),
  };
}

function deployment(replicas: number, image: string): Deployment {
  const labels = { app: deployName };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: deployName, namespace: ns, labels },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      template: {
        metadata: { labels },
        spec: {
          containers: [
            {
              name: 'web',
              image,
              ports: [{ name: 'http', containerPort: 80 }],
              resources: { requests: { cpu: '100m', memory: '64Mi' } },
            },
          ],
        },
      },
    },
  };
}

/** The `kubectl rollout status` completion test (upstream kubectl's DeploymentStatusViewer). */
function rolloutComplete(d: Deployment): boolean {
  const want = d.spec?.replicas ?? 1;
  const s = d.status ?? {};
  return (
    (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0) &&
    (s.updatedReplicas ?? 0) === want &&
    (s.replicas ?? 0) === want &&
    (s.availableReplicas ?? 0) === want
  );
}

/**
 * Follows the Deployment through one watch and lets a phase wait for a predicate on its latest
 * state, with the time (since the phase started) of milestones along the way.
 */
class DeploymentTracker {
  latest: Deployment | undefined;
  private waiters: { pred: (d: Deployment) => boolean; resolve: () => void }[] = [];
  private observers: ((d: Deployment) => void)[] = [];
  private watch: { close(): void } | undefined;
  private closed = false;
  private rv = '';

  constructor(private readonly creds: Credentials) {}

  async start(): Promise<void> {
    const path = `/apis/apps/v1/namespaces/${ns}/deployments?watch=1&fieldSelector=metadata.name%3D${deployName}${this.rv ? `&resourceVersion=${this.rv}` : ''}`;
    this.watch = await openWatch(
      this.creds,
      path,
      (ev) => {
        if (ev.type !== 'ADDED' && ev.type !== 'MODIFIED') return;
        const d = ev.object as Deployment;
        this.rv = d.metadata?.resourceVersion ?? this.rv;
        this.latest = d;
        for (const o of this.observers) o(d);
        this.waiters = this.waiters.filter((w) => {
          if (!w.pred(d)) return true;
          w.resolve();
          return false;
        });
      },
      () => {
        // The server ends long watches; resume from the last seen resourceVersion.
        if (!this.closed) void this.start().catch(() => undefined);
      },
    );
  }

  observe(fn: (d: Deployment) => void): () => void {
    this.observers.push(fn);
    return () => (this.observers = this.observers.filter((o) => o !== fn));
  }

  waitFor(pred: (d: Deployment) => boolean, timeoutMs: number, what: string): Promise<void> {
    if (this.latest && pred(this.latest)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.resolve !== done);
        reject(new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}; last status ${JSON.stringify(this.latest?.status)}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      this.waiters.push({ pred, resolve: done });
    });
  }

  close(): void {
    this.closed = true;
    this.watch?.close();
  }
}

/** Starts `capstan sim` as its own process and resolves once every node is registered. */
async function startSim(kubeconfig: string, nodes: number, timeoutMs: number): Promise<{ proc: ChildProcess; registrationMs: number }> {
  const proc = spawn(process.execPath, [capstanBin, 'sim', '--kubeconfig', kubeconfig, '--nodes', String(nodes), '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const onData = (d: Buffer) => (out = (out + d.toString()).slice(-20_000));
  proc.stdout!.on('data', onData);
  proc.stderr!.on('data', onData);
  try {
    const registrationMs = await new Promise<number>((res, rej) => {
      const timer = setTimeout(() => rej(new Error(`simulated nodes not ready in time:\n${out}`)), timeoutMs);
      const onExit = (code: number | null) => {
        clearTimeout(timer);
        rej(new Error(`capstan sim exited with ${code}:\n${out}`));
      };
      proc.once('exit', onExit);
      proc.stdout!.on('data', () => {
        const m = /simulated nodes are running \(registered in (\d+) ms\)/.exec(out);
        if (m) {
          clearTimeout(timer);
          proc.off('exit', onExit);
          res(Number(m[1]));
        }
      });
    });
    return { proc, registrationMs };
  } catch (e) {
    await stopProcess(proc);
    throw e;
  }
}

interface IdleResult {
  serverPct: number;
  simPct: number;
  otherPct: number;
  /** Server CPU of each whole second of the window, % of one core. */
  perSecond: number[];
  rssMiB: number;
}

/** Server (and sim) CPU over `seconds` with no client traffic, sampled every second. */
async function measureIdle(serverPid: number, simPid: number, seconds: number): Promise<IdleResult> {
  const t0 = process.hrtime.bigint();
  const s0 = processCpuMs(serverPid);
  const sim0 = processCpuMs(simPid);
  const own0 = process.cpuUsage();
  const m0 = machineBusyMs();
  const perSecond: number[] = [];
  let prev = s0;
  let prevT = t0;
  for (let i = 0; i < seconds; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    const now = processCpuMs(serverPid);
    const t = process.hrtime.bigint();
    perSecond.push(((now - prev) / (Number(t - prevT) / 1e6)) * 100);
    prev = now;
    prevT = t;
  }
  const wall = msSince(t0);
  const server = processCpuMs(serverPid) - s0;
  const sim = processCpuMs(simPid) - sim0;
  const own = process.cpuUsage(own0);
  const other = Math.max(0, machineBusyMs() - m0 - server - sim - (own.user + own.system) / 1000);
  return {
    serverPct: (server / wall) * 100,
    simPct: (sim / wall) * 100,
    otherPct: (other / wall) * 100,
    perSecond,
    rssMiB: rssBytes(serverPid) / 2 ** 20,
  };
}

function fmtIdle(r: IdleResult): { cpu: string; seconds: string } {
  const sorted = [...r.perSecond].sort((a, b) => a - b);
  const busy = r.perSecond.filter((p) => p >= 5).length;
  return {
    cpu: `${fmt(r.serverPct)}% / ${fmt(r.simPct)}% / ${fmt(r.otherPct)}%`,
    seconds: `max ${fmt(sorted[sorted.length - 1] ?? NaN)}%, median ${fmt(sorted[Math.floor(sorted.length / 2)] ?? NaN)}%, ${busy} of ${r.perSecond.length} s ≥ 5%`,
  };
}

/** The store's current resourceVersion (a LIST's), so a phase's writes can be counted. */
async function currentRv(conn: Connection): Promise<number> {
  const l = await conn.json<{ metadata?: { resourceVersion?: string } }>('GET', `/api/v1/namespaces/${ns}/configmaps?limit=1`);
  return Number(l.metadata?.resourceVersion ?? NaN);
}

/** Events in the benchmark namespace (their `count`s summed) by reason. */
async function eventCounts(conn: Connection): Promise<string> {
  const l = await conn.json<{ items: { reason?: string; count?: number }[] }>('GET', `/api/v1/namespaces/${ns}/events`);
  const by = new Map<string, number>();
  for (const e of l.items) by.set(e.reason ?? '', (by.get(e.reason ?? '') ?? 0) + (e.count ?? 1));
  return `${l.items.length} Event objects (${[...by].map(([r, n]) => `${r} ${n}`).join(', ')})`;
}

async function patchDeployment(conn: Connection, patch: unknown): Promise<void> {
  const res = await conn.request('PATCH', `/apis/apps/v1/namespaces/${ns}/deployments/${deployName}`, JSON.stringify(patch), { 'Content-Type': 'application/merge-patch+json' });
  if (res.status !== 200) throw new Error(`PATCH deployment: HTTP ${res.status}: ${res.body.toString('utf8').slice(0, 500)}`);
}

async function run(o: Options): Promise<void> {
  await printMachine();
  const timeoutMs = o.phaseTimeoutSeconds * 1000;
  let server: BenchServer | undefined;
  let sim: ChildProcess | undefined;
  let tracker: DeploymentTracker | undefined;
  const conn: { c?: Connection } = {};
  try {
    server = await startServer({ datastore: o.store === 'memory' ? 'memory://' : undefined });
    const s = await startSim(join(server.dataDir, 'kubeconfig.yaml'), o.nodes, timeoutMs);
    sim = s.proc;
    process.stdout.write(`server pid ${server.pid} (${o.store}), ${o.nodes} simulated nodes registered in ${s.registrationMs} ms (sim pid ${sim.pid})\n`);
    const c = (conn.c = new Connection(server));
    await c.json('POST', '/api/v1/namespaces', namespace(ns));

    const rows: string[][] = [];
    let baseline: IdleResult | undefined;
    if (o.baselineSeconds > 0) {
      await new Promise((r) => setTimeout(r, o.settleSeconds * 1000));
      baseline = await measureIdle(server.pid, sim.pid!, o.baselineSeconds);
    }

    tracker = new DeploymentTracker(server);
    await tracker.start();
    const t = tracker;

    // 1. Scale-up from zero.
    const milestones: Record<string, number> = {};
    const mark = (name: string, start: bigint) => (d: Deployment) => {
      const st = d.status ?? {};
      const want = d.spec?.replicas ?? 0;
      if (milestones[`${name}.created`] === undefined && (st.replicas ?? 0) >= want && want > 0) milestones[`${name}.created`] = msSince(start);
      if (milestones[`${name}.ready`] === undefined && (st.readyReplicas ?? 0) >= want && want > 0) milestones[`${name}.ready`] = msSince(start);
    };
    const cpuPhase = () => {
      const w0 = process.hrtime.bigint();
      const s0 = processCpuMs(server!.pid);
      const sim0 = processCpuMs(sim!.pid!);
      const m0 = machineBusyMs();
      const own0 = process.cpuUsage();
      return () => {
        const wall = msSince(w0);
        const sv = processCpuMs(server!.pid) - s0;
        const sm = processCpuMs(sim!.pid!) - sim0;
        const own = process.cpuUsage(own0);
        const other = Math.max(0, machineBusyMs() - m0 - sv - sm - (own.user + own.system) / 1000);
        return `${Math.round((sv / wall) * 100)}% / ${Math.round((sm / wall) * 100)}% / ${Math.round((other / wall) * 100)}%`;
      };
    };

    let rv0 = await currentRv(c);
    let t0 = process.hrtime.bigint();
    let stopObs = t.observe(mark('up', t0));
    let cpuEnd = cpuPhase();
    await c.json('POST', `/apis/apps/v1/namespaces/${ns}/deployments`, deployment(o.replicas, 'nginx:1.27'));
    await t.waitFor((d) => rolloutComplete(d) && (d.spec?.replicas ?? 0) === o.replicas, timeoutMs, `${o.replicas} available replicas`);
    const upMs = msSince(t0);
    stopObs();
    rows.push([
      `create Deployment → ${o.replicas} available on ${o.nodes} nodes`,
      `**${fmt(upMs / 1000, 2)} s** (all pods created ${fmt((milestones['up.created'] ?? NaN) / 1000, 2)} s, all ready ${fmt((milestones['up.ready'] ?? NaN) / 1000, 2)} s)`,
      cpuEnd(),
      '≤ 10 s',
      passFail(upMs <= 10_000),
    ]);
    let rv1 = await currentRv(c);
    process.stdout.write(`scale-up: ${fmt(upMs / 1000, 2)} s; ${rv1 - rv0} writes in the store (${fmt((rv1 - rv0) / o.replicas, 1)} per pod, Lease renewals included); ${await eventCounts(c)}\n`);

    // 2. Rolling update: new image; track the fewest available replicas seen on the way.
    rv0 = await currentRv(c);
    t0 = process.hrtime.bigint();
    let minAvailable = Number.POSITIVE_INFINITY;
    let maxTotal = 0;
    stopObs = t.observe((d) => {
      if ((d.status?.observedGeneration ?? 0) < (d.metadata?.generation ?? 0)) return;
      minAvailable = Math.min(minAvailable, d.status?.availableReplicas ?? 0);
      maxTotal = Math.max(maxTotal, d.status?.replicas ?? 0);
    });
    cpuEnd = cpuPhase();
    await patchDeployment(c, { spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx:1.28' }] } } } });
    const generation = t.latest?.metadata?.generation ?? 0;
    await t.waitFor(
      (d) => (d.metadata?.generation ?? 0) > generation && rolloutComplete(d) && d.spec?.template?.spec?.containers?.[0]?.image === 'nginx:1.28',
      timeoutMs,
      'the rolling update to complete',
    );
    const rollMs = msSince(t0);
    stopObs();
    rows.push([
      `rolling update of ${o.replicas} (image change, maxSurge 25 %, maxUnavailable 25 %)`,
      `**${fmt(rollMs / 1000, 2)} s** (fewest available seen ${minAvailable}, most pods ${maxTotal})`,
      cpuEnd(),
      '≤ 30 s',
      passFail(rollMs <= 30_000),
    ]);
    rv1 = await currentRv(c);
    process.stdout.write(`rolling update: ${fmt(rollMs / 1000, 2)} s; ${rv1 - rv0} writes in the store (${fmt((rv1 - rv0) / o.replicas, 1)} per replaced pod); ${await eventCounts(c)}\n`);

    // 3. Idle with `idlePods` pods.
    let idle: IdleResult | undefined;
    if (o.idlePods > 0) {
      t0 = process.hrtime.bigint();
      cpuEnd = cpuPhase();
      await patchDeployment(c, { spec: { replicas: o.idlePods } });
      await t.waitFor((d) => rolloutComplete(d) && (d.spec?.replicas ?? 0) === o.idlePods, timeoutMs, `${o.idlePods} available replicas`);
      const scaleMs = msSince(t0);
      const scaleCpu = cpuEnd();
      process.stdout.write(`scale to ${o.idlePods}: ${fmt(scaleMs / 1000, 2)} s (CPU server / sim / other ${scaleCpu})\n`);
      rows.push([`(setup) scale ${o.replicas} → ${o.idlePods}`, `${fmt(scaleMs / 1000, 1)} s`, scaleCpu, '-', '-']);
      t.close(); // no client traffic during the window
      await new Promise((r) => setTimeout(r, o.settleSeconds * 1000));
      idle = await measureIdle(server.pid, sim.pid!, o.idleSeconds);
    }

    if (baseline) {
      const b = fmtIdle(baseline);
      rows.push([`idle, ${o.nodes} nodes, 0 pods, ${o.baselineSeconds} s (baseline)`, `server CPU **${fmt(baseline.serverPct)}%**, RSS ${fmt(baseline.rssMiB)} MiB; per second: ${b.seconds}`, b.cpu, '-', '-']);
    }
    if (idle) {
      const f = fmtIdle(idle);
      // "Near zero": under 5% of one core on average and no second at 25% or more (a periodic
      // full LIST of 10,000 pods takes a few hundred ms of CPU, so it would show as such a second).
      const ok = idle.serverPct < 5 && Math.max(...idle.perSecond) < 25;
      rows.push([`idle, ${o.nodes} nodes, ${o.idlePods} pods, ${o.idleSeconds} s`, `server CPU **${fmt(idle.serverPct)}%**, RSS ${fmt(idle.rssMiB)} MiB; per second: ${f.seconds}`, f.cpu, 'near-zero CPU, no periodic full LIST (< 5% mean, no second ≥ 25%)', passFail(ok)]);
      process.stdout.write(`idle per-second server CPU %: ${idle.perSecond.map((p) => p.toFixed(0)).join(' ')}\n`);
    }
    process.stdout.write(`\n## Controllers, ${o.nodes} simulated nodes, ${o.store}\n`);
    printTable(['benchmark', 'result', 'CPU server / sim / other', 'goal', 'pass/fail'], rows);
  } finally {
    tracker?.close();
    conn.c?.close();
    if (sim) await stopProcess(sim);
    await server?.stop();
    await stopAll();
  }
}

if (isMain(import.meta.url)) {
  let opts: Options;
  try {
    opts = parseOptions(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`controller-bench: ${(e as Error).message}\n`);
    process.exit(2);
  }
  run(opts).catch(async (e) => {
    process.stderr.write(`${(e as Error).stack ?? e}\n`);
    await stopAll();
    process.exit(1);
  });
}
