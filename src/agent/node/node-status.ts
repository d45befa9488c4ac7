/**
 * The node agent's Node object and the status it reports, as pure functions of host readings,
 * GPUs, flags and the time. Follows the kubelet: pkg/kubelet/kubelet_node_status.go (initialNode,
 * the re-registration reconcile and the report cadence), pkg/kubelet/nodestatus/setters.go
 * (MachineInfo's capacity and allocatable, the condition setters, VersionInfo) and
 * pkg/kubelet/cm's node-allocatable reservation with its hard-eviction share.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Node, NodeCondition, NodeStatus, Taint } from 'kubernetes-types/core/v1.js';
import type { ObjectMeta } from 'kubernetes-types/meta/v1.js';
import { Quantity, parseQuantity } from '../../api/quantity.js';
import type { EvictionSignal, EvictionThreshold, NodeFlags, ReservedResources } from './node-flags.js';
import type { HostReadings } from './node-readings.js';
import { gpuResourceName, type GpuDevice } from './gpus.js';

export type ResourceList = Record<string, string>;
export type NetworkMode = 'host' | 'bridge';

/** The label that tells how pods on this node are networked (DESIGN §2.7). */
export const networkModeLabel = 'capstan.io/network-mode';
export const defaultMaxPods = 110;
export const defaultKubeletPort = 10250;
export const defaultReportEveryMs = 60_000;

/** RFC 3339 at second precision, as metav1.Time serialises. */
export const rfc3339 = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

const bytes = (n: number): string => Quantity.fromInt(Math.max(0, Math.floor(n)), 'BinarySI').toString();

const sortedKeys = <T>(r: Record<string, T>): Record<string, T> => Object.fromEntries(Object.entries(r).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

/**
 * Node capacity: cpu (millicores, printed as cores where whole), memory and ephemeral-storage in
 * binary SI (`16384000Ki`), pods, zero hugepages, and `nvidia.com/gpu` when the node has GPUs.
 */
export function nodeCapacity(readings: Pick<HostReadings, 'cpuMillis' | 'memoryCapacityBytes' | 'fs'>, gpus: readonly GpuDevice[], maxPods = defaultMaxPods): ResourceList {
  const c: ResourceList = {
    cpu: Quantity.fromMilli(Math.max(0, Math.floor(readings.cpuMillis)), 'DecimalSI').toString(),
    'ephemeral-storage': bytes(readings.fs.capacityBytes),
    'hugepages-1Gi': '0',
    'hugepages-2Mi': '0',
    memory: bytes(readings.memoryCapacityBytes),
    pods: String(maxPods),
  };
  if (gpus.length > 0) c[gpuResourceName] = String(gpus.length);
  return sortedKeys(c);
}

/**
 * The share of a threshold in absolute terms: a quantity as given, a percentage of `capacity`
 * truncated as the kubelet computes it (float64 of capacity × float32 percentage).
 */
export function thresholdValue(t: Pick<EvictionThreshold, 'quantity' | 'percentage'>, capacity: number): number {
  if (t.quantity) return t.quantity.value();
  return Math.trunc(capacity * (t.percentage ?? 0));
}

/** What hard eviction holds back from allocatable: memory.available and nodefs.available only. */
export function hardEvictionReservation(thresholds: readonly EvictionThreshold[], capacity: ResourceList): ResourceList {
  const out: ResourceList = {};
  for (const t of thresholds) {
    const resource = t.signal === 'memory.available' ? 'memory' : t.signal === 'nodefs.available' ? 'ephemeral-storage' : undefined;
    if (!resource) continue;
    const cap = parseQuantity(capacity[resource] ?? '0')?.value() ?? 0;
    out[resource] = t.quantity ? t.quantity.toString() : bytes(thresholdValue(t, cap));
  }
  return out;
}

/**
 * Allocatable = capacity − system-reserved − kube-reserved − the hard-eviction reservation, per
 * resource, never negative; each value keeps its capacity's format (`16281600Ki`, `3900m`).
 * Hugepages are zero here, so memory is not lowered for them.
 */
export function nodeAllocatable(capacity: ResourceList, kubeReserved: ReservedResources, systemReserved: ReservedResources, evictionHard: readonly EvictionThreshold[]): ResourceList {
  const eviction = hardEvictionReservation(evictionHard, capacity);
  const out: ResourceList = {};
  for (const [name, text] of Object.entries(capacity)) {
    const cap = parseQuantity(text);
    if (!cap) continue;
    let reserved = Quantity.zero();
    for (const r of [systemReserved[name as keyof ReservedResources], kubeReserved[name as keyof ReservedResources], parseQuantity(eviction[name] ?? '')]) {
      if (r) reserved = reserved.add(r);
    }
    let value = reserved.isZero() ? cap : cap.sub(reserved);
    if (value.sign() < 0) value = Quantity.zero(cap.format);
    out[name] = value.toString();
  }
  return sortedKeys(out);
}

/** Which of the node pressure conditions the readings call for. */
export interface NodePressure {
  memory: boolean;
  disk: boolean;
  pid: boolean;
}

type Observation = { available: number; capacity: number } | undefined;

/**
 * The signals observed from the readings. The data directory's filesystem stands for nodefs,
 * imagefs and containerfs alike (Capstan keeps images and containers there), so on one disk the
 * imagefs thresholds apply to it too, as they do for a kubelet whose runtime shares its disk.
 * allocatableMemory.available needs pod usage and is not observed here.
 */
function observe(readings: Pick<HostReadings, 'memoryCapacityBytes' | 'memoryAvailableBytes' | 'fs' | 'pid'>, signal: EvictionSignal): Observation {
  const fs = readings.fs;
  switch (signal) {
    case 'memory.available':
      return { available: readings.memoryAvailableBytes, capacity: readings.memoryCapacityBytes };
    case 'nodefs.available':
    case 'imagefs.available':
    case 'containerfs.available':
      return { available: fs.availableBytes, capacity: fs.capacityBytes };
    case 'nodefs.inodesFree':
    case 'imagefs.inodesFree':
    case 'containerfs.inodesFree':
      // Filesystems without an inode table (btrfs) report 0 inodes: nothing to observe.
      return fs.inodes > 0 ? { available: fs.inodesFree, capacity: fs.inodes } : undefined;
    case 'pid.available':
      return { available: Math.max(0, readings.pid.max - readings.pid.running), capacity: readings.pid.max };
    default:
      return undefined;
  }
}

const pressureOf: Partial<Record<EvictionSignal, keyof NodePressure>> = {
  'memory.available': 'memory',
  'nodefs.available': 'disk',
  'nodefs.inodesFree': 'disk',
  'imagefs.available': 'disk',
  'imagefs.inodesFree': 'disk',
  'containerfs.available': 'disk',
  'containerfs.inodesFree': 'disk',
  'pid.available': 'pid',
};

/** A threshold is met when what is available is strictly below it (the eviction manager's rule). */
export function observePressure(readings: Pick<HostReadings, 'memoryCapacityBytes' | 'memoryAvailableBytes' | 'fs' | 'pid'>, thresholds: readonly EvictionThreshold[]): NodePressure {
  const out: NodePressure = { memory: false, disk: false, pid: false };
  for (const t of thresholds) {
    const kind = pressureOf[t.signal];
    const o = observe(readings, t.signal);
    if (kind && o && thresholdValue(t, o.capacity) > o.available) out[kind] = true;
  }
  return out;
}

/** Whether the kubelet is ready; `message` says why not (runtime, network, storage errors). */
export interface ReadyState {
  ok: boolean;
  message?: string;
}

type ConditionWords = Pick<NodeCondition, 'type' | 'status' | 'reason' | 'message'>;

function pressureCondition(type: string, pressure: boolean, yes: [string, string], no: [string, string]): ConditionWords {
  const [reason, message] = pressure ? yes : no;
  return { type, status: pressure ? 'True' : 'False', reason, message };
}

/** The conditions the agent owns, in the kubelet's order. */
export const nodeConditionTypes = ['MemoryPressure', 'DiskPressure', 'PIDPressure', 'Ready'] as const;

/**
 * MemoryPressure, DiskPressure, PIDPressure and Ready, in that order and the kubelet's words.
 * Heartbeat times are `now`; a transition time moves only when the status flips (or the condition
 * is new). Hard thresholds take effect at once: the eviction manager's pressure transition
 * period (the hold before a pressure condition clears) is not modelled here.
 */
export function nodeConditions(
  readings: Pick<HostReadings, 'memoryCapacityBytes' | 'memoryAvailableBytes' | 'fs' | 'pid'>,
  thresholds: readonly EvictionThreshold[],
  previous: readonly NodeCondition[] | undefined,
  now: number,
  ready: ReadyState,
): NodeCondition[] {
  const p = observePressure(readings, thresholds);
  const words: ConditionWords[] = [
    pressureCondition('MemoryPressure', p.memory, ['KubeletHasInsufficientMemory', 'kubelet has insufficient memory available'], ['KubeletHasSufficientMemory', 'kubelet has sufficient memory available']),
    pressureCondition('DiskPressure', p.disk, ['KubeletHasDiskPressure', 'kubelet has disk pressure'], ['KubeletHasNoDiskPressure', 'kubelet has no disk pressure']),
    pressureCondition('PIDPressure', p.pid, ['KubeletHasInsufficientPID', 'kubelet has insufficient PID available'], ['KubeletHasSufficientPID', 'kubelet has sufficient PID available']),
    ready.ok
      ? { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' }
      : { type: 'Ready', status: 'False', reason: 'KubeletNotReady', message: ready.message || 'kubelet is not ready' },
  ];
  const t = rfc3339(now);
  return words.map((w) => {
    const old = previous?.find((c) => c.type === w.type);
    const lastTransitionTime = old && old.status === w.status && old.lastTransitionTime ? old.lastTransitionTime : t;
    return { ...w, lastHeartbeatTime: t, lastTransitionTime };
  });
}

const eventReasons: Record<string, Record<string, string>> = {
  MemoryPressure: { True: 'NodeHasInsufficientMemory', False: 'NodeHasSufficientMemory' },
  DiskPressure: { True: 'NodeHasDiskPressure', False: 'NodeHasNoDiskPressure' },
  PIDPressure: { True: 'NodeHasInsufficientPID', False: 'NodeHasSufficientPID' },
  Ready: { True: 'NodeReady', False: 'NodeNotReady' },
};

/**
 * The Normal events the kubelet records for condition changes, message `Node <name> status is
 * now: <reason>`. Pressure conditions announce themselves when new too; Ready only on a flip.
 */
export function nodeConditionEvents(nodeName: string, previous: readonly NodeCondition[] | undefined, next: readonly NodeCondition[]): { type: 'Normal'; reason: string; message: string }[] {
  const out: { type: 'Normal'; reason: string; message: string }[] = [];
  for (const c of next) {
    const reason = eventReasons[c.type]?.[c.status];
    if (!reason) continue;
    const old = previous?.find((p) => p.type === c.type);
    const flipped = old ? old.status !== c.status : c.type !== 'Ready';
    if (flipped) out.push({ type: 'Normal', reason, message: `Node ${nodeName} status is now: ${reason}` });
  }
  return out;
}

/** Everything the Node object follows from. */
export interface NodeInput {
  /** The node name: the lower-cased host name unless overridden. */
  name: string;
  readings: HostReadings;
  gpus: readonly GpuDevice[];
  flags: Pick<NodeFlags, 'kubeReserved' | 'systemReserved' | 'evictionHard' | 'nodeLabels' | 'registerWithTaints'>;
  networkMode: NetworkMode;
  /** e.g. `v1.32.0+capstan`; also reported as kubeProxyVersion, as kubelet v1.32 does. */
  kubeletVersion: string;
  /** Reported as `<type>://<version>`, e.g. `process://0.1.0`. */
  containerRuntime: { type: string; version: string };
  kubeletPort?: number;
  maxPods?: number;
}

/** The labels the kubelet sets itself (updateDefaultLabels keeps them current on re-registration). */
export function defaultNodeLabels(input: Pick<NodeInput, 'readings' | 'networkMode'>): Record<string, string> {
  const { readings } = input;
  return {
    'beta.kubernetes.io/arch': readings.architecture,
    'beta.kubernetes.io/os': readings.operatingSystem,
    'kubernetes.io/arch': readings.architecture,
    'kubernetes.io/hostname': readings.hostname,
    'kubernetes.io/os': readings.operatingSystem,
    [networkModeLabel]: input.networkMode,
  };
}

/** Default labels, then `--node-labels` over them (as initialNode does), then the network mode. */
export function nodeLabels(input: Pick<NodeInput, 'readings' | 'networkMode' | 'flags'>): Record<string, string> {
  return sortedKeys({ ...defaultNodeLabels(input), ...input.flags.nodeLabels, [networkModeLabel]: input.networkMode });
}

/**
 * Registration-time annotations: attach/detach is the controller's job; the TTL annotation is
 * upstream's TTL controller's value for small clusters, set here since Capstan has none.
 */
export const nodeAnnotations: Readonly<Record<string, string>> = {
  'node.alpha.kubernetes.io/ttl': '0',
  'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
};

/**
 * The full status as of `now`. Conditions the agent does not own (set by other writers) are
 * kept after its own.
 */
export function nodeStatus(input: NodeInput, now: number, ready: ReadyState = { ok: true }, previous?: NodeStatus): NodeStatus {
  const { readings } = input;
  const capacity = nodeCapacity(readings, input.gpus, input.maxPods ?? defaultMaxPods);
  const ours = nodeConditions(readings, input.flags.evictionHard, previous?.conditions, now, ready);
  const others = (previous?.conditions ?? []).filter((c) => !(nodeConditionTypes as readonly string[]).includes(c.type));
  return {
    capacity,
    allocatable: nodeAllocatable(capacity, input.flags.kubeReserved, input.flags.systemReserved, input.flags.evictionHard),
    conditions: [...ours, ...others],
    addresses: readings.addresses.map((a) => ({ ...a })),
    daemonEndpoints: { kubeletEndpoint: { Port: input.kubeletPort ?? defaultKubeletPort } },
    nodeInfo: {
      machineID: readings.machineID,
      systemUUID: readings.systemUUID,
      bootID: readings.bootID,
      kernelVersion: readings.kernelVersion,
      osImage: readings.osImage,
      containerRuntimeVersion: `${input.containerRuntime.type}://${input.containerRuntime.version}`,
      kubeletVersion: input.kubeletVersion,
      kubeProxyVersion: input.kubeletVersion,
      operatingSystem: readings.operatingSystem,
      architecture: readings.architecture,
    },
  };
}

/** The Node to create at registration: labels, annotations, taints and the first status. */
export function buildNode(input: NodeInput, now: number, ready: ReadyState = { ok: true }): Node & { metadata: ObjectMeta } {
  const taints: Taint[] = input.flags.registerWithTaints.map((t) => ({ ...t }));
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: input.name, labels: nodeLabels(input), annotations: { ...nodeAnnotations } },
    spec: taints.length ? { taints } : {},
    status: nodeStatus(input, now, ready),
  };
}

/**
 * When the Node already exists (AlreadyExists on create), the merge patch that brings the parts
 * the kubelet owns on re-registration up to date: its default labels and the attach/detach
 * annotation. `--node-labels` and taints are not re-applied, as upstream. Undefined when nothing
 * is to change.
 */
export function reconcileExistingNode(existing: Node, input: Pick<NodeInput, 'readings' | 'networkMode'>): Record<string, unknown> | undefined {
  const have = existing.metadata?.labels ?? {};
  const labels = Object.fromEntries(Object.entries(defaultNodeLabels(input)).filter(([k, v]) => have[k] !== v));
  const cmad = 'volumes.kubernetes.io/controller-managed-attach-detach';
  const annotations = existing.metadata?.annotations?.[cmad] === 'true' ? {} : { [cmad]: 'true' };
  const metadata: Record<string, unknown> = {};
  if (Object.keys(labels).length) metadata.labels = labels;
  if (Object.keys(annotations).length) metadata.annotations = annotations;
  return Object.keys(metadata).length ? { metadata } : undefined;
}

/** Whether to post the status now, and the strategic merge patch for `nodes/<name>/status`. */
export interface NodeStatusReport {
  post: boolean;
  /** `changed`: something besides heartbeat times differs; `interval`: the report is due. */
  reason: 'changed' | 'interval' | 'unchanged';
  /** Body for PATCH with `application/strategic-merge-patch+json`; set when `post`. */
  patch?: { status: Record<string, unknown> };
}

const withoutHeartbeat = (c: NodeCondition): NodeCondition => {
  const { lastHeartbeatTime: _h, ...rest } = c;
  return rest;
};

/** A map's changes: new or changed keys with their value, removed keys as null. */
function mapDiff(prev: Record<string, unknown> | undefined, next: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(next ?? {})) if (!isDeepStrictEqual(prev?.[k], v)) out[k] = v;
  for (const k of Object.keys(prev ?? {})) if (!(k in (next ?? {}))) out[k] = null;
  return Object.keys(out).length ? out : undefined;
}

/**
 * Decides whether to post `next`: when anything besides heartbeat times differs from
 * `previous` (what the API holds), else once `reportEveryMs` has passed since `lastReportedAt`
 * (the kubelet's nodeStatusReportFrequency; the Lease is the frequent heartbeat). Only the four
 * conditions the agent owns are compared and sent; they merge by type, so other writers'
 * conditions survive. The patch also carries changed
 * capacity / allocatable / nodeInfo entries, and the addresses and daemon endpoints when changed.
 */
export function nodeStatusPatch(previous: NodeStatus | undefined, next: NodeStatus, lastReportedAt: number | undefined, now: number, reportEveryMs = defaultReportEveryMs): NodeStatusReport {
  const ours = (list: readonly NodeCondition[] | undefined): NodeCondition[] => (list ?? []).filter((c) => (nodeConditionTypes as readonly string[]).includes(c.type));
  const nextConditions = ours(next.conditions);
  const prevOurs = ours(previous?.conditions).map(withoutHeartbeat);
  const nextOurs = nextConditions.map(withoutHeartbeat);
  const sameConditions = prevOurs.length === nextOurs.length && nextOurs.every((c) => prevOurs.some((p) => isDeepStrictEqual(p, c)));

  const status: Record<string, unknown> = {};
  const capacity = mapDiff(previous?.capacity, next.capacity);
  if (capacity) status.capacity = capacity;
  const allocatable = mapDiff(previous?.allocatable, next.allocatable);
  if (allocatable) status.allocatable = allocatable;
  const nodeInfo = mapDiff(previous?.nodeInfo as Record<string, unknown> | undefined, next.nodeInfo as Record<string, unknown> | undefined);
  if (nodeInfo) status.nodeInfo = nodeInfo;
  // Addresses merge by type: send the current ones and delete the types that are gone.
  if (!isDeepStrictEqual(previous?.addresses ?? [], next.addresses ?? [])) {
    const gone = (previous?.addresses ?? []).filter((a) => !(next.addresses ?? []).some((n) => n.type === a.type));
    status.addresses = [...(next.addresses ?? []), ...gone.map((a) => ({ type: a.type, $patch: 'delete' }))];
  }
  if (!isDeepStrictEqual(previous?.daemonEndpoints, next.daemonEndpoints) && next.daemonEndpoints) status.daemonEndpoints = next.daemonEndpoints;

  const changed = previous === undefined || !sameConditions || Object.keys(status).length > 0;
  const due = lastReportedAt === undefined || now - lastReportedAt >= reportEveryMs;
  if (!changed && !due) return { post: false, reason: 'unchanged' };
  if (nextConditions.length) status.conditions = nextConditions;
  return { post: true, reason: changed ? 'changed' : 'interval', patch: { status } };
}
