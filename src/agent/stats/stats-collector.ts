/**
 * The agent's resource stats (the role cAdvisor and the CRI stats provider play for the
 * kubelet): every period it reads the node's CPU and memory and those of every running
 * container, keeping the last two points of each so that CPU rates can be given. The runtime
 * says which containers exist and where each one's usage is found (its cgroup, else its process
 * session); series of containers that are gone are dropped at the next read.
 */
import { type Clock, realClock, sleep } from '../../client/clock.js';
import type { Logger } from '../../util/logger.js';
import { podLabels } from '../runtime-config.js';
import type { ContainerRuntime, ContainerStatsSource, ContainerStatus, PodSandboxStatus } from '../runtime/runtime.js';
import { type HostReader, ProcHostReader } from './host-reader.js';
import type { ProcProcess } from './proc-files.js';
import { accountSession, type SessionAccount } from './session-accounting.js';
import { buildSummary, type PodInput, type Summary } from './summary.js';
import { type UsagePoint, UsageSeries } from './usage.js';
import { type ContainerReading, cgroupName } from './cadvisor-metrics.js';

/** Where the cgroup hierarchies are mounted (cAdvisor names cgroups below it). */
const CGROUP_MOUNT = '/sys/fs/cgroup';

export interface StatsCollectorOptions {
  runtime: ContainerRuntime;
  nodeName: string;
  reader?: HostReader;
  clock?: Clock;
  /** How often usage is read (default 10 s, the kubelet's housekeeping interval). */
  periodMs?: number;
  /** The gap between the first two reads, so that rates are known soon after start (default 1 s). */
  firstIntervalMs?: number;
  /** A just-started container's CPU rate is given over at least this span since its start (default 1 s). */
  minWindowMs?: number;
  logger?: Logger;
}

interface ContainerTrack {
  series: UsageSeries;
  account?: SessionAccount;
  /** Identifies the container in the pod's summary. */
  status: ContainerStatus;
  /** Its cgroup as cAdvisor names it, when it has one. */
  cgroupName?: string;
}

export class StatsCollector {
  private readonly reader: HostReader;
  private readonly clock: Clock;
  private readonly node = new UsageSeries();
  private nodeAvailableBytes?: number;
  private bootTimeMs = 0;
  private readonly containers = new Map<string, ContainerTrack>();
  private sandboxes = new Map<string, PodSandboxStatus>();
  private lastError?: string;
  private reading?: Promise<void>;

  constructor(private readonly opts: StatsCollectorOptions) {
    this.reader = opts.reader ?? new ProcHostReader();
    this.clock = opts.clock ?? realClock;
  }

  /** Reads usage every period until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    let first = true;
    while (!signal.aborted) {
      await this.collect();
      await sleep(this.clock, first ? Math.min(this.opts.firstIntervalMs ?? 1000, this.periodMs) : this.periodMs, signal);
      first = false;
    }
  }

  get periodMs(): number {
    return this.opts.periodMs ?? 10_000;
  }

  /** One read of everything; errors are logged (once per distinct message), never thrown. Concurrent calls share one read. */
  collect(): Promise<void> {
    this.reading ??= this.read()
      .then(
        () => (this.lastError = undefined),
        (err: unknown) => {
          const msg = err instanceof Error ? err.message : String(err);
          if (msg !== this.lastError) this.opts.logger?.warn('cannot read resource stats', { error: msg });
          this.lastError = msg;
        },
      )
      .finally(() => (this.reading = undefined));
    return this.reading;
  }

  /** The Summary API document from the latest reads. */
  summary(): Summary {
    const pods = new Map<string, PodInput>();
    for (const t of this.containers.values()) {
      const sb = this.sandboxes.get(t.status.sandboxId);
      const uid = sb?.metadata.uid ?? t.status.labels[podLabels.uid] ?? '';
      let pod = pods.get(uid);
      if (!pod) {
        pod = {
          uid,
          name: sb?.metadata.name ?? t.status.labels[podLabels.name] ?? '',
          namespace: sb?.metadata.namespace ?? t.status.labels[podLabels.namespace] ?? '',
          startTimeMs: sb?.createdAt ?? t.status.createdAt,
          containers: [],
        };
        pods.set(uid, pod);
      }
      pod.containers.push({ name: t.status.metadata.name, startedAtMs: t.status.startedAt, series: t.series });
    }
    return buildSummary({
      nodeName: this.opts.nodeName,
      bootTimeMs: this.bootTimeMs,
      node: this.node,
      nodeAvailableBytes: this.nodeAvailableBytes,
      pods: [...pods.values()],
      minWindowMs: this.opts.minWindowMs,
    });
  }

  /** Each running container's latest reading, with its identity (for /metrics/cadvisor). */
  containerReadings(): ContainerReading[] {
    const out: ContainerReading[] = [];
    for (const t of this.containers.values()) {
      const point = t.series.latest();
      if (!point) continue;
      const sb = this.sandboxes.get(t.status.sandboxId);
      out.push({
        id: t.status.id,
        name: t.status.metadata.name,
        image: t.status.image,
        pod: sb?.metadata.name ?? t.status.labels[podLabels.name] ?? '',
        namespace: sb?.metadata.namespace ?? t.status.labels[podLabels.namespace] ?? '',
        ...(t.cgroupName !== undefined ? { cgroupName: t.cgroupName } : {}),
        startedAtMs: t.status.startedAt,
        point,
      });
    }
    return out;
  }

  /** The node's latest reading. */
  nodeReading(): UsagePoint | undefined {
    return this.node.latest();
  }

  /** Whether the last read failed. */
  readFailed(): boolean {
    return this.lastError !== undefined;
  }

  private async read(): Promise<void> {
    const rt = this.opts.runtime;
    const [sandboxes, all] = await Promise.all([rt.listPodSandboxes(), rt.listContainers()]);
    const running = all.filter((c) => c.state === 'CONTAINER_RUNNING');
    const sources = await Promise.all(running.map((c) => (rt.containerStatsSource ? rt.containerStatsSource(c.id).catch(() => undefined) : Promise.resolve(undefined))));
    const at = this.clock.now();
    const wantProcesses = sources.some((s) => s && !s.cgroup && s.sessionId !== undefined);
    const [units, procs, cpu, mem, boot] = await Promise.all([
      this.reader.units(),
      wantProcesses ? this.reader.processes() : Promise.resolve([] as ProcProcess[]),
      this.reader.nodeCpu(),
      this.reader.nodeMemory(),
      this.bootTimeMs ? Promise.resolve(this.bootTimeMs) : this.reader.bootTime(),
    ]);
    this.bootTimeMs = boot ?? 0;
    const ticksToNs = (ticks: number) => (ticks * 1e9) / units.ticksPerSecond;

    if (cpu && mem) {
      const workingSet = mem.totalBytes - mem.availableBytes;
      this.node.push({ timestampMs: at, cpuNs: ticksToNs(cpu.busy), workingSetBytes: workingSet, usageBytes: mem.totalBytes - mem.freeBytes, rssBytes: workingSet });
      this.nodeAvailableBytes = mem.availableBytes;
    }

    const bySession = new Map<number, ProcProcess[]>();
    for (const p of procs) {
      let list = bySession.get(p.session);
      if (!list) bySession.set(p.session, (list = []));
      list.push(p);
    }
    const seen = new Set<string>();
    await Promise.all(
      running.map(async (c, i) => {
        const source: ContainerStatsSource | undefined = sources[i];
        if (!source) return;
        seen.add(c.id);
        let track = this.containers.get(c.id);
        if (!track) this.containers.set(c.id, (track = { series: new UsageSeries(), status: c }));
        track.status = c;
        if (source.cgroup) {
          const cg = source.cgroup;
          track.cgroupName = cg.version === 2 ? cgroupName(cg.dir, CGROUP_MOUNT) : cgroupName(cg.memoryDir, `${CGROUP_MOUNT}/memory`);
          const u = await this.reader.cgroup(source.cgroup);
          if (u) track.series.push({ timestampMs: at, cpuNs: u.cpuNs, workingSetBytes: u.workingSetBytes, usageBytes: u.usageBytes, rssBytes: u.workingSetBytes });
          return;
        }
        if (source.sessionId === undefined) return;
        const r = accountSession(track.account, bySession.get(source.sessionId) ?? []);
        track.account = r.account;
        const rss = r.rssPages * units.pageSize;
        track.series.push({ timestampMs: at, cpuNs: ticksToNs(r.cpuTicks), workingSetBytes: rss, usageBytes: rss, rssBytes: rss });
      }),
    );
    for (const id of this.containers.keys()) if (!seen.has(id)) this.containers.delete(id);
    this.sandboxes = new Map(sandboxes.map((s) => [s.id, s]));
  }
}
