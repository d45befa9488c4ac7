import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { FakeClock } from '../../client/clock.js';
import type { ContainerRuntime, ContainerStatsSource, ContainerStatus, PodSandboxStatus } from '../runtime/runtime.js';
import { type HostReader, ProcHostReader } from './host-reader.js';
import type { ProcProcess } from './proc-files.js';
import { StatsCollector } from './stats-collector.js';
import { agentCounts } from './stats-routes.js';

const T0 = Date.UTC(2024, 0, 1, 12, 0, 0);

function sandbox(id: string, name: string): PodSandboxStatus {
  return { id, metadata: { name, namespace: 'default', uid: `uid-${name}`, attempt: 0 }, state: 'SANDBOX_READY', createdAt: T0 - 60_000, ips: [], labels: {}, annotations: {} };
}

function container(id: string, sandboxId: string, name: string, state: ContainerStatus['state'] = 'CONTAINER_RUNNING'): ContainerStatus {
  return { id, sandboxId, metadata: { name, attempt: 0 }, state, image: 'busybox', createdAt: T0 - 50_000, startedAt: T0 - 50_000, finishedAt: 0, exitCode: 0, reason: '', message: '', logPath: '', labels: {}, annotations: {} };
}

/** A runtime with fixed sandboxes and containers; sources by container id. */
function fakeRuntime(sandboxes: PodSandboxStatus[], containers: () => ContainerStatus[], sources: Record<string, ContainerStatsSource>): ContainerRuntime {
  return {
    listPodSandboxes: async () => sandboxes,
    listContainers: async () => containers(),
    containerStatsSource: async (id: string) => sources[id],
  } as unknown as ContainerRuntime;
}

/** A host whose readings the test sets. */
class FakeHost implements HostReader {
  procs: ProcProcess[] = [];
  busy = 0;
  cgroupCpuNs = 0;
  async units() {
    return { ticksPerSecond: 100, pageSize: 4096 };
  }
  async processes() {
    return this.procs;
  }
  async nodeCpu() {
    return { busy: this.busy, idle: 0, steal: 0 };
  }
  async nodeMemory() {
    return { totalBytes: 8 * 2 ** 30, freeBytes: 4 * 2 ** 30, availableBytes: 6 * 2 ** 30 };
  }
  async bootTime() {
    return T0 - 86_400_000;
  }
  async cgroup() {
    return { cpuNs: this.cgroupCpuNs, usageBytes: 3 * 2 ** 20, workingSetBytes: 2 * 2 ** 20 };
  }
}

const proc = (pid: number, session: number, own: number, rssPages: number): ProcProcess => ({ pid, ppid: session === pid ? 1 : session, session, state: 'S', ownTicks: own, childTicks: 0, startTime: `${pid}`, rssPages });

test('reads node and container usage each time and gives rates from the last two reads', async () => {
  const clock = new FakeClock(T0);
  const host = new FakeHost();
  let list = [container('c1', 's1', 'burn'), container('c2', 's2', 'mem'), container('c3', 's2', 'side')];
  const rt = fakeRuntime([sandbox('s1', 'burner'), sandbox('s2', 'holder')], () => list, { c1: { sessionId: 500 }, c2: { sessionId: 600 }, c3: { cgroup: { version: 2, dir: '/sys/fs/cgroup/x' } } });
  const stats = new StatsCollector({ runtime: rt, nodeName: 'n1', reader: host, clock });

  host.busy = 10_000;
  host.procs = [proc(500, 500, 1000, 10), proc(501, 500, 0, 5), proc(600, 600, 5, 25_600), proc(700, 700, 99_999, 1)];
  await stats.collect();
  clock.step(10_000);
  host.busy = 11_500;
  host.cgroupCpuNs = 2e9;
  host.procs = [proc(500, 500, 2000, 10), proc(501, 500, 0, 5), proc(600, 600, 5, 25_600)];
  await stats.collect();

  const s = stats.summary();
  // 1500 ticks of the node over 10 s: 1.5 cores.
  assert.equal(s.node.cpu?.usageNanoCores, 1_500_000_000);
  assert.equal(s.node.memory?.workingSetBytes, 2 * 2 ** 30);
  assert.equal(s.node.startTime, '2023-12-31T12:00:00Z');
  const burner = s.pods.find((p) => p.podRef.name === 'burner')!;
  assert.deepEqual(burner.podRef, { name: 'burner', namespace: 'default', uid: 'uid-burner' });
  // 1000 ticks in 10 s: one core; RSS of both processes.
  assert.equal(burner.containers[0]!.cpu?.usageNanoCores, 1_000_000_000);
  assert.equal(burner.containers[0]!.cpu?.usageCoreNanoSeconds, 20e9);
  assert.equal(burner.containers[0]!.memory?.workingSetBytes, 15 * 4096);
  const holder = s.pods.find((p) => p.podRef.name === 'holder')!;
  assert.deepEqual(holder.containers.map((c) => c.name), ['mem', 'side']);
  assert.equal(holder.containers[0]!.memory?.workingSetBytes, 100 * 2 ** 20);
  assert.equal(holder.containers[1]!.memory?.workingSetBytes, 2 * 2 ** 20);
  // The cgroup container went from nothing to 2 s since it started 60 s before: from its start.
  assert.equal(holder.containers[1]!.cpu?.usageCoreNanoSeconds, 2e9);

  // A container that stopped running leaves the summary at the next read.
  list = [container('c1', 's1', 'burn', 'CONTAINER_EXITED'), list[1]!, list[2]!];
  clock.step(10_000);
  await stats.collect();
  assert.deepEqual(stats.summary().pods.map((p) => p.podRef.name), ['holder']);
  assert.deepEqual(await agentCounts(rt, 'n1'), { nodeName: 'n1', runningPods: 2, containersByState: { created: 0, exited: 1, running: 2, unknown: 0 } });
});

test('a failing read is logged once and does not throw', async () => {
  const warnings: string[] = [];
  const logger = { debug() {}, info() {}, warn: (m: string) => warnings.push(m), error() {}, child: () => logger };
  const rt = { listPodSandboxes: async () => Promise.reject(new Error('runtime closed')), listContainers: async () => [] } as unknown as ContainerRuntime;
  const stats = new StatsCollector({ runtime: rt, nodeName: 'n1', reader: new FakeHost(), clock: new FakeClock(T0), logger });
  await stats.collect();
  await stats.collect();
  assert.equal(warnings.length, 1);
  assert.equal(stats.summary().node.cpu, undefined);
});

test('run reads at once, then after the first interval, then every period, until aborted', async () => {
  const clock = new FakeClock(T0);
  const host = new FakeHost();
  let reads = 0;
  const rt = { listPodSandboxes: async () => (reads++, []), listContainers: async () => [] } as unknown as ContainerRuntime;
  const stats = new StatsCollector({ runtime: rt, nodeName: 'n1', reader: host, clock, periodMs: 10_000, firstIntervalMs: 1000 });
  const ac = new AbortController();
  const done = stats.run(ac.signal);
  const settle = async () => {
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  };
  await settle();
  assert.equal(reads, 1);
  clock.step(1000);
  await settle();
  assert.equal(reads, 2);
  clock.step(9_999);
  await settle();
  assert.equal(reads, 2);
  clock.step(1);
  await settle();
  assert.equal(reads, 3);
  ac.abort();
  await done;
});

test('the host reader finds this process and the node readings', { skip: !existsSync('/proc/self/stat') && 'no /proc on this host' }, async () => {
  const r = new ProcHostReader();
  const procs = await r.processes();
  const me = procs.find((p) => p.pid === process.pid);
  assert.ok(me, 'this process is listed');
  assert.ok(me.rssPages > 0);
  assert.ok(((await r.nodeCpu())?.busy ?? 0) > 0);
  assert.ok(((await r.nodeMemory())?.totalBytes ?? 0) > 0);
  assert.ok(((await r.bootTime()) ?? 0) > 0);
  const u = await r.units();
  assert.ok(u.ticksPerSecond > 0 && u.pageSize > 0);
});

test("containerReadings: each running container's latest point with its identity and cgroup name", async () => {
  const clock = new FakeClock(T0);
  const host = new FakeHost();
  host.cgroupCpuNs = 3e9;
  host.procs = [proc(500, 500, 100, 10)];
  const rt = fakeRuntime([sandbox('s1', 'burner')], () => [container('c1', 's1', 'burn'), container('c2', 's1', 'side')], {
    c1: { sessionId: 500 },
    c2: { cgroup: { version: 2, dir: '/sys/fs/cgroup/capstan/s1/c2' } },
  });
  const stats = new StatsCollector({ runtime: rt, nodeName: 'n1', reader: host, clock });
  assert.deepEqual(stats.containerReadings(), []);
  assert.equal(stats.nodeReading(), undefined);
  await stats.collect();
  const r = Object.fromEntries(stats.containerReadings().map((c) => [c.name, c]));
  assert.deepEqual(Object.keys(r).sort(), ['burn', 'side']);
  assert.equal(r.burn!.id, 'c1');
  assert.equal(r.burn!.pod, 'burner');
  assert.equal(r.burn!.namespace, 'default');
  assert.equal(r.burn!.image, 'busybox');
  assert.equal(r.burn!.cgroupName, undefined);
  assert.equal(r.burn!.point.cpuNs, 1e9);
  assert.equal(r.side!.cgroupName, '/capstan/s1/c2');
  assert.equal(r.side!.point.cpuNs, 3e9);
  assert.equal(r.side!.startedAtMs, T0 - 50_000);
  assert.equal(stats.nodeReading()?.timestampMs, T0);
  assert.equal(stats.readFailed(), false);
});
