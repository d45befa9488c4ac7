/** Status helpers of the HPA controller (`horizontal.go` `setCondition`, `setStatus`, `computeStatusForResourceMetric`'s status shapes). */
import type { HorizontalPodAutoscaler, HorizontalPodAutoscalerCondition, MetricStatus } from 'kubernetes-types/autoscaling/v2.js';
import { Quantity } from '../../api/quantity.js';
import { rfc3339 } from '../events.js';

export type ConditionType = 'AbleToScale' | 'ScalingActive' | 'ScalingLimited';

/** Sets (or adds) a condition; `lastTransitionTime` moves only when the status changes (upstream `setConditionInList`). */
export function setCondition(hpa: HorizontalPodAutoscaler, type: ConditionType, status: 'True' | 'False', reason: string, message: string, now: number): void {
  const status_ = (hpa.status ??= { desiredReplicas: 0 });
  const list = (status_.conditions ??= []);
  let c: HorizontalPodAutoscalerCondition | undefined = list.find((x) => x.type === type);
  if (!c) {
    c = { type, status: '' };
    list.push(c);
  }
  if (c.status !== status) c.lastTransitionTime = rfc3339(now);
  c.status = status;
  c.reason = reason;
  c.message = message;
}

/** Replaces the observed part of the status (upstream `setStatus`); `rescaled` stamps `lastScaleTime`. */
export function setStatus(hpa: HorizontalPodAutoscaler, currentReplicas: number, desiredReplicas: number, metrics: MetricStatus[] | undefined, rescaled: boolean, now: number): void {
  const prev = hpa.status;
  hpa.status = { currentReplicas, desiredReplicas };
  if (prev?.lastScaleTime) hpa.status.lastScaleTime = prev.lastScaleTime;
  if (metrics?.length) hpa.status.currentMetrics = metrics;
  if (prev?.conditions) hpa.status.conditions = prev.conditions;
  if (prev?.observedGeneration !== undefined) hpa.status.observedGeneration = prev.observedGeneration;
  if (rescaled) hpa.status.lastScaleTime = rfc3339(now);
}

/** A milli-unit count as the canonical DecimalSI quantity string (`resource.NewMilliQuantity(v, DecimalSI)`). */
export const milliQuantity = (milli: number): string => Quantity.fromMilli(Math.trunc(milli)).toString();
