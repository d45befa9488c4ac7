/**
 * autoscaling/v1 ↔ autoscaling/v2 (storage) HorizontalPodAutoscalers, following
 * pkg/apis/autoscaling/v1/conversion.go: v1 carries the CPU utilization target in
 * `targetCPUUtilizationPercentage`; every other v2 datum rides in round-trip annotations.
 */
import type { VersionConversion } from '../../resource.js';
import { deepCopy } from '../../object.js';
import { asArray, asRecord } from './util.js';

export const metricSpecsAnnotation = 'autoscaling.alpha.kubernetes.io/metrics';
export const metricStatusesAnnotation = 'autoscaling.alpha.kubernetes.io/current-metrics';
export const conditionsAnnotation = 'autoscaling.alpha.kubernetes.io/conditions';
export const behaviorAnnotation = 'autoscaling.alpha.kubernetes.io/behavior';
const roundTrip = [metricSpecsAnnotation, metricStatusesAnnotation, conditionsAnnotation, behaviorAnnotation];

type Obj = Record<string, unknown>;
const clean = (o: Obj): Obj => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

/** v2 MetricSpec → v1 MetricSpec (the v2beta1-shaped form kept in the annotation). */
function specToV1(m: Obj): Obj {
  const t = (src: Obj) => asRecord(src.target);
  const metric = (src: Obj) => asRecord(src.metric);
  switch (m.type) {
    case 'Object': {
      const s = asRecord(m.object);
      return { type: 'Object', object: clean({ target: s.describedObject, metricName: metric(s).name, targetValue: t(s).value, selector: metric(s).selector, averageValue: t(s).averageValue }) };
    }
    case 'Pods': {
      const s = asRecord(m.pods);
      return { type: 'Pods', pods: clean({ metricName: metric(s).name, targetAverageValue: t(s).averageValue, selector: metric(s).selector }) };
    }
    case 'External': {
      const s = asRecord(m.external);
      return { type: 'External', external: clean({ metricName: metric(s).name, metricSelector: metric(s).selector, targetValue: t(s).value, targetAverageValue: t(s).averageValue }) };
    }
    case 'Resource': {
      const s = asRecord(m.resource);
      return { type: 'Resource', resource: clean({ name: s.name, targetAverageUtilization: t(s).averageUtilization, targetAverageValue: t(s).averageValue }) };
    }
    case 'ContainerResource': {
      const s = asRecord(m.containerResource);
      return { type: 'ContainerResource', containerResource: clean({ name: s.name, container: s.container, targetAverageUtilization: t(s).averageUtilization, targetAverageValue: t(s).averageValue }) };
    }
    default:
      return { type: m.type };
  }
}

function specFromV1(m: Obj): Obj {
  switch (m.type) {
    case 'Object': {
      const s = asRecord(m.object);
      const type = s.averageValue === undefined ? 'Value' : 'AverageValue';
      return { type: 'Object', object: clean({ describedObject: s.target, metric: clean({ name: s.metricName, selector: s.selector }), target: clean({ type, value: s.targetValue, averageValue: s.averageValue }) }) };
    }
    case 'Pods': {
      const s = asRecord(m.pods);
      return { type: 'Pods', pods: { metric: clean({ name: s.metricName, selector: s.selector }), target: clean({ type: 'AverageValue', averageValue: s.targetAverageValue }) } };
    }
    case 'External': {
      const s = asRecord(m.external);
      const type = s.targetValue === undefined ? 'AverageValue' : 'Value';
      return { type: 'External', external: { metric: clean({ name: s.metricName, selector: s.metricSelector }), target: clean({ type, value: s.targetValue, averageValue: s.targetAverageValue }) } };
    }
    case 'Resource':
    case 'ContainerResource': {
      const key = m.type === 'Resource' ? 'resource' : 'containerResource';
      const s = asRecord(m[key]);
      const type = s.targetAverageUtilization === undefined ? 'AverageValue' : 'Utilization';
      return { type: m.type, [key]: clean({ name: s.name, container: s.container, target: clean({ type, averageUtilization: s.targetAverageUtilization, averageValue: s.targetAverageValue }) }) };
    }
    default:
      return { type: m.type };
  }
}

function statusToV1(m: Obj): Obj {
  const c = (src: Obj) => asRecord(src.current);
  const metric = (src: Obj) => asRecord(src.metric);
  switch (m.type) {
    case 'Object': {
      const s = asRecord(m.object);
      return { type: 'Object', object: clean({ target: s.describedObject, metricName: metric(s).name, currentValue: c(s).value, selector: metric(s).selector, averageValue: c(s).averageValue }) };
    }
    case 'Pods': {
      const s = asRecord(m.pods);
      return { type: 'Pods', pods: clean({ metricName: metric(s).name, currentAverageValue: c(s).averageValue, selector: metric(s).selector }) };
    }
    case 'External': {
      const s = asRecord(m.external);
      return { type: 'External', external: clean({ metricName: metric(s).name, metricSelector: metric(s).selector, currentValue: c(s).value, currentAverageValue: c(s).averageValue }) };
    }
    case 'Resource':
    case 'ContainerResource': {
      const key = m.type === 'Resource' ? 'resource' : 'containerResource';
      const s = asRecord(m[key]);
      return { type: m.type, [key]: clean({ name: s.name, container: s.container, currentAverageUtilization: c(s).averageUtilization, currentAverageValue: c(s).averageValue }) };
    }
    default:
      return { type: m.type };
  }
}

function statusFromV1(m: Obj): Obj {
  switch (m.type) {
    case 'Object': {
      const s = asRecord(m.object);
      return { type: 'Object', object: clean({ describedObject: s.target, metric: clean({ name: s.metricName, selector: s.selector }), current: clean({ value: s.currentValue, averageValue: s.averageValue }) }) };
    }
    case 'Pods': {
      const s = asRecord(m.pods);
      return { type: 'Pods', pods: { metric: clean({ name: s.metricName, selector: s.selector }), current: clean({ averageValue: s.currentAverageValue }) } };
    }
    case 'External': {
      const s = asRecord(m.external);
      return { type: 'External', external: { metric: clean({ name: s.metricName, selector: s.metricSelector }), current: clean({ value: s.currentValue, averageValue: s.currentAverageValue }) } };
    }
    case 'Resource':
    case 'ContainerResource': {
      const key = m.type === 'Resource' ? 'resource' : 'containerResource';
      const s = asRecord(m[key]);
      return { type: m.type, [key]: clean({ name: s.name, container: s.container, current: clean({ averageUtilization: s.currentAverageUtilization, averageValue: s.currentAverageValue }) }) };
    }
    default:
      return { type: m.type };
  }
}

const isCPUUtilization = (m: Obj): boolean =>
  m.type === 'Resource' && asRecord(m.resource).name === 'cpu' && asRecord(asRecord(m.resource).target).averageUtilization !== undefined;

function parseJSON(s: unknown): unknown {
  if (typeof s !== 'string') return undefined;
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}

function metadataWithout(meta: Obj): Obj {
  const out = { ...meta };
  const ann = { ...asRecord(meta.annotations) } as Record<string, string>;
  for (const k of roundTrip) delete ann[k];
  if (Object.keys(ann).length) out.annotations = ann;
  else delete out.annotations;
  return out;
}

/** autoscaling/v2 (storage) → autoscaling/v1. */
export function hpaToV1(obj: Obj): Obj {
  const src = deepCopy(obj);
  const spec = asRecord(src.spec);
  const status = asRecord(src.status);
  const metrics = asArray<Obj>(spec.metrics);
  const meta = metadataWithout(asRecord(src.metadata));
  const ann = { ...asRecord(meta.annotations) } as Record<string, string>;
  const others = metrics.filter((m) => !isCPUUtilization(m)).map(specToV1);
  if (others.length) ann[metricSpecsAnnotation] = JSON.stringify(others);
  const currentMetrics = asArray<Obj>(status.currentMetrics);
  if (currentMetrics.length) ann[metricStatusesAnnotation] = JSON.stringify(currentMetrics.map(statusToV1));
  if (spec.behavior) ann[behaviorAnnotation] = JSON.stringify(spec.behavior);
  const conditions = asArray(status.conditions);
  if (conditions.length) ann[conditionsAnnotation] = JSON.stringify(conditions);
  if (Object.keys(ann).length) meta.annotations = ann;
  const cpu = metrics.find((m) => m.type === 'Resource' && asRecord(m.resource).name === 'cpu');
  const targetCPU = cpu ? asRecord(asRecord(cpu.resource).target).averageUtilization : undefined;
  const currentCPU = currentMetrics
    .filter((m) => m.type === 'Resource' && asRecord(m.resource).name === 'cpu')
    .map((m) => asRecord(asRecord(m.resource).current).averageUtilization)
    .filter((v) => v !== undefined)
    .pop();
  const out: Obj = { apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata: meta };
  out.spec = clean({ scaleTargetRef: spec.scaleTargetRef, minReplicas: spec.minReplicas, maxReplicas: spec.maxReplicas, targetCPUUtilizationPercentage: targetCPU });
  if (src.status !== undefined)
    out.status = clean({
      observedGeneration: status.observedGeneration, lastScaleTime: status.lastScaleTime, currentReplicas: status.currentReplicas ?? 0,
      desiredReplicas: status.desiredReplicas ?? 0, currentCPUUtilizationPercentage: currentCPU,
    });
  return out;
}

/** autoscaling/v1 → autoscaling/v2 (storage). */
export function hpaFromV1(obj: Obj): Obj {
  const src = deepCopy(obj);
  const spec = asRecord(src.spec);
  const status = asRecord(src.status);
  const ann = asRecord(asRecord(src.metadata).annotations);
  let metrics: Obj[] = [];
  if (spec.targetCPUUtilizationPercentage !== undefined && spec.targetCPUUtilizationPercentage !== null)
    metrics = [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: spec.targetCPUUtilizationPercentage } } }];
  const others = parseJSON(ann[metricSpecsAnnotation]);
  if (Array.isArray(others)) metrics = [...others.map((m) => specFromV1(asRecord(m))), ...metrics];
  const outSpec: Obj = clean({ scaleTargetRef: spec.scaleTargetRef, minReplicas: spec.minReplicas, maxReplicas: spec.maxReplicas });
  if (metrics.length) outSpec.metrics = metrics;
  const behavior = parseJSON(ann[behaviorAnnotation]);
  if (behavior && typeof behavior === 'object' && Object.keys(behavior).length) outSpec.behavior = behavior;
  const out: Obj = { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: metadataWithout(asRecord(src.metadata)), spec: outSpec };
  if (src.status !== undefined) {
    const st: Obj = clean({ observedGeneration: status.observedGeneration, lastScaleTime: status.lastScaleTime, currentReplicas: status.currentReplicas, desiredReplicas: status.desiredReplicas });
    if (status.currentCPUUtilizationPercentage !== undefined && status.currentCPUUtilizationPercentage !== null)
      st.currentMetrics = [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: status.currentCPUUtilizationPercentage } } }];
    const current = parseJSON(ann[metricStatusesAnnotation]);
    if (Array.isArray(current)) st.currentMetrics = current.map((m) => statusFromV1(asRecord(m)));
    const conditions = parseJSON(ann[conditionsAnnotation]);
    if (Array.isArray(conditions)) st.conditions = conditions;
    out.status = st;
  }
  return out;
}

export const hpaV1Conversion: VersionConversion = { toStorage: hpaFromV1, fromStorage: hpaToV1 };
