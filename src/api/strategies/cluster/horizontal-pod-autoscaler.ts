/**
 * HorizontalPodAutoscalers in the autoscaling/v2 storage shape: SetDefaults_HorizontalPodAutoscaler
 * (autoscaling/v2 defaults.go), the horizontalpodautoscaler registry strategy and
 * pkg/apis/autoscaling/validation. autoscaling/v1 requests reach this strategy after conversion.
 */
import type { HPAScalingRules, HorizontalPodAutoscaler, MetricSpec, MetricTarget } from 'kubernetes-types/autoscaling/v2.js';
import { type FieldError, FieldPath, forbidden, invalid, notSupported, required } from '../../field-errors.js';
import { validateLabelSelector } from '../../validation/meta.js';
import { isValidPathSegmentName } from '../../validation/names.js';
import { type ClusterStrategy, asRecord, quantityAt, quantityValue, root } from './util.js';

export const defaultCPUUtilization = 80;
const maxPeriodSeconds = 1800;
const maxStabilizationWindowSeconds = 3600;

const scaleUpDefaults = (): HPAScalingRules => ({
  stabilizationWindowSeconds: 0,
  selectPolicy: 'Max',
  policies: [
    { type: 'Pods', value: 4, periodSeconds: 15 },
    { type: 'Percent', value: 100, periodSeconds: 15 },
  ],
});
const scaleDownDefaults = (): HPAScalingRules => ({ selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] });

/** GenerateHPAScaleUpRules / GenerateHPAScaleDownRules: fill what the user left out. */
function fillRules(rules: HPAScalingRules | undefined, defaults: HPAScalingRules): HPAScalingRules {
  if (!rules) return defaults;
  const out = { ...rules };
  if (out.policies === undefined) out.policies = defaults.policies;
  if (out.selectPolicy === undefined) out.selectPolicy = defaults.selectPolicy;
  if (out.stabilizationWindowSeconds === undefined && defaults.stabilizationWindowSeconds !== undefined)
    out.stabilizationWindowSeconds = defaults.stabilizationWindowSeconds;
  return out;
}

export function defaultHPA(obj: { spec?: Record<string, unknown> }): void {
  const spec = (obj.spec ??= {}) as NonNullable<HorizontalPodAutoscaler['spec']> & Record<string, unknown>;
  if (spec.minReplicas === undefined) spec.minReplicas = 1;
  if (!(spec.metrics ?? []).length)
    spec.metrics = [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: defaultCPUUtilization } } }];
  if (spec.behavior) {
    spec.behavior = { ...spec.behavior, scaleUp: fillRules(spec.behavior.scaleUp, scaleUpDefaults()), scaleDown: fillRules(spec.behavior.scaleDown, scaleDownDefaults()) };
  }
}

function validateRef(ref: { kind?: string; name?: string } | undefined, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  for (const f of ['kind', 'name'] as const) {
    const v = ref?.[f] ?? '';
    if (!v) errs.push(required(path.child(f)));
    else for (const m of isValidPathSegmentName(v)) errs.push(invalid(path.child(f), v, m));
  }
  return errs;
}

function validateTarget(t: MetricTarget | undefined, path: FieldPath, errs: FieldError[]): void {
  const target = t ?? ({} as MetricTarget);
  if (!target.type) errs.push(required(path.child('type'), 'must specify a metric target type'));
  if (!['Utilization', 'Value', 'AverageValue'].includes(target.type ?? ''))
    errs.push(invalid(path.child('type'), target.type ?? '', 'must be either Utilization, Value, or AverageValue'));
  for (const f of ['value', 'averageValue'] as const) {
    if (target[f] === undefined) continue;
    const q = quantityAt(target[f], path.child(f), errs);
    if (q && q.sign() !== 1) errs.push(invalid(path.child(f), quantityValue(q), 'must be positive'));
  }
  if (target.averageUtilization !== undefined && target.averageUtilization < 1)
    errs.push(invalid(path.child('averageUtilization'), target.averageUtilization, 'must be greater than 0'));
}

function validateIdentifier(m: { name?: string; selector?: unknown } | undefined, path: FieldPath, errs: FieldError[]): void {
  if (!m?.name) errs.push(required(path.child('name'), 'must specify a metric name'));
  else for (const msg of isValidPathSegmentName(m.name)) errs.push(invalid(path.child('name'), m.name, msg));
  if (m?.selector) errs.push(...validateLabelSelector(m.selector as never, path.child('selector')));
}

const sourceFields: Record<string, string> = {
  Object: 'object', Pods: 'pods', Resource: 'resource', ContainerResource: 'containerResource', External: 'external',
};
const metricTypes = ['ContainerResource', 'External', 'Object', 'Pods', 'Resource'];

function validateMetricSpec(m: MetricSpec, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  if (!m.type) errs.push(required(path.child('type'), 'must specify a metric source type'));
  if (!metricTypes.includes(m.type ?? '')) errs.push(notSupported(path.child('type'), m.type ?? '', metricTypes));
  const present = Object.values(sourceFields).filter((f) => asRecord(m)[f] !== undefined && asRecord(m)[f] !== null);
  const first = present[0];
  if (first) {
    const p = path.child(first);
    const src = asRecord(asRecord(m)[first]);
    const target = src.target as MetricTarget | undefined;
    const tp = p.child('target');
    switch (first) {
      case 'object':
        errs.push(...validateRef(src.describedObject as { kind?: string; name?: string }, p.child('describedObject')));
        validateIdentifier(src.metric as { name?: string }, p.child('metric'), errs);
        validateTarget(target, tp, errs);
        if (target?.value === undefined && target?.averageValue === undefined) errs.push(required(tp.child('averageValue'), 'must set either a target value or averageValue'));
        break;
      case 'pods':
        validateIdentifier(src.metric as { name?: string }, p.child('metric'), errs);
        validateTarget(target, tp, errs);
        if (target?.averageValue === undefined) errs.push(required(tp.child('averageValue'), 'must specify a positive target averageValue'));
        break;
      case 'external':
        validateIdentifier(src.metric as { name?: string }, p.child('metric'), errs);
        validateTarget(target, tp, errs);
        if (target?.value === undefined && target?.averageValue === undefined)
          errs.push(required(tp.child('averageValue'), 'must set either a target value for metric or a per-pod target'));
        if (target?.value !== undefined && target?.averageValue !== undefined)
          errs.push(forbidden(tp.child('value'), 'may not set both a target value for metric and a per-pod target'));
        break;
      default: {
        // resource, containerResource
        if (!src.name) errs.push(required(p.child('name'), 'must specify a resource name'));
        if (first === 'containerResource' && !src.container) errs.push(required(p.child('container'), 'must specify a container'));
        validateTarget(target, tp, errs);
        if (target?.averageUtilization === undefined && target?.averageValue === undefined)
          errs.push(required(tp.child('averageUtilization'), 'must set either a target raw value or a target utilization'));
        if (target?.averageUtilization !== undefined && target?.averageValue !== undefined)
          errs.push(forbidden(tp.child('averageValue'), 'may not set both a target raw value and a target utilization'));
      }
    }
  }
  const expected = sourceFields[m.type ?? ''];
  if (expected && !present.includes(expected)) errs.push(required(path.child(expected), 'must populate information for the given metric source'));
  if (present.length > 1) {
    for (const f of present) if (f !== expected) errs.push(forbidden(path.child(f), 'must populate the given metric source only'));
  }
  return errs;
}

function validateRules(rules: HPAScalingRules | undefined, path: FieldPath): FieldError[] {
  if (!rules) return [];
  const errs: FieldError[] = [];
  const w = rules.stabilizationWindowSeconds;
  if (w !== undefined && w < 0) errs.push(invalid(path.child('stabilizationWindowSeconds'), w, 'must be greater than or equal to zero'));
  if (w !== undefined && w > maxStabilizationWindowSeconds)
    errs.push(invalid(path.child('stabilizationWindowSeconds'), w, `must be less than or equal to ${maxStabilizationWindowSeconds}`));
  if (rules.selectPolicy !== undefined && !['Disabled', 'Max', 'Min'].includes(rules.selectPolicy))
    errs.push(notSupported(path.child('selectPolicy'), rules.selectPolicy, ['Disabled', 'Max', 'Min']));
  const pp = path.child('policies');
  if (!(rules.policies ?? []).length) errs.push(required(pp, 'must specify at least one Policy'));
  (rules.policies ?? []).forEach((pol, i) => {
    const p = pp.index(i);
    if (pol.type !== 'Pods' && pol.type !== 'Percent') errs.push(notSupported(p.child('type'), pol.type, ['Percent', 'Pods']));
    if (!(pol.value > 0)) errs.push(invalid(p.child('value'), pol.value, 'must be greater than zero'));
    if (!(pol.periodSeconds > 0)) errs.push(invalid(p.child('periodSeconds'), pol.periodSeconds, 'must be greater than zero'));
    if (pol.periodSeconds > maxPeriodSeconds) errs.push(invalid(p.child('periodSeconds'), pol.periodSeconds, `must be less than or equal to ${maxPeriodSeconds}`));
  });
  return errs;
}

export function validateHPASpec(hpa: HorizontalPodAutoscaler): FieldError[] {
  const spec = hpa.spec ?? ({} as NonNullable<HorizontalPodAutoscaler['spec']>);
  const sp = root('spec');
  const errs: FieldError[] = [];
  // HPAScaleToZero is alpha (off): the lower bound of minReplicas is 1.
  if (spec.minReplicas !== undefined && spec.minReplicas < 1) errs.push(invalid(sp.child('minReplicas'), spec.minReplicas, 'must be greater than or equal to 1'));
  if (!(spec.maxReplicas >= 1)) errs.push(invalid(sp.child('maxReplicas'), spec.maxReplicas ?? 0, 'must be greater than 0'));
  if (spec.minReplicas !== undefined && (spec.maxReplicas ?? 0) < spec.minReplicas)
    errs.push(invalid(sp.child('maxReplicas'), spec.maxReplicas ?? 0, 'must be greater than or equal to `minReplicas`'));
  errs.push(...validateRef(spec.scaleTargetRef, sp.child('scaleTargetRef')));
  (spec.metrics ?? []).forEach((m, i) => errs.push(...validateMetricSpec(m, sp.child('metrics').index(i))));
  if (spec.behavior) {
    errs.push(...validateRules(spec.behavior.scaleUp, sp.child('behavior', 'scaleUp')));
    errs.push(...validateRules(spec.behavior.scaleDown, sp.child('behavior', 'scaleDown')));
  }
  return errs;
}

export const horizontalPodAutoscalerStrategy: ClusterStrategy = {
  default(obj) {
    defaultHPA(obj as { spec?: Record<string, unknown> });
  },
  prepareForCreate(obj) {
    (obj as { status?: unknown }).status = {};
  },
  validate(obj) {
    return validateHPASpec(obj as unknown as HorizontalPodAutoscaler);
  },
  statusValidateUpdate(obj) {
    const st = (obj as unknown as HorizontalPodAutoscaler).status;
    const errs: FieldError[] = [];
    if ((st?.currentReplicas ?? 0) < 0) errs.push(invalid(root('status').child('currentReplicas'), st?.currentReplicas, 'must be greater than or equal to 0'));
    // Upstream's path typo, kept: `status.desiredReplicasa`.
    if ((st?.desiredReplicas ?? 0) < 0) errs.push(invalid(root('status').child('desiredReplicasa'), st?.desiredReplicas, 'must be greater than or equal to 0'));
    return errs;
  },
};
