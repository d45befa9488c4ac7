/**
 * Node health as the node lifecycle controller judges it (pkg/controller/nodelifecycle/
 * node_lifecycle_controller.go tryUpdateNodeHealth): a node is alive while its kubelet renews the
 * node Lease or posts a new Ready heartbeat. Times are taken from this controller's own clock when
 * it *observes* a change (never from the timestamps written by the kubelet), so clock skew between
 * machines does not matter. Pure functions; the controller keeps one `NodeHealth` per node.
 */
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { Node, NodeCondition } from 'kubernetes-types/core/v1.js';

/** What the controller remembers of a node between looks. */
export interface NodeHealth {
  /** Local time at which a sign of life (Lease renewal, new Ready heartbeat) was last observed. */
  probeTimestamp: number;
  /** The Ready condition as last observed (for change detection). */
  readyHeartbeat?: string;
  readyStatus?: string;
  /** The Lease's renewTime as last observed. */
  leaseRenewTime?: string;
}

export interface HealthTimings {
  /** nodeMonitorGracePeriod: a node silent this long is Unknown (default 40 s). */
  gracePeriodMs: number;
  /** nodeStartupGracePeriod: allowance for a node that never posted Ready (default 60 s). */
  startupGracePeriodMs: number;
}

export const defaultHealthTimings: HealthTimings = { gracePeriodMs: 40_000, startupGracePeriodMs: 60_000 };

/** The condition types the controller sets to Unknown, in upstream's order (Ready is first). */
export const monitoredConditions = ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'] as const;

export const reasonNodeStatusUnknown = 'NodeStatusUnknown';
export const reasonNodeStatusNeverUpdated = 'NodeStatusNeverUpdated';
export const messageStoppedPosting = 'Kubelet stopped posting node status.';
export const messageNeverPosted = 'Kubelet never posted node status.';

/** metav1.Time: RFC 3339, seconds precision. */
export const rfc3339 = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

export function nodeCondition(node: Node, type: string): NodeCondition | undefined {
  return node.status?.conditions?.find((c) => c.type === type);
}

const creationMs = (node: Node): number => {
  const t = Date.parse(node.metadata?.creationTimestamp ?? '');
  return Number.isNaN(t) ? 0 : t;
};

/**
 * The health record after observing `node` and its `lease` at `now`: the probe time moves to `now`
 * on first sight, when the Ready condition's heartbeat or status changed, or when the Lease was
 * renewed. A node first seen without a Ready condition counts from its creation time.
 */
export function observeNodeHealth(saved: NodeHealth | undefined, node: Node, lease: Lease | undefined, now: number): NodeHealth {
  const ready = nodeCondition(node, 'Ready');
  const next: NodeHealth = {
    probeTimestamp: saved?.probeTimestamp ?? (ready ? now : creationMs(node)),
    readyHeartbeat: ready?.lastHeartbeatTime,
    readyStatus: ready?.status,
    leaseRenewTime: saved?.leaseRenewTime,
  };
  // Only a new heartbeat counts: a status this controller wrote itself (Unknown) carries the old one.
  if (saved && ready && ready.lastHeartbeatTime !== saved.readyHeartbeat) next.probeTimestamp = now;
  const renew = lease?.spec?.renewTime;
  if (renew && renew !== saved?.leaseRenewTime) {
    next.leaseRenewTime = renew;
    if (saved) next.probeTimestamp = now;
  }
  return next;
}

/** The grace period that applies to `node`: the startup one until it has ever posted Ready. */
export function gracePeriodFor(node: Node, t: HealthTimings): number {
  return nodeCondition(node, 'Ready') ? t.gracePeriodMs : t.startupGracePeriodMs;
}

/** When the node becomes overdue (local time), given its health record. */
export function healthDeadline(node: Node, health: NodeHealth, t: HealthTimings): number {
  return health.probeTimestamp + gracePeriodFor(node, t);
}

/**
 * The conditions to post for a node whose kubelet is overdue at `now`, or undefined when they
 * already say Unknown. Missing monitored conditions are added as Unknown/NodeStatusNeverUpdated;
 * present ones that are not Unknown become Unknown/NodeStatusUnknown with a new transition time.
 * Heartbeat times stay as the kubelet last wrote them.
 */
export function unknownConditions(node: Node, now: number): NodeCondition[] | undefined {
  const current = node.status?.conditions ?? [];
  const out = current.map((c) => ({ ...c }));
  let changed = false;
  const ts = rfc3339(now);
  for (const type of monitoredConditions) {
    const c = out.find((x) => x.type === type);
    if (!c) {
      out.push({ type, status: 'Unknown', reason: reasonNodeStatusNeverUpdated, message: messageNeverPosted, lastHeartbeatTime: rfc3339(creationMs(node)), lastTransitionTime: ts });
      changed = true;
    } else if (c.status !== 'Unknown') {
      c.status = 'Unknown';
      c.reason = reasonNodeStatusUnknown;
      c.message = messageStoppedPosting;
      c.lastTransitionTime = ts;
      changed = true;
    }
  }
  return changed ? out : undefined;
}
