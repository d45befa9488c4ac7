/**
 * Pure helpers over ReplicaSets that the deployment controller's decisions are built from
 * (`pkg/controller/deployment/util/deployment_util.go` and the ReplicaSet sorters of
 * `pkg/controller/controller_utils.go`). Nothing here writes; nothing mutates its arguments unless
 * the name says so (`set…`).
 */
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import type { ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';

export const revisionAnnotation = 'deployment.kubernetes.io/revision';
export const revisionHistoryAnnotation = 'deployment.kubernetes.io/revision-history';
export const desiredReplicasAnnotation = 'deployment.kubernetes.io/desired-replicas';
export const maxReplicasAnnotation = 'deployment.kubernetes.io/max-replicas';
export const podTemplateHashLabel = 'pod-template-hash';
const lastAppliedConfigAnnotation = 'kubectl.kubernetes.io/last-applied-configuration';
const deprecatedRollbackTo = 'deprecated.deployment.rollback.to';

/** Upstream caps `revision-history` at this many characters. */
export const maxRevisionHistoryLengthInChars = 2000;
const maxInt32 = 2147483647;

/** Annotations never copied from a Deployment to its ReplicaSets (upstream `annotationsToSkip`). */
const annotationsToSkip = new Set([
  lastAppliedConfigAnnotation,
  revisionAnnotation,
  revisionHistoryAnnotation,
  desiredReplicasAnnotation,
  maxReplicasAnnotation,
  deprecatedRollbackTo,
]);

// --- counts ----------------------------------------------------------------------------------------

/** spec.replicas, defaulted as the API server does (1). */
export const specReplicas = (o: { spec?: { replicas?: number } } | undefined): number => o?.spec?.replicas ?? 1;

type RS = ReplicaSet | undefined;
const sum = (rss: readonly RS[], f: (rs: ReplicaSet) => number): number => rss.reduce((n, rs) => (rs ? n + f(rs) : n), 0);

/** Σ spec.replicas (`GetReplicaCountForReplicaSets`). */
export const replicaCount = (rss: readonly RS[]): number => sum(rss, specReplicas);
/** Σ status.replicas (`GetActualReplicaCountForReplicaSets`). */
export const actualReplicaCount = (rss: readonly RS[]): number => sum(rss, (rs) => rs.status?.replicas ?? 0);
export const readyReplicaCount = (rss: readonly RS[]): number => sum(rss, (rs) => rs.status?.readyReplicas ?? 0);
export const availableReplicaCount = (rss: readonly RS[]): number => sum(rss, (rs) => rs.status?.availableReplicas ?? 0);

/** ReplicaSets with spec.replicas > 0 (`FilterActiveReplicaSets`). */
export const activeReplicaSets = (rss: readonly RS[]): ReplicaSet[] => rss.filter((rs): rs is ReplicaSet => !!rs && specReplicas(rs) > 0);

// --- sorting ---------------------------------------------------------------------------------------

const created = (rs: ReplicaSet): number => Date.parse(rs.metadata?.creationTimestamp ?? '') || 0;

/** Oldest first, ties by name (`ReplicaSetsByCreationTimestamp`). */
export function byCreationTimestamp(a: ReplicaSet, b: ReplicaSet): number {
  const d = created(a) - created(b);
  if (d !== 0) return d;
  const an = a.metadata?.name ?? '';
  const bn = b.metadata?.name ?? '';
  return an < bn ? -1 : an > bn ? 1 : 0;
}

/** Larger first; equal sizes oldest first (`ReplicaSetsBySizeOlder`, used when scaling down). */
export const bySizeOlder = (a: ReplicaSet, b: ReplicaSet): number => specReplicas(b) - specReplicas(a) || byCreationTimestamp(a, b);
/** Larger first; equal sizes newest first (`ReplicaSetsBySizeNewer`, used when scaling up). */
export const bySizeNewer = (a: ReplicaSet, b: ReplicaSet): number => specReplicas(b) - specReplicas(a) || byCreationTimestamp(b, a);
/** Lowest revision first, ties oldest first (`ReplicaSetsByRevision`). */
export const byRevision = (a: ReplicaSet, b: ReplicaSet): number => revisionOf(a) - revisionOf(b) || byCreationTimestamp(a, b);

// --- revisions and annotations --------------------------------------------------------------------

/** The revision annotation as a number; absent or unparsable reads 0 (`Revision`, errors skipped as `MaxRevision` does). */
export function revisionOf(obj: { metadata?: { annotations?: Record<string, string> } }): number {
  const v = obj.metadata?.annotations?.[revisionAnnotation];
  if (v === undefined || !/^[+-]?\d+$/.test(v)) return 0;
  return Number(v);
}

export const maxRevision = (rss: readonly RS[]): number => rss.reduce((m, rs) => (rs ? Math.max(m, revisionOf(rs)) : m), 0);

/** An int annotation, or undefined when absent or not an integer (`getIntFromAnnotation`). */
export function intAnnotation(rs: ReplicaSet | undefined, key: string): number | undefined {
  const v = rs?.metadata?.annotations?.[key];
  if (v === undefined || !/^[+-]?\d+$/.test(v)) return undefined;
  return Number(v);
}

/** Sets desired-/max-replicas on `rs`; true when something changed (`SetReplicasAnnotations`). */
export function setReplicasAnnotations(rs: ReplicaSet, desired: number, max: number): boolean {
  const meta = (rs.metadata ??= {});
  const ann = (meta.annotations ??= {});
  let updated = false;
  if (ann[desiredReplicasAnnotation] !== String(desired)) {
    ann[desiredReplicasAnnotation] = String(desired);
    updated = true;
  }
  if (ann[maxReplicasAnnotation] !== String(max)) {
    ann[maxReplicasAnnotation] = String(max);
    updated = true;
  }
  return updated;
}

export function replicasAnnotationsNeedUpdate(rs: ReplicaSet, desired: number, max: number): boolean {
  const ann = rs.metadata?.annotations;
  return !ann || ann[desiredReplicasAnnotation] !== String(desired) || ann[maxReplicasAnnotation] !== String(max);
}

/**
 * Copies the Deployment's annotations (but the skipped ones) to the new ReplicaSet, bumps its
 * revision to `newRevision` when lower (recording the old one in `revision-history`, which is how a
 * rollback to an old ReplicaSet keeps its history), and on creation sets the replicas annotations.
 * Mutates `rs`; true when anything changed (`SetNewReplicaSetAnnotations`).
 */
export function setNewReplicaSetAnnotations(d: Deployment, rs: ReplicaSet, newRevision: number, exists: boolean): boolean {
  const meta = (rs.metadata ??= {});
  const ann = (meta.annotations ??= {});
  let changed = false;
  for (const [k, v] of Object.entries(d.metadata?.annotations ?? {})) {
    if (annotationsToSkip.has(k) || ann[k] === v) continue;
    ann[k] = v;
    changed = true;
  }
  const oldRevision = ann[revisionAnnotation];
  let oldRevisionInt = 0;
  if (oldRevision !== undefined && oldRevision !== '') {
    if (!/^[+-]?\d+$/.test(oldRevision)) return false;
    oldRevisionInt = Number(oldRevision);
  }
  if (oldRevisionInt < newRevision) {
    ann[revisionAnnotation] = String(newRevision);
    changed = true;
    if (oldRevision !== undefined) {
      const history = ann[revisionHistoryAnnotation] ?? '';
      const old = history.split(',');
      if (old[0]!.length === 0) {
        ann[revisionHistoryAnnotation] = oldRevision;
      } else {
        let totalLen = history.length + oldRevision.length + 1;
        let start = 0;
        while (totalLen > maxRevisionHistoryLengthInChars && start < old.length) {
          totalLen -= old[start]!.length + 1;
          start++;
        }
        if (totalLen <= maxRevisionHistoryLengthInChars) ann[revisionHistoryAnnotation] = [...old.slice(start), oldRevision].join(',');
      }
    }
  }
  if (!exists && setReplicasAnnotations(rs, specReplicas(d), specReplicas(d) + maxSurge(d))) changed = true;
  return changed;
}

// --- strategy math ---------------------------------------------------------------------------------

export const isRollingUpdate = (d: Deployment): boolean => (d.spec?.strategy?.type ?? 'RollingUpdate') === 'RollingUpdate';

/**
 * An int-or-percent against `total` (`intstr.GetScaledValueFromIntOrPercent`): percentages round up
 * when `roundUp` (surge) and down otherwise (unavailable).
 */
export function scaledValue(v: number | string | undefined, total: number, roundUp: boolean): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number') return v;
  const m = /^(-?\d+)%$/.exec(v);
  if (!m) {
    // A bare integer string is accepted by intstr only through its Int form; validation rejects others.
    const n = Number(v);
    return Number.isInteger(n) ? n : 0;
  }
  const x = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(x) : Math.floor(x);
}

/**
 * Resolved maxSurge and maxUnavailable for `desired` replicas (`ResolveFenceposts`): when both come
 * out 0 (a small percentage rounded down), maxUnavailable becomes 1 so a rollout can move.
 */
export function resolveFenceposts(surge: number | string | undefined, unavailable: number | string | undefined, desired: number): { surge: number; unavailable: number } {
  const s = scaledValue(surge ?? 0, desired, true);
  let u = scaledValue(unavailable ?? 0, desired, false);
  if (s === 0 && u === 0) u = 1;
  return { surge: s, unavailable: u };
}

export function maxSurge(d: Deployment): number {
  if (!isRollingUpdate(d)) return 0;
  const ru = d.spec?.strategy?.rollingUpdate;
  return resolveFenceposts(ru?.maxSurge ?? '25%', ru?.maxUnavailable ?? '25%', specReplicas(d)).surge;
}

export function maxUnavailable(d: Deployment): number {
  const replicas = specReplicas(d);
  if (!isRollingUpdate(d) || replicas === 0) return 0;
  const ru = d.spec?.strategy?.rollingUpdate;
  return Math.min(resolveFenceposts(ru?.maxSurge ?? '25%', ru?.maxUnavailable ?? '25%', replicas).unavailable, replicas);
}

export const hasProgressDeadline = (d: Deployment): boolean => d.spec?.progressDeadlineSeconds !== undefined && d.spec.progressDeadlineSeconds !== maxInt32;
export const hasRevisionHistoryLimit = (d: Deployment): boolean => d.spec?.revisionHistoryLimit !== undefined && d.spec.revisionHistoryLimit !== maxInt32;

// --- ownership -------------------------------------------------------------------------------------

export function controllerOf(obj: { metadata?: { ownerReferences?: OwnerReference[] } } | undefined): OwnerReference | undefined {
  return obj?.metadata?.ownerReferences?.find((r) => r.controller === true);
}

/** The controller reference a Deployment puts on its ReplicaSets (`metav1.NewControllerRef`). */
export function deploymentControllerRef(d: Deployment): OwnerReference {
  return { apiVersion: 'apps/v1', kind: 'Deployment', name: d.metadata?.name ?? '', uid: d.metadata?.uid ?? '', controller: true, blockOwnerDeletion: true };
}
