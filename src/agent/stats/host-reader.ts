/**
 * Reads the host's /proc and cgroup files for resource stats: the I/O edge of the stats
 * collector, behind the HostReader interface so that tests can feed it fixed readings.
 */
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ContainerStatsSource } from '../runtime/runtime.js';
import {
  cgroupV1Usage,
  cgroupV2Usage,
  parseBootTime,
  parseMeminfo,
  parseNodeCpu,
  parseProcessStat,
  type CgroupUsage,
  type NodeCpuTicks,
  type NodeMemory,
  type ProcProcess,
} from './proc-files.js';

export interface HostReader {
  /** Clock ticks per second (USER_HZ) and the page size, which /proc values are counted in. */
  units(): Promise<{ ticksPerSecond: number; pageSize: number }>;
  /** Every process on the host (those that exit while being read are left out). */
  processes(): Promise<ProcProcess[]>;
  nodeCpu(): Promise<NodeCpuTicks | undefined>;
  nodeMemory(): Promise<NodeMemory | undefined>;
  /** When the host booted (ms since the epoch). */
  bootTime(): Promise<number | undefined>;
  cgroup(source: NonNullable<ContainerStatsSource['cgroup']>): Promise<CgroupUsage | undefined>;
}

const run = promisify(execFile);

async function getconf(name: string, fallback: number): Promise<number> {
  try {
    const { stdout } = await run('getconf', [name], { timeout: 5000 });
    const n = Number(stdout.trim());
    return Number.isInteger(n) && n > 0 ? n : fallback;
  } catch {
    return fallback;
  }
}

const readOr = (file: string) => readFile(file, 'latin1').catch(() => undefined);

/** Reads the real host under `procRoot` (default /proc). */
export class ProcHostReader implements HostReader {
  private unitsRead?: Promise<{ ticksPerSecond: number; pageSize: number }>;

  constructor(private readonly procRoot = '/proc') {}

  units(): Promise<{ ticksPerSecond: number; pageSize: number }> {
    // Linux fixes USER_HZ at 100 on every architecture the agent runs on; getconf confirms it.
    this.unitsRead ??= Promise.all([getconf('CLK_TCK', 100), getconf('PAGESIZE', 4096)]).then(([ticksPerSecond, pageSize]) => ({ ticksPerSecond, pageSize }));
    return this.unitsRead;
  }

  async processes(): Promise<ProcProcess[]> {
    const pids = (await readdir(this.procRoot)).filter((n) => /^\d+$/.test(n));
    const out: ProcProcess[] = [];
    // In batches, so that a host with many processes does not open them all at once.
    for (let i = 0; i < pids.length; i += 128) {
      const texts = await Promise.all(pids.slice(i, i + 128).map((pid) => readOr(join(this.procRoot, pid, 'stat'))));
      for (const t of texts) {
        const p = t === undefined ? undefined : parseProcessStat(t);
        if (p) out.push(p);
      }
    }
    return out;
  }

  async nodeCpu(): Promise<NodeCpuTicks | undefined> {
    const t = await readOr(join(this.procRoot, 'stat'));
    return t === undefined ? undefined : parseNodeCpu(t);
  }

  async nodeMemory(): Promise<NodeMemory | undefined> {
    const t = await readOr(join(this.procRoot, 'meminfo'));
    return t === undefined ? undefined : parseMeminfo(t);
  }

  async bootTime(): Promise<number | undefined> {
    const t = await readOr(join(this.procRoot, 'stat'));
    return t === undefined ? undefined : parseBootTime(t);
  }

  async cgroup(source: NonNullable<ContainerStatsSource['cgroup']>): Promise<CgroupUsage | undefined> {
    if (source.version === 2) {
      const [cpu, current, stat] = await Promise.all(['cpu.stat', 'memory.current', 'memory.stat'].map((f) => readOr(join(source.dir, f))));
      return cpu === undefined || current === undefined ? undefined : cgroupV2Usage(cpu, current, stat ?? '');
    }
    const [cpu, usage, stat] = await Promise.all([readOr(join(source.cpuacctDir, 'cpuacct.usage')), readOr(join(source.memoryDir, 'memory.usage_in_bytes')), readOr(join(source.memoryDir, 'memory.stat'))]);
    return cpu === undefined || usage === undefined ? undefined : cgroupV1Usage(cpu, usage, stat ?? '');
  }
}
