/**
 * Node agent benchmarks (issue 5, "Performance"), with the `process` runtime on this machine:
 *
 * 1. Cold start: from spawning `capstan server` (agent inside) on a fresh data dir to the first pod
 *    Running and Ready, the pod being created as soon as the API answers. Goal ≤ 2 s.
 * 2. Pod startup: a standalone `capstan agent` joins a server started with `--disable-agent`;
 *    `--pods` (100) pods are created at once (16 concurrent clients) and each is timed from its
 *    create request to the first watch event showing it Ready. Goal p99 ≤ 1 s.
 * 3. Agent overhead: the standalone agent's RSS with 0 pods and with the pods running (goal
 *    ≤ 60 MB at 100 pods), and its CPU over `--idle-seconds` (30) with them running (goal ≤ 2 %).
 *
 * Every pod runs `sleep 3600` as a host process; the benchmark deletes them all and kills any
 * container left over before it exits.
 *
 * Run: `node dist/bench/agent-bench.js [--pods 100] [--idle-seconds 30] [--settle-seconds 5]`
 * (`CAPSTAN_BENCH_AGENT_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR"` profiles the standalone agent.)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Connection, openWatch } from './lib/client.js';
import { machineBusyMs, processCpuMs } from './lib/cpu.js';
import { isMain } from './lib/main.js';
import { capstanBin, newDataDir, readCredentials, rssBytes, serverArgs, spawnServer, startServer, stopAll, stopProcess, type Credentials } from './lib/server.js';
import { fmt, passFail, percentile, printMachine, printTable } from './lib/stats.js';

interface Options {
  pods: number;
  idleSeconds: number;
  settleSeconds: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mib = (b: number) => (b / 1024 / 1024).toFixed(1);

function podManifest(name: string) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { bench: 'agent' } },
    spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'], resources: { requests: { cpu: '1m', memory: '1Mi' } } }] },
  };
}

type PodLike = { metadata?: { name?: string }; status?: { phase?: string; conditions?: { type: string; status: string }[] } };
const isReady = (p: PodLike) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

/** Kills the process group of every container an agent under `stateDir` started. */
function killContainers(runtimeDir: string): void {
  const root = join(runtimeDir, 'containers');
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

async function waitFor(what: string, fn: () => Promise<boolean>, timeoutMs: number, everyMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

async function deleteAllPods(conn: Connection): Promise<void> {
  await conn.request('DELETE', '/api/v1/namespaces/default/pods?labelSelector=bench%3Dagent', JSON.stringify({ kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: 0 }));
  await waitFor('pods gone', async () => (await conn.json<{ items: unknown[] }>('GET', '/api/v1/namespaces/default/pods?labelSelector=bench%3Dagent')).items.length === 0, 60_000, 200);
}

/** 1. Spawn to first pod Ready, agent inside the server, fresh data dir. */
async function coldStart(): Promise<{ ms: number; apiMs: number }> {
  const dataDir = newDataDir();
  const t0 = Date.now();
  const proc = spawnServer(serverArgs(dataDir, 0, undefined, true));
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  try {
    await waitFor('API ready', async () => /ready at https/.test(out), 30_000, 5);
    const apiMs = Date.now() - t0;
    const conn = new Connection(readCredentials(dataDir));
    await waitFor('pod created', async () => (await conn.request('POST', '/api/v1/namespaces/default/pods', JSON.stringify(podManifest('first')))).status === 201, 30_000, 10);
    await waitFor('first pod Ready', async () => isReady(await conn.json<PodLike>('GET', '/api/v1/namespaces/default/pods/first')), 30_000, 10);
    const ms = Date.now() - t0;
    await deleteAllPods(conn);
    conn.close();
    return { ms, apiMs };
  } finally {
    await stopProcess(proc);
    killContainers(join(dataDir, 'agent', 'runtime'));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function startAgent(creds: Credentials, serverDir: string, agentDir: string): { proc: ChildProcess; ready: Promise<void> } {
  const args = [capstanBin, 'agent', '--server', creds.url, '--token', creds.token, '--ca-file', join(serverDir, 'tls', 'ca.crt'), '--data-dir', agentDir, '--port', '0', '--bind-address', '127.0.0.1', '--node-ip', '127.0.0.1', '--node-name', 'bench-node', '--container-runtime', 'process', '--network', process.env.CAPSTAN_BENCH_NETWORK ?? 'host', '--log-level', 'warn'];
  const nodeArgs = (process.env.CAPSTAN_BENCH_AGENT_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const proc = spawn(process.execPath, [...nodeArgs, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const ready = waitFor('agent ready', async () => {
    if (proc.exitCode !== null) throw new Error(`agent exited:\n${out}`);
    return /agent is ready/.test(out);
  }, 30_000, 20);
  return { proc, ready };
}

async function main(argv: string[]): Promise<void> {
  const { values: v } = parseArgs({ args: argv, options: { pods: { type: 'string', default: '100' }, 'idle-seconds': { type: 'string', default: '30' }, 'settle-seconds': { type: 'string', default: '5' } }, strict: true });
  const o: Options = { pods: Number(v.pods), idleSeconds: Number(v['idle-seconds']), settleSeconds: Number(v['settle-seconds']) };
  await printMachine();

  const cold = await coldStart();
  console.log(`cold start: ready line ${cold.apiMs} ms, first pod Ready ${cold.ms} ms`);

  const server = await startServer({ readyTimeoutMs: 30_000 });
  const agentDir = newDataDir();
  const agent = startAgent(server, server.dataDir, agentDir);
  const rows: string[][] = [];
  try {
    await agent.ready;
    const conn = new Connection(server);
    await waitFor('node Ready', async () => {
      const n = await conn.json<PodLike>('GET', '/api/v1/nodes/bench-node');
      return n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
    }, 30_000, 50);
    await sleep(o.settleSeconds * 1000);
    const rss0 = rssBytes(agent.proc.pid!);

    // 2. Pod startup latency.
    const created = new Map<string, number>();
    const readyAt = new Map<string, number>();
    const scheduledAt = new Map<string, number>();
    const runningAt = new Map<string, number>();
    const list = await conn.json<{ metadata: { resourceVersion: string } }>('GET', '/api/v1/namespaces/default/pods?labelSelector=bench%3Dagent');
    const watch = await openWatch(server, `/api/v1/namespaces/default/pods?watch=1&labelSelector=bench%3Dagent&resourceVersion=${list.metadata.resourceVersion}`, (ev) => {
      const p = ev.object as PodLike & { spec?: { nodeName?: string } };
      const name = p.metadata?.name ?? '';
      const now = Date.now();
      if (!scheduledAt.has(name) && p.spec?.nodeName) scheduledAt.set(name, now);
      if (!runningAt.has(name) && p.status?.phase === 'Running') runningAt.set(name, now);
      if (!readyAt.has(name) && isReady(p)) readyAt.set(name, now);
    }, () => undefined);
    const names = Array.from({ length: o.pods }, (_, i) => `p-${i}`);
    const conns = Array.from({ length: 16 }, () => new Connection(server));
    const t0 = Date.now();
    let next = 0;
    await Promise.all(
      conns.map(async (c) => {
        for (;;) {
          const i = next++;
          if (i >= names.length) return;
          created.set(names[i]!, Date.now());
          const r = await c.request('POST', '/api/v1/namespaces/default/pods', JSON.stringify(podManifest(names[i]!)));
          if (r.status !== 201) throw new Error(`create ${names[i]}: HTTP ${r.status} ${r.body.toString().slice(0, 200)}`);
        }
      }),
    );
    await waitFor('all pods Ready', async () => readyAt.size >= o.pods, 120_000, 50);
    const allMs = Date.now() - t0;
    watch.close();
    const lat = names.map((n) => readyAt.get(n)! - created.get(n)!).sort((a, b) => a - b);
    const p50 = percentile(lat, 50);
    const p99 = percentile(lat, 99);
    const phase = (m: Map<string, number>) => percentile(names.map((n) => (m.get(n) ?? NaN) - created.get(n)!).sort((a, b) => a - b), 50);
    const phases = `create → scheduled p50 ${fmt(phase(scheduledAt), 0)} ms, → Running ${fmt(phase(runningAt), 0)} ms, → Ready ${fmt(p50, 0)} ms`;
    console.log(phases);

    // 3. Overhead with the pods running.
    await sleep(o.settleSeconds * 1000);
    const cpu0 = processCpuMs(agent.proc.pid!);
    const busy0 = machineBusyMs();
    const w0 = Date.now();
    await sleep(o.idleSeconds * 1000);
    const wallMs = Date.now() - w0;
    const agentPct = ((processCpuMs(agent.proc.pid!) - cpu0) / wallMs) * 100;
    const otherPct = ((machineBusyMs() - busy0) / wallMs) * 100 - agentPct;
    const rssN = rssBytes(agent.proc.pid!);

    rows.push(['cold start: spawn → first pod Ready (agent in the server, fresh data dir)', `**${fmt(cold.ms, 0)} ms** (ready line at ${fmt(cold.apiMs, 0)} ms: API serving and the node taking pods)`, '≤ 2 s', passFail(cold.ms <= 2000)]);
    rows.push([`pod startup, ${o.pods} pods created at once: create → Ready`, `p50 **${fmt(p50, 0)} ms**, p99 **${fmt(p99, 0)} ms**, max ${fmt(lat[lat.length - 1]!, 0)} ms; all Ready after ${fmt(allMs, 0)} ms (${phases})`, 'p99 ≤ 1 s', passFail(p99 <= 1000)]);
    rows.push(['agent RSS, 0 pods', `${mib(rss0)} MiB = ${(rss0 / 1e6).toFixed(1)} MB`, '-', '-']);
    rows.push([`agent RSS, ${o.pods} pods running`, `**${mib(rssN)} MiB = ${(rssN / 1e6).toFixed(1)} MB**`, '≤ 60 MB', passFail(rssN <= 60e6)]);
    rows.push([`agent CPU, ${o.pods} pods running, ${o.idleSeconds} s`, `**${agentPct.toFixed(2)} %** of a core (other load ${otherPct.toFixed(0)} %)`, '≤ 2 %', passFail(agentPct <= 2)]);

    await deleteAllPods(conn);
    for (const c of conns) c.close();
    conn.close();
  } finally {
    await stopProcess(agent.proc);
    killContainers(join(agentDir, 'runtime'));
    rmSync(agentDir, { recursive: true, force: true });
    await server.stop();
    await stopAll();
  }
  console.log(`\n## Node agent (process runtime)`);
  printTable(['benchmark', 'result', 'goal', 'pass/fail'], rows);
}

if (isMain(import.meta.url)) {
  main(process.argv.slice(2)).catch(async (e: Error) => {
    console.error(e.stack ?? e.message);
    await stopAll();
    process.exitCode = 1;
  });
}
