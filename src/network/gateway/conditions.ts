/** Status conditions as the Gateway API controllers write them (metav1.Condition, kept transition times). */
import type { Condition } from 'kubernetes-types/meta/v1.js';

export interface ConditionContext {
  /** metadata.generation of the object the condition is about. */
  generation: number | undefined;
  /** The object's current conditions: a condition whose status is unchanged keeps its time. */
  old: readonly Condition[] | undefined;
  /** RFC 3339 time (seconds) written as lastTransitionTime of new transitions. */
  now: string;
}

export function condition(ctx: ConditionContext, type: string, status: boolean, reason: string, message: string): Condition {
  const s = status ? 'True' : 'False';
  const prev = ctx.old?.find((c) => c.type === type);
  return {
    type,
    status: s,
    reason,
    message,
    ...(ctx.generation !== undefined ? { observedGeneration: ctx.generation } : {}),
    lastTransitionTime: prev && prev.status === s ? prev.lastTransitionTime : ctx.now,
  };
}
