/**
 * The Node object a simulated kubelet registers and the status it reports (after the kubelet's
 * pkg/kubelet/kubelet_node_status.go initialNode and pkg/kubelet/nodestatus/setters.go): labels,
 * taints, capacity = allocatable, the four standard conditions, addresses, nodeInfo and the
 * daemon endpoint. Pure functions of the options, the node's index and the time.
 */
import type { Node, NodeCondition, NodeStatus } from 'kubernetes-types/core/v1.js';
import type { NodeObject } from './resources.js';
import { type SimOptions, simLabels } from './sim-options.js';

export const simKubeletVersion = 'v1.32.0-sim';

/** Who a simulated node is: the parts that follow from its index. */
export interface SimNodeIdentity {
  name: string;
  index: number;
  /** InternalIP from 127.128.0.0/9: loopback space, since nothing ever connects to it. */
  internalIP: string;
  zone?: string;
}

export type NodeShape = Pick<SimOptions, 'cpu' | 'memory' | 'pods' | 'gpus' | 'ephemeralStorage' | 'arch' | 'labels' | 'taints'>;

/** `zone-a` … `zone-z`, then `zone-aa` …, round-robin over `zones`. */
export function zoneName(index: number, zones: number): string | undefined {
  if (zones <= 0) return undefined;
  let n = index % zones;
  let s = '';
  do {
    s = String.fromCharCode(97 + (n % 26)) + s;
    n = Math.floor(n / 26) - 1;
  } while (n >= 0);
  return `zone-${s}`;
}

/** 127.128.0.1 for index 0, counting up; good for 8 million nodes. */
export function simNodeIP(index: number): string {
  const n = index + 1;
  return `127.${128 + ((n >> 16) & 127)}.${(n >> 8) & 255}.${n & 255}`;
}

export function simNodeIdentity(index: number, opts: Pick<SimOptions, 'namePrefix' | 'zones'>): SimNodeIdentity {
  return { name: `${opts.namePrefix}${index}`, index, internalIP: simNodeIP(index), zone: zoneName(index, opts.zones) };
}

/** RFC 3339 at second precision, as metav1.Time serialises. */
export const rfc3339 = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** The labels the simulator sets; user labels may override all but hostname and the marker. */
export function simNodeLabels(id: SimNodeIdentity, shape: NodeShape): Record<string, string> {
  const labels: Record<string, string> = {
    'beta.kubernetes.io/arch': shape.arch,
    'beta.kubernetes.io/os': 'linux',
    'kubernetes.io/arch': shape.arch,
    'kubernetes.io/os': 'linux',
    ...(id.zone ? { 'topology.kubernetes.io/zone': id.zone, 'topology.kubernetes.io/region': 'sim' } : {}),
    ...shape.labels,
  };
  labels['kubernetes.io/hostname'] = id.name;
  labels[simLabels.simulated] = 'true';
  return labels;
}

function capacity(shape: NodeShape): Record<string, string> {
  const c: Record<string, string> = {
    cpu: shape.cpu,
    'ephemeral-storage': shape.ephemeralStorage,
    'hugepages-1Gi': '0',
    'hugepages-2Mi': '0',
    memory: shape.memory,
    pods: String(shape.pods),
  };
  if (shape.gpus > 0) c['nvidia.com/gpu'] = String(shape.gpus);
  return c;
}

/** The kubelet's healthy conditions, in its order and words (nodestatus MemoryPressureCondition …, ReadyCondition). */
const healthy: readonly Pick<NodeCondition, 'type' | 'status' | 'reason' | 'message'>[] = [
  { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory', message: 'kubelet has sufficient memory available' },
  { type: 'DiskPressure', status: 'False', reason: 'KubeletHasNoDiskPressure', message: 'kubelet has no disk pressure' },
  { type: 'PIDPressure', status: 'False', reason: 'KubeletHasSufficientPID', message: 'kubelet has sufficient PID available' },
  { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' },
];

/**
 * The conditions as of `now`: heartbeat times are `now`; a transition time is kept from
 * `previous` while the condition's status is unchanged. Other writers' condition types are kept.
 */
export function simNodeConditions(now: number, previous: readonly NodeCondition[] = []): NodeCondition[] {
  const t = rfc3339(now);
  const ours = healthy.map((h) => {
    const old = previous.find((p) => p.type === h.type);
    const lastTransitionTime = old && old.status === h.status && old.lastTransitionTime ? old.lastTransitionTime : t;
    return { ...h, lastHeartbeatTime: t, lastTransitionTime };
  });
  return [...ours, ...previous.filter((p) => !healthy.some((h) => h.type === p.type))];
}

/** True when `conditions` already say what the simulated kubelet would report (apart from heartbeat times). */
export function conditionsHealthy(conditions: readonly NodeCondition[] = []): boolean {
  return healthy.every((h) => conditions.some((c) => c.type === h.type && c.status === h.status && c.reason === h.reason));
}

export function simNodeStatus(id: SimNodeIdentity, shape: NodeShape, now: number, previous?: NodeStatus): NodeStatus {
  const cap = capacity(shape);
  return {
    capacity: cap,
    allocatable: { ...cap },
    conditions: simNodeConditions(now, previous?.conditions),
    addresses: [
      { type: 'InternalIP', address: id.internalIP },
      { type: 'Hostname', address: id.name },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
    nodeInfo: {
      machineID: simId('machine', id.name),
      systemUUID: simId('system', id.name),
      bootID: simId('boot', id.name),
      kernelVersion: '6.1.0-sim',
      osImage: 'Capstan simulated node',
      containerRuntimeVersion: 'sim://1',
      kubeletVersion: simKubeletVersion,
      kubeProxyVersion: '',
      operatingSystem: 'linux',
      architecture: shape.arch,
    },
  };
}

/** The Node to create: labels, taints, and the status it registers with. */
export function buildSimNode(id: SimNodeIdentity, shape: NodeShape, now: number): NodeObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: id.name,
      labels: simNodeLabels(id, shape),
      annotations: { 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' },
    },
    spec: shape.taints.length ? { taints: shape.taints.map((t) => ({ ...t })) } : {},
    status: simNodeStatus(id, shape, now),
  };
}

/**
 * The merge patch that brings an existing Node's metadata and spec in line on re-registration:
 * our labels are set (others kept); the configured taints are added when missing (taints that
 * other controllers placed, e.g. node.kubernetes.io/unreachable, are theirs to remove).
 * Undefined when nothing is to change.
 */
export function reconcileNodePatch(existing: Node, id: SimNodeIdentity, shape: NodeShape): Record<string, unknown> | undefined {
  const want = simNodeLabels(id, shape);
  const have = existing.metadata?.labels ?? {};
  const labels = Object.fromEntries(Object.entries(want).filter(([k, v]) => have[k] !== v));
  const taints = existing.spec?.taints ?? [];
  const missing = shape.taints.filter((t) => !taints.some((h) => h.key === t.key && h.effect === t.effect && (h.value ?? '') === (t.value ?? '')));
  const patch: Record<string, unknown> = {};
  if (Object.keys(labels).length) patch.metadata = { labels };
  if (missing.length) patch.spec = { taints: [...taints.filter((h) => !missing.some((t) => t.key === h.key && t.effect === h.effect)), ...missing] };
  return Object.keys(patch).length ? patch : undefined;
}

/** A stable, UUID-shaped id per node and purpose. */
function simId(kind: string, name: string): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  for (const ch of `${kind}/${name}`) {
    h1 = Math.imul(h1 ^ ch.charCodeAt(0), 0x01000193) >>> 0;
    h2 = Math.imul(h2 ^ ch.charCodeAt(0), 0x811c9dc5) >>> 0;
  }
  const hex = (h1.toString(16).padStart(8, '0') + h2.toString(16).padStart(8, '0')).repeat(2);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
