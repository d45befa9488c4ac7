/**
 * NVIDIA GPUs on the node: discovery through `nvidia-smi` (or `--fake-gpus N` simulated devices),
 * and the allocator that hands devices to containers the way the kubelet's device manager does
 * for the `nvidia.com/gpu` extended resource (pkg/kubelet/cm/devicemanager/manager.go): a device
 * belongs to at most one pod; an app container may take over devices its pod's init containers
 * used, since those have finished by then.
 *
 * The env a container gets names its devices by id (GPU-<uuid>, MIG-<uuid>) in both
 * NVIDIA_VISIBLE_DEVICES (what the NVIDIA device plugin sets by default, its `uuid` device-id
 * strategy) and CUDA_VISIBLE_DEVICES. The second is needed because Capstan's runtimes do not hide
 * device nodes the way the NVIDIA container runtime does, so CUDA itself must be told; ids are
 * used rather than indexes because CUDA numbers devices fastest-first unless told otherwise, which
 * need not match nvidia-smi's PCI order, and because MIG instances can only be named by id.
 */
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';

/** The extended resource name GPUs are advertised under. */
export const gpuResourceName = 'nvidia.com/gpu';

export interface GpuDevice {
  /** `GPU-<uuid>`, `MIG-<uuid>` (older drivers: `MIG-GPU-<uuid>/<gi>/<ci>`), or `fake-gpu-<n>`. */
  id: string;
  /** nvidia-smi's index: `0`, or `<gpu>:<mig device>` for a MIG instance (`0:1`). */
  index: string;
  name: string;
  memoryMiB?: number;
  mig: boolean;
  /** The host device nodes a container using this device needs (`/dev/nvidia<minor>`); none for simulated devices. */
  devicePaths?: string[];
}

/** Device nodes every container with a real NVIDIA device also needs, where the host has them. */
export const nvidiaControlDevices = ['/dev/nvidiactl', '/dev/nvidia-uvm', '/dev/nvidia-uvm-tools', '/dev/nvidia-modeset'];

export type ExecFn = (cmd: string, args: readonly string[]) => Promise<string>;

export interface DiscoverGpusOptions {
  /** Reads the driver's per-GPU information files (replaceable in tests). */
  readDriverInfo?: () => Promise<string>;
  /** Simulated devices instead of discovery (`--fake-gpus N`); 0 means none. */
  fakeGpus?: number;
  /** Runs a command and resolves with its stdout; rejects when it cannot run or fails. */
  exec?: ExecFn;
}

export const queryGpuArgs = ['--query-gpu=index,uuid,name,memory.total', '--format=csv,noheader,nounits'] as const;

/**
 * The node's GPUs: MIG instances replace the GPU they are carved from. Without nvidia-smi, or
 * when it fails (no driver loaded), the node has none.
 */
export async function discoverGpus(opts: DiscoverGpusOptions = {}): Promise<GpuDevice[]> {
  if (opts.fakeGpus !== undefined) return fakeGpus(opts.fakeGpus);
  const exec = opts.exec ?? execCommand;
  const [query, list, minors] = await Promise.all([
    exec('nvidia-smi', queryGpuArgs).catch(() => undefined),
    exec('nvidia-smi', ['-L']).catch(() => undefined),
    (opts.readDriverInfo ?? readDriverInfo)().then(parseDriverInformation, () => new Map<string, number>()),
  ]);
  if (query === undefined && list === undefined) return [];
  return withDeviceNodes(mergeGpuListings(parseGpuQuery(query ?? ''), parseNvidiaSmiList(list ?? '')), parseNvidiaSmiList(list ?? ''), minors);
}

/** The driver's per-GPU information files, concatenated (`/proc/driver/nvidia/gpus/<bus id>/information`). */
async function readDriverInfo(): Promise<string> {
  const dir = '/proc/driver/nvidia/gpus';
  const buses = await readdir(dir);
  const texts = await Promise.all(buses.map((b) => readFile(`${dir}/${b}/information`, 'utf8').catch(() => '')));
  return texts.join('\n');
}

/** GPU uuid → device minor number, from the driver's information files ("GPU UUID:" and "Device Minor:" lines). */
export function parseDriverInformation(text: string): Map<string, number> {
  const out = new Map<string, number>();
  let uuid: string | undefined;
  for (const line of text.split('\n')) {
    const u = /^GPU UUID:\s*(GPU-\S+)/.exec(line);
    if (u) uuid = u[1];
    const m = /^Device Minor:\s*(\d+)/.exec(line);
    if (m && uuid) {
      out.set(uuid, Number(m[1]));
      uuid = undefined;
    }
  }
  return out;
}

/** Fills devicePaths: a GPU's own node, and a MIG instance's parent GPU node. */
export function withDeviceNodes(devices: GpuDevice[], list: readonly GpuListEntry[], minors: ReadonlyMap<string, number>): GpuDevice[] {
  const parentOf = new Map<string, string>();
  for (const g of list) for (const m of g.mig) parentOf.set(m.uuid, g.uuid);
  return devices.map((d) => {
    const minor = minors.get(d.mig ? (parentOf.get(d.id) ?? '') : d.id);
    return minor === undefined ? d : { ...d, devicePaths: [`/dev/nvidia${minor}`] };
  });
}

/** `n` simulated devices with stable ids `fake-gpu-0` … */
export function fakeGpus(n: number): GpuDevice[] {
  return Array.from({ length: Math.max(0, Math.floor(n)) }, (_, i) => ({ id: `fake-gpu-${i}`, index: String(i), name: 'Capstan simulated GPU', mig: false }));
}

function execCommand(cmd: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, [...args], { timeout: 10_000, encoding: 'utf8' }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
  });
}

/** A row of `--query-gpu=index,uuid,name,memory.total --format=csv,noheader,nounits`. */
export interface GpuQueryRow {
  index: string;
  uuid: string;
  name: string;
  memoryMiB?: number;
}

/** Parses the query output; rows that do not have a GPU uuid are skipped. */
export function parseGpuQuery(text: string): GpuQueryRow[] {
  const rows: GpuQueryRow[] = [];
  for (const line of text.split('\n')) {
    const cells = line.split(',').map((c) => c.trim());
    if (cells.length < 4) continue;
    // The name is the only field that could hold a comma; it sits between uuid and memory.
    const index = cells[0]!;
    const uuid = cells[1]!;
    const memory = cells[cells.length - 1]!;
    const name = cells.slice(2, -1).join(', ');
    if (!/^\d+$/.test(index) || !uuid.startsWith('GPU-')) continue;
    const mib = Number(memory);
    rows.push(/^\d+$/.test(memory) ? { index, uuid, name, memoryMiB: mib } : { index, uuid, name });
  }
  return rows;
}

/** One GPU of `nvidia-smi -L`, with the MIG devices listed under it. */
export interface GpuListEntry {
  index: string;
  name: string;
  uuid: string;
  mig: { index: string; profile: string; uuid: string }[];
}

/**
 * Parses `nvidia-smi -L`:
 *   GPU 0: NVIDIA A100-SXM4-40GB (UUID: GPU-…)
 *     MIG 1g.5gb      Device  0: (UUID: MIG-…)
 */
export function parseNvidiaSmiList(text: string): GpuListEntry[] {
  const out: GpuListEntry[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const gpu = /^GPU (\d+): (.*?) \(UUID: (GPU-[^)\s]+)\)$/.exec(line);
    if (gpu) {
      out.push({ index: gpu[1]!, name: gpu[2]!, uuid: gpu[3]!, mig: [] });
      continue;
    }
    const mig = /^MIG (\S+)\s+Device\s+(\d+): \(UUID: (MIG-[^)\s]+)\)$/.exec(line);
    const parent = out[out.length - 1];
    if (mig && parent) parent.mig.push({ profile: mig[1]!, index: mig[2]!, uuid: mig[3]! });
  }
  return out;
}

/**
 * The device list from both listings: the query gives names and memory, `-L` gives MIG devices.
 * A GPU with MIG instances is replaced by them; order is by GPU index, then MIG device index.
 */
export function mergeGpuListings(query: readonly GpuQueryRow[], list: readonly GpuListEntry[]): GpuDevice[] {
  const byUuid = new Map(list.map((g) => [g.uuid, g]));
  const gpus: { index: string; uuid: string; name: string; memoryMiB?: number }[] = query.length ? [...query] : list.map(({ index, uuid, name }) => ({ index, uuid, name }));
  gpus.sort((a, b) => Number(a.index) - Number(b.index));
  const out: GpuDevice[] = [];
  for (const g of gpus) {
    const migs = byUuid.get(g.uuid)?.mig ?? [];
    if (migs.length === 0) {
      out.push(g.memoryMiB === undefined ? { id: g.uuid, index: g.index, name: g.name, mig: false } : { id: g.uuid, index: g.index, name: g.name, memoryMiB: g.memoryMiB, mig: false });
      continue;
    }
    for (const m of [...migs].sort((a, b) => Number(a.index) - Number(b.index))) {
      out.push({ id: m.uuid, index: `${g.index}:${m.index}`, name: `${g.name} MIG ${m.profile}`, mig: true });
    }
  }
  return out;
}

/**
 * The env that confines a container to `deviceIds` (see the file comment). With no devices the
 * container sees none: NVIDIA_VISIBLE_DEVICES=void and an empty CUDA_VISIBLE_DEVICES.
 */
export function gpuEnv(deviceIds: readonly string[]): Record<string, string> {
  if (deviceIds.length === 0) return { NVIDIA_VISIBLE_DEVICES: 'void', CUDA_VISIBLE_DEVICES: '' };
  const list = deviceIds.join(',');
  return { NVIDIA_VISIBLE_DEVICES: list, CUDA_VISIBLE_DEVICES: list };
}

/** Which devices one container holds. `init` marks a (non-restartable) init container. */
export interface GpuAssignment {
  podUID: string;
  containerName: string;
  deviceIds: string[];
  init?: boolean;
}

/** Too few devices free; the message follows the device manager's. */
export class GpuAllocationError extends Error {
  constructor(
    readonly requested: number,
    readonly available: number,
  ) {
    super(`requested number of devices unavailable for ${gpuResourceName}. Requested: ${requested}, Available: ${available}`);
    this.name = 'GpuAllocationError';
  }
}

/**
 * In-memory GPU assignments. Pure bookkeeping: it never touches the host, so the agent rebuilds
 * it after a restart with `restore` from what its running containers hold.
 */
export class GpuAllocator {
  private deviceList: GpuDevice[];
  private readonly byPod = new Map<string, GpuAssignment[]>();

  constructor(devices: readonly GpuDevice[]) {
    this.deviceList = [...devices];
  }

  get devices(): readonly GpuDevice[] {
    return this.deviceList;
  }

  /**
   * Devices for one container. A container that already holds devices gets the same ones back
   * (a restart). Devices the pod's finished init containers held are reused first, then free ones
   * in device order. An init container's devices stay reusable by the containers after it.
   * Throws GpuAllocationError when too few are free.
   */
  allocate(podUID: string, containerName: string, count: number, opts: { init?: boolean } = {}): string[] {
    const mine = this.byPod.get(podUID) ?? [];
    const existing = mine.find((a) => a.containerName === containerName);
    if (existing) return [...existing.deviceIds];
    if (count <= 0) return [];

    const known = new Set(this.deviceList.map((d) => d.id));
    const heldByApps = new Set(mine.filter((a) => !a.init).flatMap((a) => a.deviceIds));
    const reusable = new Set(mine.filter((a) => a.init).flatMap((a) => a.deviceIds).filter((id) => known.has(id) && !heldByApps.has(id)));
    const busy = this.busyElsewhere(podUID);
    const free = this.deviceList.map((d) => d.id).filter((id) => !busy.has(id) && !heldByApps.has(id) && !reusable.has(id));
    const candidates = [...this.deviceList.map((d) => d.id).filter((id) => reusable.has(id)), ...free];
    if (candidates.length < count) throw new GpuAllocationError(count, candidates.length);

    const deviceIds = candidates.slice(0, count);
    const assignment: GpuAssignment = opts.init ? { podUID, containerName, deviceIds, init: true } : { podUID, containerName, deviceIds };
    this.byPod.set(podUID, [...mine, assignment]);
    return [...deviceIds];
  }

  /** Frees every device the pod holds. */
  release(podUID: string): void {
    this.byPod.delete(podUID);
  }

  /**
   * Replaces all assignments with `assignments` (what running containers hold). They are kept
   * as given, since the containers are running with those devices; the returned pod UIDs (sorted)
   * hold a device that is unknown or that another pod also holds, and should be stopped.
   */
  restore(assignments: readonly GpuAssignment[]): string[] {
    this.byPod.clear();
    for (const a of assignments) {
      const list = this.byPod.get(a.podUID) ?? [];
      list.push({ ...a, deviceIds: [...a.deviceIds] });
      this.byPod.set(a.podUID, list);
    }
    const known = new Set(this.deviceList.map((d) => d.id));
    const owners = new Map<string, Set<string>>();
    for (const [pod, list] of this.byPod) {
      for (const id of list.flatMap((a) => a.deviceIds)) owners.set(id, (owners.get(id) ?? new Set()).add(pod));
    }
    const troubled = new Set<string>();
    for (const [id, pods] of owners) {
      if (!known.has(id) || pods.size > 1) for (const p of pods) troubled.add(p);
    }
    return [...troubled].sort();
  }

  /**
   * Takes a new device list (rediscovery). Assignments are kept; the returned pod UIDs (sorted)
   * hold a device that is gone, and should be stopped and released.
   */
  devicesChanged(devices: readonly GpuDevice[]): string[] {
    this.deviceList = [...devices];
    const known = new Set(devices.map((d) => d.id));
    const lost: string[] = [];
    for (const [pod, list] of this.byPod) {
      if (list.some((a) => a.deviceIds.some((id) => !known.has(id)))) lost.push(pod);
    }
    return lost.sort();
  }

  /** Every assignment, for checkpointing or inspection. */
  assignments(): GpuAssignment[] {
    return [...this.byPod.values()].flat().map((a) => ({ ...a, deviceIds: [...a.deviceIds] }));
  }

  /** Devices no pod holds. */
  freeDevices(): string[] {
    const busy = new Set([...this.byPod.values()].flat().flatMap((a) => a.deviceIds));
    return this.deviceList.map((d) => d.id).filter((id) => !busy.has(id));
  }

  /** The env for one container: its devices, or none when it holds none. */
  envFor(podUID: string, containerName: string): Record<string, string> {
    const a = this.byPod.get(podUID)?.find((x) => x.containerName === containerName);
    return gpuEnv(a?.deviceIds ?? []);
  }

  private busyElsewhere(podUID: string): Set<string> {
    const busy = new Set<string>();
    for (const [pod, list] of this.byPod) if (pod !== podUID) for (const a of list) for (const id of a.deviceIds) busy.add(id);
    return busy;
  }
}
