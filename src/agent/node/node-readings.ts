/**
 * What the node agent reads from its host for the Node object: CPU, memory, the data directory's
 * filesystem, PIDs, identity (boot, machine and system ids), OS facts and addresses. These are the
 * facts the kubelet takes from cAdvisor's MachineInfo and VersionInfo, its pidlimit package and
 * nodestatus.NodeAddress.
 *
 * Each file format has a pure parser beside the one async reader, `readHostReadings`, which is the
 * only function here that touches the host. Paths are resolved under `root` so tests can point
 * the reader at a fake tree.
 */
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { NodeAddress } from 'kubernetes-types/core/v1.js';

/** One reading of the host. Byte counts are plain numbers (exact below 8 PiB). */
export interface HostReadings {
  /** CPU available to the agent in millicores: online CPUs, lowered by a cgroup CPU quota. */
  cpuMillis: number;
  /** MemTotal, in bytes. */
  memoryCapacityBytes: number;
  /** MemAvailable (or an estimate on kernels without it), in bytes. */
  memoryAvailableBytes: number;
  /** The filesystem holding the data directory (the kubelet's nodefs). */
  fs: FsReading;
  /** The PID limit (smaller of pid_max and threads-max) and the tasks now running. */
  pid: { max: number; running: number };
  bootID: string;
  machineID: string;
  systemUUID: string;
  kernelVersion: string;
  osImage: string;
  operatingSystem: 'linux';
  /** Go's name for the architecture (amd64, arm64, ...), as the kubelet reports GOARCH. */
  architecture: string;
  /** Lower-cased host name, as the kubelet derives its default node name. */
  hostname: string;
  /** InternalIP then Hostname, the kubelet's order without a cloud provider. */
  addresses: NodeAddress[];
}

export interface FsReading {
  capacityBytes: number;
  availableBytes: number;
  inodes: number;
  inodesFree: number;
}

export interface ReadHostOptions {
  /** The address to report as InternalIP (`--node-ip`); else the first non-internal IPv4. */
  nodeIP?: string;
  /** Overrides the host name (`--hostname-override`). */
  hostname?: string;
  /** Prefix for every absolute path read (tests); default `/`. */
  root?: string;
  /** Injected for tests; default `os.networkInterfaces`. */
  networkInterfaces?: () => NodeJS.Dict<os.NetworkInterfaceInfo[]>;
}

/** Reads everything the Node object needs. Only identity files that are absent degrade to ''. */
export async function readHostReadings(dataDir: string, opts: ReadHostOptions = {}): Promise<HostReadings> {
  const root = opts.root ?? '/';
  const at = (p: string): string => path.join(root, p);
  const read = (p: string): Promise<string | undefined> => fsp.readFile(at(p), 'utf8').catch(() => undefined);

  const [meminfo, loadavg, pidMax, threadsMax, bootID, osRelease, cpuQuota, fsReading] = await Promise.all([
    read('/proc/meminfo'),
    read('/proc/loadavg'),
    read('/proc/sys/kernel/pid_max'),
    read('/proc/sys/kernel/threads-max'),
    read('/proc/sys/kernel/random/boot_id'),
    read('/etc/os-release'),
    readCgroupCpuQuota(root),
    readFs(dataDir),
  ]);
  const machineID = parseMachineId((await read('/etc/machine-id')) ?? (await read('/var/lib/dbus/machine-id')) ?? '');
  const productUuid = parseMachineId((await read('/sys/class/dmi/id/product_uuid')) ?? '');
  const mem = parseMeminfo(meminfo ?? '');
  const hostname = (opts.hostname ?? os.hostname()).trim().toLowerCase();
  const internalIP = opts.nodeIP ?? firstExternalIPv4((opts.networkInterfaces ?? os.networkInterfaces)()) ?? '127.0.0.1';

  return {
    cpuMillis: cpuMillis(os.availableParallelism(), cpuQuota),
    memoryCapacityBytes: mem.totalBytes,
    memoryAvailableBytes: mem.availableBytes,
    fs: fsReading,
    pid: {
      max: pidLimit(parseIntFile(pidMax), parseIntFile(threadsMax)),
      running: parseLoadavgTasks(loadavg ?? '')?.total ?? 0,
    },
    bootID: (bootID ?? '').trim(),
    machineID,
    systemUUID: productUuid || machineID,
    kernelVersion: os.release(),
    osImage: parseOsReleasePrettyName(osRelease ?? ''),
    operatingSystem: 'linux',
    architecture: goArch(process.arch, os.endianness()),
    hostname,
    addresses: [
      { type: 'InternalIP', address: internalIP },
      { type: 'Hostname', address: hostname },
    ],
  };
}

/** statfs of `dir`, or of its nearest existing ancestor when the data dir is not made yet. */
async function readFs(dir: string): Promise<FsReading> {
  let p = path.resolve(dir);
  for (;;) {
    try {
      return fsReadingFromStatfs(await fsp.statfs(p));
    } catch (e) {
      const parent = path.dirname(p);
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || parent === p) throw e;
      p = parent;
    }
  }
}

/** The fields the kubelet reports from statfs: blocks × block size, and inodes. */
export function fsReadingFromStatfs(s: { bsize: number; blocks: number; bavail: number; files: number; ffree: number }): FsReading {
  return { capacityBytes: s.blocks * s.bsize, availableBytes: s.bavail * s.bsize, inodes: s.files, inodesFree: s.ffree };
}

/**
 * The CPU quota of this process's cgroup and its ancestors, the tightest one, in CPUs (fractional);
 * undefined when unlimited. cgroup v2 `cpu.max`, else v1 `cpu.cfs_quota_us` / `cpu.cfs_period_us`.
 */
async function readCgroupCpuQuota(root: string): Promise<number | undefined> {
  const self = await fsp.readFile(path.join(root, '/proc/self/cgroup'), 'utf8').catch(() => '');
  const cg = parseProcSelfCgroup(self);
  const read = (p: string): Promise<string | undefined> => fsp.readFile(path.join(root, p), 'utf8').catch(() => undefined);
  let best: number | undefined;
  const consider = (q: number | undefined): void => {
    if (q !== undefined && (best === undefined || q < best)) best = q;
  };
  if (cg.unified !== undefined) {
    for (const dir of selfAndAncestors(cg.unified)) consider(parseCpuMax((await read(path.posix.join('/sys/fs/cgroup', dir, 'cpu.max'))) ?? ''));
  }
  if (best === undefined && cg.v1cpu !== undefined) {
    for (const dir of selfAndAncestors(cg.v1cpu)) {
      const base = path.posix.join('/sys/fs/cgroup/cpu', dir);
      consider(parseCfsQuota((await read(`${base}/cpu.cfs_quota_us`)) ?? '', (await read(`${base}/cpu.cfs_period_us`)) ?? ''));
    }
  }
  return best;
}

function selfAndAncestors(dir: string): string[] {
  const out: string[] = [];
  let d = path.posix.normalize(`/${dir}`);
  for (;;) {
    out.push(d);
    if (d === '/') return out;
    d = path.posix.dirname(d);
  }
}

/** `/proc/self/cgroup`: the v2 path (`0::/path`) and the v1 `cpu` controller's path. */
export function parseProcSelfCgroup(text: string): { unified?: string; v1cpu?: string } {
  const out: { unified?: string; v1cpu?: string } = {};
  for (const line of text.split('\n')) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line.trim());
    if (!m) continue;
    const [, id, controllers, p] = m;
    if (id === '0' && controllers === '') out.unified = p;
    else if (controllers!.split(',').includes('cpu')) out.v1cpu = p;
  }
  return out;
}

/** cgroup v2 `cpu.max` (`<quota|max> <period>`) as CPUs; undefined for `max` or nonsense. */
export function parseCpuMax(text: string): number | undefined {
  const [quota, period = '100000'] = text.trim().split(/\s+/);
  if (!quota || quota === 'max') return undefined;
  const q = Number(quota);
  const p = Number(period);
  return q > 0 && p > 0 && Number.isFinite(q / p) ? q / p : undefined;
}

/** cgroup v1 CFS quota/period as CPUs; undefined for -1 (unlimited). */
export function parseCfsQuota(quota: string, period: string): number | undefined {
  const q = Number(quota.trim());
  const p = Number(period.trim());
  return quota.trim() !== '' && q > 0 && p > 0 ? q / p : undefined;
}

/** Online CPUs in millicores, lowered to the quota when one is set; never below 1m. */
export function cpuMillis(onlineCpus: number, quotaCpus?: number): number {
  const online = Math.max(1, onlineCpus) * 1000;
  if (quotaCpus === undefined) return online;
  return Math.max(1, Math.min(online, Math.floor(quotaCpus * 1000)));
}

/**
 * `/proc/meminfo` in bytes. Without MemAvailable (kernels before 3.14) the estimate is
 * MemFree + Buffers + Cached.
 */
export function parseMeminfo(text: string): { totalBytes: number; availableBytes: number } {
  const bytes = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([\w()]+):\s+(\d+)(\s+kB)?$/.exec(line.trim());
    if (m) bytes.set(m[1]!, Number(m[2]) * (m[3] ? 1024 : 1));
  }
  const total = bytes.get('MemTotal') ?? 0;
  const available = bytes.get('MemAvailable') ?? (bytes.get('MemFree') ?? 0) + (bytes.get('Buffers') ?? 0) + (bytes.get('Cached') ?? 0);
  return { totalBytes: total, availableBytes: available };
}

/** `/proc/loadavg` field 4, `running/total` scheduling entities; undefined when malformed. */
export function parseLoadavgTasks(text: string): { running: number; total: number } | undefined {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim().split(/\s+/)[3] ?? '');
  return m ? { running: Number(m[1]), total: Number(m[2]) } : undefined;
}

function parseIntFile(text: string | undefined): number | undefined {
  const n = Number((text ?? '').trim());
  return text !== undefined && Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

/** The kubelet's MaxPID: the smaller of pid_max and threads-max (either may be unreadable). */
export function pidLimit(pidMax: number | undefined, threadsMax: number | undefined): number {
  const known = [pidMax, threadsMax].filter((n): n is number => n !== undefined);
  return known.length ? Math.min(...known) : 32768;
}

/** `/etc/machine-id` and `product_uuid`: the trimmed first line. */
export function parseMachineId(text: string): string {
  return (text.split('\n')[0] ?? '').trim();
}

/**
 * PRETTY_NAME from `/etc/os-release` (shell-style assignment, value optionally quoted, with
 * backslash escapes inside double quotes); `Linux` when absent, as cAdvisor falls back.
 */
export function parseOsReleasePrettyName(text: string): string {
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line.startsWith('PRETTY_NAME=')) continue;
    const v = line.slice('PRETTY_NAME='.length);
    if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) return v.slice(1, -1).replace(/\\([\\"$`])/g, '$1') || 'Linux';
    if (v.length >= 2 && v.startsWith("'") && v.endsWith("'")) return v.slice(1, -1) || 'Linux';
    return v || 'Linux';
  }
  return 'Linux';
}

/** Node's `process.arch` as Go's GOARCH. */
export function goArch(nodeArch: string, endianness: 'BE' | 'LE' = 'LE'): string {
  switch (nodeArch) {
    case 'x64':
      return 'amd64';
    case 'ia32':
      return '386';
    case 'arm64':
    case 'arm':
    case 's390x':
    case 'riscv64':
    case 'loong64':
    case 'mips':
      return nodeArch;
    case 'mipsel':
      return 'mipsle';
    case 'ppc64':
      return endianness === 'LE' ? 'ppc64le' : 'ppc64';
    default:
      return nodeArch;
  }
}

/** The first non-internal IPv4 address, in the order the interfaces are listed. */
export function firstExternalIPv4(ifaces: NodeJS.Dict<os.NetworkInterfaceInfo[]>): string | undefined {
  for (const list of Object.values(ifaces)) {
    for (const a of list ?? []) {
      // Node 18.0–18.3 reported the family as a number.
      const v4 = a.family === 'IPv4' || (a.family as unknown) === 4;
      if (v4 && !a.internal) return a.address;
    }
  }
  return undefined;
}
