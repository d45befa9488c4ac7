/**
 * The deployment controller's scaling decisions as pure functions: each returns the ReplicaSet
 * scale operations to perform, in order, and the controller carries them out. They follow
 * `pkg/controller/deployment/rolling.go` (new RS up to maxSurge, old RSs down keeping
 * spec.replicas − maxUnavailable available, unhealthy old replicas first), `recreate.go`, and
 * `sync.go`'s `scale` (proportional scaling of every active RS on a scaling event mid-rollout).
 */
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import {
  activeReplicaSets,
  availableReplicaCount,
  actualReplicaCount,
  byCreationTimestamp,
  bySizeNewer,
  bySizeOlder,
  desiredReplicasAnnotation,
  intAnnotation,
  isRollingUpdate,
  maxReplicasAnnotation,
  maxSurge,
  maxUnavailable,
  replicaCount,
  scaledValue,
  specReplicas,
} from './replica-set-util.js';

/**
 * Scale `rs` to `replicas`. Without `operation` the op is skipped when the size is unchanged
 * (`scaleReplicaSetAndRecordEvent`); with one (proportional scaling) it also refreshes the
 * replicas annotations (`scaleReplicaSet`), and the event says `operation`.
 */
export interface ScaleOp {
  rs: ReplicaSet;
  replicas: number;
  operation?: 'up' | 'down' | '';
}

const withReplicas = (rs: ReplicaSet, replicas: number): ReplicaSet => ({ ...rs, spec: { ...rs.spec!, replicas } });

/** The size of the new RS for the next step of a rollout (`NewRSNewReplicas`). */
export function newRSNewReplicas(d: Deployment, allRSs: readonly (ReplicaSet | undefined)[], newRS: ReplicaSet): number {
  const replicas = specReplicas(d);
  if (!isRollingUpdate(d)) return replicas;
  const surge = scaledValue(d.spec?.strategy?.rollingUpdate?.maxSurge ?? '25%', replicas, true);
  const current = replicaCount(allRSs);
  const maxTotal = replicas + surge;
  if (current >= maxTotal) return specReplicas(newRS);
  const up = Math.min(maxTotal - current, replicas - specReplicas(newRS));
  return specReplicas(newRS) + up;
}

/** The new RS's scale-up step, if any (`reconcileNewReplicaSet`). */
export function planNewReplicaSet(d: Deployment, allRSs: readonly (ReplicaSet | undefined)[], newRS: ReplicaSet): ScaleOp | undefined {
  const want = specReplicas(d);
  const have = specReplicas(newRS);
  if (have === want) return undefined;
  if (have > want) return { rs: newRS, replicas: want };
  const next = newRSNewReplicas(d, allRSs, newRS);
  return next === have ? undefined : { rs: newRS, replicas: next };
}

/**
 * The old RSs' scale-down steps (`reconcileOldReplicaSets`): first replicas of old RSs that are not
 * available (they add nothing to availability), then available ones down to
 * spec.replicas − maxUnavailable available pods in total, oldest RSs first.
 */
export function planOldReplicaSets(d: Deployment, allRSs: readonly (ReplicaSet | undefined)[], oldRSs: readonly ReplicaSet[], newRS: ReplicaSet | undefined): ScaleOp[] {
  if (replicaCount(oldRSs) === 0) return [];
  const minAvailable = specReplicas(d) - maxUnavailable(d);
  const newRSUnavailable = newRS ? specReplicas(newRS) - (newRS.status?.availableReplicas ?? 0) : 0;
  const maxScaledDown = replicaCount(allRSs) - minAvailable - newRSUnavailable;
  if (maxScaledDown <= 0) return [];

  const ops: ScaleOp[] = [];
  // cleanupUnhealthyReplicas
  const olds = [...oldRSs].sort(byCreationTimestamp);
  let cleaned = 0;
  for (let i = 0; i < olds.length; i++) {
    if (cleaned >= maxScaledDown) break;
    const rs = olds[i]!;
    const size = specReplicas(rs);
    const available = rs.status?.availableReplicas ?? 0;
    // size < available: a status not yet caught up with a scale-down (upstream errors out here).
    if (size === 0 || size <= available) continue;
    const down = Math.min(maxScaledDown - cleaned, size - available);
    ops.push({ rs, replicas: size - down });
    olds[i] = withReplicas(rs, size - down);
    cleaned += down;
  }

  // scaleDownOldReplicaSetsForRollingUpdate, on the sizes after the cleanup
  // An RS never has more available pods than its spec once its status catches up with a
  // scale-down already made; counting the stale figure would scale down twice for the same pods.
  const all = (newRS ? [...olds, newRS] : olds).map((rs) => ({ ...rs, status: { ...rs.status, replicas: rs.status?.replicas ?? 0, availableReplicas: Math.min(rs.status?.availableReplicas ?? 0, specReplicas(rs)) } }));
  const available = availableReplicaCount(all);
  if (available <= minAvailable) return ops;
  const toScaleDown = available - minAvailable;
  let scaled = 0;
  for (const rs of [...olds].sort(byCreationTimestamp)) {
    if (scaled >= toScaleDown) break;
    const size = specReplicas(rs);
    if (size === 0) continue;
    const down = Math.min(size, toScaleDown - scaled);
    ops.push({ rs, replicas: size - down });
    scaled += down;
  }
  return mergeOps(ops);
}

/** Consecutive steps on one RS collapse into its final size (one write instead of two). */
function mergeOps(ops: ScaleOp[]): ScaleOp[] {
  const out: ScaleOp[] = [];
  for (const op of ops) {
    const prev = out.find((o) => o.rs.metadata?.uid === op.rs.metadata?.uid && o.rs.metadata?.name === op.rs.metadata?.name);
    if (prev) prev.replicas = op.replicas;
    else out.push({ ...op });
  }
  return out;
}

/** The RS that gets all replicas when only one (or none) is active (`FindActiveOrLatest`). */
export function findActiveOrLatest(newRS: ReplicaSet | undefined, oldRSs: readonly ReplicaSet[]): ReplicaSet | undefined {
  if (!newRS && oldRSs.length === 0) return undefined;
  const olds = [...oldRSs].sort((a, b) => byCreationTimestamp(b, a));
  const active = activeReplicaSets([...olds, newRS]);
  if (active.length === 0) return newRS ?? olds[0];
  if (active.length === 1) return active[0];
  return undefined;
}

/** The new RS runs every desired replica, all available, and knows it (`IsSaturated`). */
export function isSaturated(d: Deployment, rs: ReplicaSet | undefined): boolean {
  if (!rs) return false;
  const desired = intAnnotation(rs, desiredReplicasAnnotation);
  if (desired === undefined) return false;
  const replicas = specReplicas(d);
  return specReplicas(rs) === replicas && desired === replicas && (rs.status?.availableReplicas ?? 0) === replicas;
}

/**
 * This RS's share of `toAdd` (`getReplicaSetFraction`): its size scaled by the ratio of the new to
 * the old maximum deployment size (the `max-replicas` annotation), rounded half away from zero.
 */
function replicaSetFraction(rs: ReplicaSet, d: Deployment): number {
  const replicas = specReplicas(d);
  if (replicas === 0) return -specReplicas(rs);
  const deploymentMax = replicas + maxSurge(d);
  const annotated = intAnnotation(rs, maxReplicasAnnotation) ?? d.status?.replicas ?? 0;
  // Upstream never scales proportionally from zero; a zero here would divide by zero.
  if (annotated === 0) return 0;
  const size = (specReplicas(rs) * deploymentMax) / annotated;
  return Math.sign(size) * Math.round(Math.abs(size)) - specReplicas(rs);
}

/** How many of `toAdd` this RS takes, given `added` so far (`GetReplicaSetProportion`). */
export function replicaSetProportion(rs: ReplicaSet | undefined, d: Deployment, toAdd: number, added: number): number {
  if (!rs || specReplicas(rs) === 0 || toAdd === 0 || toAdd === added) return 0;
  const fraction = replicaSetFraction(rs, d);
  const allowed = toAdd - added;
  return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
}

/**
 * Scaling for a scaling event or a paused Deployment (`scale` in sync.go): one active RS takes the
 * whole size; a saturated new RS means old ones go to 0; otherwise, during a rolling update, the
 * change in allowed size (replicas + maxSurge) is spread over the active RSs in proportion to
 * their sizes, leftovers to the first (largest) one.
 */
export function planScale(d: Deployment, newRS: ReplicaSet | undefined, oldRSs: readonly ReplicaSet[]): ScaleOp[] {
  const replicas = specReplicas(d);
  const activeOrLatest = findActiveOrLatest(newRS, oldRSs);
  if (activeOrLatest) return specReplicas(activeOrLatest) === replicas ? [] : [{ rs: activeOrLatest, replicas }];
  if (isSaturated(d, newRS)) return activeReplicaSets(oldRSs).map((rs) => ({ rs, replicas: 0 }));
  if (!isRollingUpdate(d)) return [];

  const all = activeReplicaSets([...oldRSs, newRS]);
  const allowed = replicas > 0 ? replicas + maxSurge(d) : 0;
  const toAdd = allowed - replicaCount(all);
  let operation: ScaleOp['operation'] = '';
  if (toAdd > 0) {
    all.sort(bySizeNewer);
    operation = 'up';
  } else if (toAdd < 0) {
    all.sort(bySizeOlder);
    operation = 'down';
  }
  let added = 0;
  const sizes = all.map((rs) => {
    if (toAdd === 0) return specReplicas(rs);
    const p = replicaSetProportion(rs, d, toAdd, added);
    added += p;
    return specReplicas(rs) + p;
  });
  if (toAdd !== 0 && sizes.length > 0) sizes[0] = Math.max(0, sizes[0]! + toAdd - added);
  return all.map((rs, i) => ({ rs, replicas: sizes[i]!, operation }));
}

/**
 * Whether a Recreate rollout must still wait for old pods (`oldPodsRunning`): old RSs report
 * replicas, or a pod of any RS but the new one is in a non-terminal phase (Unknown counts).
 */
export function oldPodsRunning(newRS: ReplicaSet | undefined, oldRSs: readonly ReplicaSet[], podsByRSUid: ReadonlyMap<string, readonly Pod[]>): boolean {
  if (actualReplicaCount(oldRSs) > 0) return true;
  for (const [uid, pods] of podsByRSUid) {
    if (newRS && newRS.metadata?.uid === uid) continue;
    for (const pod of pods) {
      const phase = pod.status?.phase;
      if (phase === 'Failed' || phase === 'Succeeded') continue;
      return true;
    }
  }
  return false;
}
