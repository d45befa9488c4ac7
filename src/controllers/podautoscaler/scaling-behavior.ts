/**
 * Turning a metric recommendation into the replica count to apply (`horizontal.go` v1.32:
 * `normalizeDesiredReplicas`, `normalizeDesiredReplicasWithBehaviors`, the stabilization window
 * and the scale-up/scale-down rate policies). The history of recommendations and scale events per
 * HPA lives in `ScalingHistory`; every decision takes `now` explicitly.
 */
import type { HPAScalingRules, HorizontalPodAutoscalerBehavior } from 'kubernetes-types/autoscaling/v2.js';

/** --horizontal-pod-autoscaler-downscale-stabilization (default 5 min). */
export const defaultDownscaleStabilizationMs = 5 * 60_000;
/** Without `behavior`, one step may at most double the replicas, or go to 4 (upstream `scaleUpLimitFactor`/`Minimum`). */
const scaleUpLimitFactor = 2;
const scaleUpLimitMinimum = 4;

/** A decision with the reason and message of the condition that explains it. */
export interface Limited {
  replicas: number;
  reason: string;
  message: string;
}

interface Recommendation {
  replicas: number;
  at: number;
}
export interface ScaleEvent {
  change: number;
  at: number;
  outdated: boolean;
}

/** upstream `GenerateHPAScaleUpRules`: API defaults for an HPA that has `behavior`. */
export function scaleUpRules(r: HPAScalingRules | undefined): Required<Pick<HPAScalingRules, 'stabilizationWindowSeconds' | 'selectPolicy' | 'policies'>> {
  return {
    stabilizationWindowSeconds: r?.stabilizationWindowSeconds ?? 0,
    selectPolicy: r?.selectPolicy ?? 'Max',
    policies: r?.policies?.length
      ? r.policies
      : [
          { type: 'Pods', value: 4, periodSeconds: 15 },
          { type: 'Percent', value: 100, periodSeconds: 15 },
        ],
  };
}

/** upstream `GenerateHPAScaleDownRules`, with the controller's stabilization default (`maybeInitScaleDownStabilizationWindow`). */
export function scaleDownRules(r: HPAScalingRules | undefined, downscaleStabilizationMs = defaultDownscaleStabilizationMs): Required<Pick<HPAScalingRules, 'stabilizationWindowSeconds' | 'selectPolicy' | 'policies'>> {
  return {
    stabilizationWindowSeconds: r?.stabilizationWindowSeconds ?? Math.round(downscaleStabilizationMs / 1000),
    selectPolicy: r?.selectPolicy ?? 'Max',
    policies: r?.policies?.length ? r.policies : [{ type: 'Percent', value: 100, periodSeconds: 15 }],
  };
}

const withinRange = { reason: 'DesiredWithinRange', message: 'the desired count is within the acceptable range' };

/** The recommendation and scale-event memory of every HPA (upstream's `recommendations`, `scaleUpEvents`, `scaleDownEvents`). */
export class ScalingHistory {
  private readonly recommendations = new Map<string, Recommendation[]>();
  private readonly scaleUpEvents = new Map<string, ScaleEvent[]>();
  private readonly scaleDownEvents = new Map<string, ScaleEvent[]>();

  constructor(private readonly downscaleStabilizationMs = defaultDownscaleStabilizationMs) {}

  /** upstream `recordInitialRecommendation`: the first sight of an HPA seeds the window with the current count. */
  recordInitial(key: string, replicas: number, now: number): void {
    if (!this.recommendations.has(key)) this.recommendations.set(key, [{ replicas, at: now }]);
  }

  forget(key: string): void {
    this.recommendations.delete(key);
    this.scaleUpEvents.delete(key);
    this.scaleDownEvents.delete(key);
  }

  /**
   * Without `behavior` (upstream `normalizeDesiredReplicas`): the highest recommendation of the
   * downscale window, then min/max and the 2×/4 scale-up limit.
   */
  normalize(key: string, current: number, desired: number, min: number, max: number, now: number): { replicas: number; ableToScale: Limited; limited: Limited & { status: 'True' | 'False' } } {
    const cutoff = now - this.downscaleStabilizationMs;
    const recs = this.recommendations.get(key) ?? [];
    let stabilized = desired;
    let reused = false;
    for (let i = 0; i < recs.length; i++) {
      const r = recs[i]!;
      if (r.at > cutoff) stabilized = Math.max(stabilized, r.replicas);
      else if (!reused) {
        recs[i] = { replicas: desired, at: now };
        reused = true;
      }
    }
    if (!reused) recs.push({ replicas: desired, at: now });
    this.recommendations.set(key, recs);
    const ableToScale =
      stabilized !== desired
        ? { replicas: stabilized, reason: 'ScaleDownStabilized', message: 'recent recommendations were higher than current one, applying the highest recent recommendation' }
        : { replicas: stabilized, reason: 'ReadyForNewScale', message: 'recommended size matches current size' };
    const limited = convertWithRules(current, stabilized, min, max);
    return { replicas: limited.replicas, ableToScale, limited: { ...limited, status: limited.replicas === stabilized ? 'False' : 'True' } };
  }

  /** With `behavior` (upstream `normalizeDesiredReplicasWithBehaviors`). */
  normalizeWithBehavior(
    key: string,
    behavior: HorizontalPodAutoscalerBehavior,
    current: number,
    desired: number,
    min: number,
    max: number,
    now: number,
  ): { replicas: number; ableToScale: Limited; limited: Limited & { status: 'True' | 'False' } } {
    const up = scaleUpRules(behavior.scaleUp);
    const down = scaleDownRules(behavior.scaleDown, this.downscaleStabilizationMs);
    const stabilized = this.stabilizeWithBehavior(key, current, desired, up.stabilizationWindowSeconds, down.stabilizationWindowSeconds, now);
    const ableToScale = stabilized.replicas !== desired ? stabilized : { replicas: stabilized.replicas, reason: 'ReadyForNewScale', message: 'recommended size matches current size' };
    const limited = this.convertWithBehaviorRate(key, up, down, current, stabilized.replicas, min, max, now);
    return { replicas: limited.replicas, ableToScale, limited: { ...limited, status: limited.replicas === stabilized.replicas ? 'False' : 'True' } };
  }

  /** upstream `stabilizeRecommendationWithBehaviors`. */
  private stabilizeWithBehavior(key: string, current: number, desired: number, upWindowS: number, downWindowS: number, now: number): Limited {
    const upCutoff = now - upWindowS * 1000;
    const downCutoff = now - downWindowS * 1000;
    let upRec = desired;
    let downRec = desired;
    let oldIndex = -1;
    const recs = this.recommendations.get(key) ?? [];
    recs.forEach((r, i) => {
      if (r.at > upCutoff) upRec = Math.min(upRec, r.replicas);
      if (r.at > downCutoff) downRec = Math.max(downRec, r.replicas);
      if (r.at < upCutoff && r.at < downCutoff) oldIndex = i;
    });
    let replicas = current;
    if (replicas < upRec) replicas = upRec;
    if (replicas > downRec) replicas = downRec;
    if (oldIndex >= 0) recs[oldIndex] = { replicas: desired, at: now };
    else recs.push({ replicas: desired, at: now });
    this.recommendations.set(key, recs);
    return desired >= current
      ? { replicas, reason: 'ScaleUpStabilized', message: 'recent recommendations were lower than current one, applying the lowest recent recommendation' }
      : { replicas, reason: 'ScaleDownStabilized', message: 'recent recommendations were higher than current one, applying the highest recent recommendation' };
  }

  /** upstream `convertDesiredReplicasWithBehaviorRate`. */
  private convertWithBehaviorRate(key: string, up: HPAScalingRules, down: HPAScalingRules, current: number, desired: number, min: number, max: number, now: number): Limited {
    const ups = this.scaleUpEvents.get(key) ?? [];
    const downs = this.scaleDownEvents.get(key) ?? [];
    if (desired > current) {
      const limit = Math.max(current, scaleUpLimit(current, ups, downs, up, now));
      const [allowed, reason, message] =
        max > limit ? [limit, 'ScaleUpLimit', 'the desired replica count is increasing faster than the maximum scale rate'] : [max, 'TooManyReplicas', 'the desired replica count is more than the maximum replica count'];
      if (desired > allowed) return { replicas: allowed, reason, message };
    } else if (desired < current) {
      const limit = Math.min(current, scaleDownLimit(current, ups, downs, down, now));
      const [allowed, reason, message] =
        min < limit ? [limit, 'ScaleDownLimit', 'the desired replica count is decreasing faster than the maximum scale rate'] : [min, 'TooFewReplicas', 'the desired replica count is less than the minimum replica count'];
      if (desired < allowed) return { replicas: allowed, reason, message };
    }
    return { replicas: desired, ...withinRange };
  }

  /** upstream `storeScaleEvent`: only HPAs with `behavior` keep scale events. */
  storeScaleEvent(key: string, behavior: HorizontalPodAutoscalerBehavior | undefined, prev: number, next: number, now: number): void {
    if (!behavior) return;
    const scalingUp = next > prev;
    const rules = scalingUp ? scaleUpRules(behavior.scaleUp) : scaleDownRules(behavior.scaleDown, this.downscaleStabilizationMs);
    const longest = Math.max(0, ...rules.policies.map((p) => p.periodSeconds)) * 1000;
    const map = scalingUp ? this.scaleUpEvents : this.scaleDownEvents;
    const events = map.get(key) ?? [];
    for (const e of events) if (e.at < now - longest) e.outdated = true;
    const event = { change: Math.abs(next - prev), at: now, outdated: false };
    const i = events.findIndex((e) => e.outdated);
    if (i >= 0) events[i] = event;
    else events.push(event);
    map.set(key, events);
  }
}

/** upstream `convertDesiredReplicasWithRules` (no `behavior`). */
export function convertWithRules(current: number, desired: number, min: number, max: number): Limited {
  const scaleUpLimit = Math.max(scaleUpLimitFactor * current, scaleUpLimitMinimum);
  let maxAllowed = max;
  let upReason = 'TooManyReplicas';
  let upMessage = 'the desired replica count is more than the maximum replica count';
  if (max > scaleUpLimit) {
    maxAllowed = scaleUpLimit;
    upReason = 'ScaleUpLimit';
    upMessage = 'the desired replica count is increasing faster than the maximum scale rate';
  }
  if (desired < min) return { replicas: min, reason: 'TooFewReplicas', message: 'the desired replica count is less than the minimum replica count' };
  if (desired > maxAllowed) return { replicas: maxAllowed, reason: upReason, message: upMessage };
  return { replicas: desired, ...withinRange };
}

/** Replicas added (or removed) by events within the last `periodSeconds` (upstream `getReplicasChangePerPeriod`). */
function changeInPeriod(periodSeconds: number, events: readonly ScaleEvent[], now: number): number {
  const cutoff = now - periodSeconds * 1000;
  return events.reduce((sum, e) => (e.at > cutoff ? sum + e.change : sum), 0);
}

/** upstream `calculateScaleUpLimitWithScalingRules`. */
export function scaleUpLimit(current: number, ups: readonly ScaleEvent[], downs: readonly ScaleEvent[], rules: HPAScalingRules, now: number): number {
  if (rules.selectPolicy === 'Disabled') return current;
  const pickMin = rules.selectPolicy === 'Min';
  let result = pickMin ? Number.MAX_SAFE_INTEGER : Number.MIN_SAFE_INTEGER;
  for (const p of rules.policies ?? []) {
    const start = current - changeInPeriod(p.periodSeconds, ups, now) + changeInPeriod(p.periodSeconds, downs, now);
    const proposed = p.type === 'Pods' ? start + p.value : Math.ceil(start * (1 + p.value / 100));
    result = pickMin ? Math.min(result, proposed) : Math.max(result, proposed);
  }
  return result;
}

/** upstream `calculateScaleDownLimitWithBehaviors` (Max picks the policy allowing the lowest count). */
export function scaleDownLimit(current: number, ups: readonly ScaleEvent[], downs: readonly ScaleEvent[], rules: HPAScalingRules, now: number): number {
  if (rules.selectPolicy === 'Disabled') return current;
  const pickMin = rules.selectPolicy === 'Min';
  let result = pickMin ? Number.MIN_SAFE_INTEGER : Number.MAX_SAFE_INTEGER;
  for (const p of rules.policies ?? []) {
    const start = current - changeInPeriod(p.periodSeconds, ups, now) + changeInPeriod(p.periodSeconds, downs, now);
    const proposed = p.type === 'Pods' ? start - p.value : Math.trunc(start * (1 - p.value / 100));
    result = pickMin ? Math.max(result, proposed) : Math.min(result, proposed);
  }
  return result;
}
