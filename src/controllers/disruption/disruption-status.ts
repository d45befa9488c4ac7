/**
 * PodDisruptionBudget status arithmetic (pkg/controller/disruption/disruption.go
 * getExpectedPodCount, countHealthyPods, buildDisruptedPodMap, updatePdbStatus): how many pods the
 * budget expects, how many must stay healthy, how many are healthy now, and therefore how many
 * voluntary disruptions the eviction API may allow. Pure functions.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { Condition } from 'kubernetes-types/meta/v1.js';
import type { PodDisruptionBudget, PodDisruptionBudgetStatus } from 'kubernetes-types/policy/v1.js';
import { isPodReady } from '../pod-util.js';

/** How long an eviction may take to turn into a deletion before its disruptedPods entry expires (upstream DeletionTimeout). */
export const deletionTimeoutMs = 2 * 60 * 1000;

export const disruptionAllowedCondition = 'DisruptionAllowed';
export const reasonSufficientPods = 'SufficientPods';
export const reasonInsufficientPods = 'InsufficientPods';
export const reasonSyncFailed = 'SyncFailed';

export type IntOrString = number | string;

/**
 * intstr.GetScaledValueFromIntOrPercent: an integer as is, or `N%` of `total`, rounded up or down.
 * Throws on a malformed value.
 */
export function scaledValue(v: IntOrString, total: number, roundUp: boolean): number {
  if (typeof v === 'number') return v;
  const m = /^(\d+)%$/.exec(v);
  if (!m) {
    if (/^-?\d+$/.test(v)) return Number(v);
    throw new Error(`invalid value for IntOrString: invalid type: string is not a percentage`);
  }
  const scaled = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(scaled) : Math.floor(scaled);
}

/** Whether the budget needs the controllers' scale (maxUnavailable, or a percentage minAvailable). */
export function needsScale(pdb: PodDisruptionBudget): boolean {
  const spec = pdb.spec ?? {};
  return spec.maxUnavailable !== undefined || typeof spec.minAvailable === 'string';
}

/**
 * expectedCount and desiredHealthy. `expectedScale` is the sum of the selected pods' controllers'
 * replicas (only read when `needsScale`); `podCount` the number of selected pods.
 */
export function expectedPodCount(pdb: PodDisruptionBudget, podCount: number, expectedScale: number): { expectedCount: number; desiredHealthy: number } {
  const spec = pdb.spec ?? {};
  if (spec.maxUnavailable !== undefined) {
    const maxUnavailable = scaledValue(spec.maxUnavailable, expectedScale, true);
    return { expectedCount: expectedScale, desiredHealthy: Math.max(0, expectedScale - maxUnavailable) };
  }
  if (spec.minAvailable !== undefined) {
    if (typeof spec.minAvailable === 'number') return { expectedCount: podCount, desiredHealthy: spec.minAvailable };
    return { expectedCount: expectedScale, desiredHealthy: scaledValue(spec.minAvailable, expectedScale, true) };
  }
  return { expectedCount: 0, desiredHealthy: 0 };
}

/**
 * The disruptedPods entries that still stand at `now` (pods present, not yet being deleted, and
 * evicted less than DeletionTimeout ago), the entries that expired (a pod evicted but never
 * deleted), and the earliest time at which a standing entry expires.
 */
export function pruneDisruptedPods(
  disrupted: Record<string, string> | undefined,
  pods: readonly Pod[],
  now: number,
): { kept: Record<string, string>; expired: string[]; recheckAt?: number } {
  const kept: Record<string, string> = {};
  const expired: string[] = [];
  let recheckAt: number | undefined;
  if (!disrupted) return { kept, expired };
  for (const pod of pods) {
    const name = pod.metadata?.name ?? '';
    if (pod.metadata?.deletionTimestamp || !(name in disrupted)) continue;
    const at = Date.parse(disrupted[name]!);
    const expectedDeletion = (Number.isNaN(at) ? 0 : at) + deletionTimeoutMs;
    if (expectedDeletion < now) {
      expired.push(name);
      continue;
    }
    kept[name] = disrupted[name]!;
    if (recheckAt === undefined || expectedDeletion < recheckAt) recheckAt = expectedDeletion;
  }
  return { kept, expired, recheckAt };
}

/** Ready pods that are neither being deleted nor already counted as disrupted. */
export function countHealthyPods(pods: readonly Pod[], disrupted: Record<string, string>): number {
  let healthy = 0;
  for (const pod of pods) {
    if (pod.metadata?.deletionTimestamp) continue;
    if ((pod.metadata?.name ?? '') in disrupted) continue;
    if (isPodReady(pod)) healthy++;
  }
  return healthy;
}

/** meta.SetStatusCondition: the transition time moves only when the status changes. */
export function setCondition(conditions: readonly Condition[] | undefined, c: Omit<Condition, 'lastTransitionTime'>, nowRfc3339: string): Condition[] {
  const out = (conditions ?? []).map((x) => ({ ...x }));
  const i = out.findIndex((x) => x.type === c.type);
  if (i < 0) {
    out.push({ ...c, lastTransitionTime: nowRfc3339 });
    return out;
  }
  const old = out[i]!;
  out[i] = { ...c, lastTransitionTime: old.status !== c.status ? nowRfc3339 : old.lastTransitionTime };
  return out;
}

export interface ComputedStatus {
  currentHealthy: number;
  desiredHealthy: number;
  expectedCount: number;
  disruptedPods: Record<string, string>;
}

/** The status to write, built on the current one (upstream updatePdbStatus / failSafe). */
export function buildStatus(pdb: PodDisruptionBudget, computed: ComputedStatus | { error: string }, nowRfc3339: string): PodDisruptionBudgetStatus {
  const cur = pdb.status;
  const observedGeneration = pdb.metadata?.generation ?? 0;
  if ('error' in computed) {
    // failSafe: no disruptions until the budget can be computed again; the generation is not observed.
    const observed = cur?.observedGeneration ?? 0;
    return {
      currentHealthy: cur?.currentHealthy ?? 0,
      desiredHealthy: cur?.desiredHealthy ?? 0,
      expectedPods: cur?.expectedPods ?? 0,
      ...(cur?.disruptedPods ? { disruptedPods: cur.disruptedPods } : {}),
      disruptionsAllowed: 0,
      observedGeneration: observed,
      conditions: setCondition(cur?.conditions, { type: disruptionAllowedCondition, status: 'False', reason: reasonSyncFailed, message: computed.error, observedGeneration: observed }, nowRfc3339),
    };
  }
  const allowed = Math.max(0, computed.currentHealthy - computed.desiredHealthy);
  const condition = allowed > 0
    ? { type: disruptionAllowedCondition, status: 'True', reason: reasonSufficientPods, message: '', observedGeneration }
    : { type: disruptionAllowedCondition, status: 'False', reason: reasonInsufficientPods, message: '', observedGeneration };
  return {
    currentHealthy: computed.currentHealthy,
    desiredHealthy: computed.desiredHealthy,
    expectedPods: computed.expectedCount,
    ...(Object.keys(computed.disruptedPods).length ? { disruptedPods: computed.disruptedPods } : {}),
    disruptionsAllowed: allowed,
    observedGeneration,
    conditions: setCondition(cur?.conditions, condition, nowRfc3339),
  };
}

/** True when `next` differs from the PDB's status in anything but condition timestamps. */
export function statusChanged(pdb: PodDisruptionBudget, next: PodDisruptionBudgetStatus): boolean {
  return JSON.stringify(normalize(pdb.status)) !== JSON.stringify(normalize(next));
}

function normalize(s: PodDisruptionBudgetStatus | undefined): unknown {
  if (!s) return undefined;
  return {
    currentHealthy: s.currentHealthy,
    desiredHealthy: s.desiredHealthy,
    expectedPods: s.expectedPods,
    disruptionsAllowed: s.disruptionsAllowed,
    observedGeneration: s.observedGeneration ?? 0,
    disruptedPods: Object.entries(s.disruptedPods ?? {}).sort(),
    conditions: (s.conditions ?? []).map((c) => [c.type, c.status, c.reason, c.message ?? '', c.lastTransitionTime]),
  };
}
