/**
 * Parsers for the Linux files resource stats are read from: /proc/<pid>/stat (one process),
 * /proc/stat (the node's CPU), /proc/meminfo (the node's memory) and the cgroup v1/v2 files a
 * container's cgroup holds. Pure functions over text; every parser returns undefined for text it
 * cannot read rather than throwing, because a process may exit half-way through a read.
 */

/** One process as /proc/<pid>/stat describes it. Times are in clock ticks (USER_HZ). */
export interface ProcProcess {
  pid: number;
  /** Field 3: R, S, D, Z (zombie), X, ... */
  state: string;
  ppid: number;
  session: number;
  /** CPU time the process itself used (utime + stime). */
  ownTicks: number;
  /** CPU time of its children that it has waited for (cutime + cstime). */
  childTicks: number;
  /** Start time in ticks since boot: with the pid, what identifies a process. */
  startTime: string;
  /** Resident set size in pages. */
  rssPages: number;
}

/** Parses /proc/<pid>/stat; the command name (field 2) may hold spaces and parentheses. */
export function parseProcessStat(text: string): ProcProcess | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const pid = Number(text.slice(0, open).trim());
  // f[0] is field 3 (state); field n is f[n - 3].
  const f = text.slice(close + 2).trim().split(/\s+/);
  if (f.length < 22 || !Number.isInteger(pid)) return undefined;
  const num = (n: number) => Number(f[n - 3]);
  const out: ProcProcess = {
    pid,
    state: f[0]!,
    ppid: num(4),
    session: num(6),
    ownTicks: num(14) + num(15),
    childTicks: num(16) + num(17),
    startTime: f[22 - 3]!,
    rssPages: num(24),
  };
  const numbers = [out.ppid, out.session, out.ownTicks, out.childTicks, out.rssPages];
  return numbers.every(Number.isFinite) && /^\d+$/.test(out.startTime) ? out : undefined;
}

/** The node's CPU time from the aggregate `cpu` line of /proc/stat, in ticks. */
export interface NodeCpuTicks {
  /** Time spent doing work: user + nice + system + irq + softirq (guest time is inside user and nice). */
  busy: number;
  /** idle + iowait. */
  idle: number;
  /** Time the hypervisor gave to others; neither ours nor idle. */
  steal: number;
}

export function parseNodeCpu(procStat: string): NodeCpuTicks | undefined {
  const line = procStat.split('\n').find((l) => /^cpu\s/.test(l));
  if (!line) return undefined;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  if (v.length < 4 || v.some((n) => !Number.isFinite(n))) return undefined;
  const at = (i: number) => v[i] ?? 0;
  return { busy: at(0) + at(1) + at(2) + at(5) + at(6), idle: at(3) + at(4), steal: at(7) };
}

/** /proc/meminfo values in bytes (its `kB` are KiB). */
export interface NodeMemory {
  totalBytes: number;
  freeBytes: number;
  availableBytes: number;
}

export function parseMeminfo(text: string): NodeMemory | undefined {
  const kib = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^(\w+):\s+(\d+)(?:\s+kB)?\s*$/.exec(line);
    if (m) kib.set(m[1]!, Number(m[2]));
  }
  const total = kib.get('MemTotal');
  const free = kib.get('MemFree');
  if (total === undefined || free === undefined) return undefined;
  // Kernels before 3.14 lack MemAvailable: estimate it from free memory and the page cache.
  const available = kib.get('MemAvailable') ?? free + (kib.get('Cached') ?? 0) + (kib.get('Buffers') ?? 0);
  return { totalBytes: total * 1024, freeBytes: free * 1024, availableBytes: Math.min(available, total) * 1024 };
}

/** `key value` lines (cgroup cpu.stat, memory.stat) as a map. */
export function parseFlatKeyed(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined && /^\d+$/.test(v)) out.set(k, Number(v));
  }
  return out;
}

/** What a container's cgroup says about it. */
export interface CgroupUsage {
  /** Cumulative CPU time in nanoseconds. */
  cpuNs: number;
  /** Memory charged to the cgroup (usage). */
  usageBytes: number;
  /** Usage less inactive file pages: the kubelet's working set. */
  workingSetBytes: number;
}

/** cgroup v2: cpu.stat (`usage_usec`), memory.current and memory.stat (`inactive_file`). */
export function cgroupV2Usage(cpuStat: string, memoryCurrent: string, memoryStat: string): CgroupUsage | undefined {
  const usec = parseFlatKeyed(cpuStat).get('usage_usec');
  const usage = Number(memoryCurrent.trim());
  if (usec === undefined || !/^\d+$/.test(memoryCurrent.trim())) return undefined;
  const inactive = parseFlatKeyed(memoryStat).get('inactive_file') ?? 0;
  return { cpuNs: usec * 1000, usageBytes: usage, workingSetBytes: Math.max(0, usage - inactive) };
}

/** cgroup v1: cpuacct.usage (ns), memory.usage_in_bytes and memory.stat (`total_inactive_file`). */
export function cgroupV1Usage(cpuacctUsage: string, memoryUsage: string, memoryStat: string): CgroupUsage | undefined {
  const cpu = cpuacctUsage.trim();
  const mem = memoryUsage.trim();
  if (!/^\d+$/.test(cpu) || !/^\d+$/.test(mem)) return undefined;
  const stat = parseFlatKeyed(memoryStat);
  const inactive = stat.get('total_inactive_file') ?? stat.get('inactive_file') ?? 0;
  const usage = Number(mem);
  return { cpuNs: Number(cpu), usageBytes: usage, workingSetBytes: Math.max(0, usage - inactive) };
}

/** The boot time (`btime`, seconds since the epoch) from /proc/stat, in ms. */
export function parseBootTime(procStat: string): number | undefined {
  const m = /^btime\s+(\d+)\s*$/m.exec(procStat);
  return m ? Number(m[1]) * 1000 : undefined;
}
