/**
 * Strategies of core/v1 Pod and PodTemplate (pkg/registry/core/pod/strategy.go,
 * pkg/registry/core/podtemplate/strategy.go).
 */
import type { Pod, PodCondition, PodTemplate } from 'kubernetes-types/core/v1.js';
import type { FieldError } from '../../field-errors.js';
import type { ApiObject } from '../../object.js';
import type { ResourceStrategy } from '../../strategy.js';
import { defaultPod, defaultPodTemplateSpec } from './pod-defaults.js';
import { validatePodSpec, validatePodTemplateSpec } from './pod-spec-validation.js';
import { validatePodStatusUpdate, validatePodUpdate } from './pod-update-validation.js';
import { computeQOSClass } from './qos.js';
import { root } from './util.js';

const asPod = (o: ApiObject): Pod => o as unknown as Pod;

export const podStrategy: ResourceStrategy = {
  default: (obj) => defaultPod(asPod(obj)),
  /** A new pod starts Pending with its QoS class; gated pods get the SchedulingGated condition. */
  prepareForCreate(obj) {
    const pod = asPod(obj);
    const status: NonNullable<Pod['status']> = { phase: 'Pending', qosClass: computeQOSClass(pod) };
    if ((pod.spec?.schedulingGates ?? []).length > 0) {
      const gated = {
        type: 'PodScheduled',
        status: 'False',
        reason: 'SchedulingGated',
        message: 'Scheduling is blocked due to non-empty scheduling gates',
        lastProbeTime: null,
        lastTransitionTime: null,
      } as unknown as PodCondition;
      status.conditions = [gated];
    }
    obj.status = status;
  },
  validate: (obj): FieldError[] => validatePodSpec(asPod(obj).spec, root('spec'), { isPod: true }),
  validateUpdate: (obj, old) => validatePodUpdate(asPod(obj), asPod(old)),
  /** Old kubelets corrupt ownerReferences through pods/status, so that endpoint keeps the old ones. */
  statusPrepareForUpdate(obj, old) {
    if (old.metadata.ownerReferences) obj.metadata.ownerReferences = old.metadata.ownerReferences;
    else delete obj.metadata.ownerReferences;
  },
  statusValidateUpdate: (obj, old) => validatePodStatusUpdate(asPod(obj), asPod(old)),
};

const asTemplate = (o: ApiObject): PodTemplate => o as unknown as PodTemplate;

export const podTemplateStrategy: ResourceStrategy = {
  default(obj) {
    const t = asTemplate(obj);
    t.template ??= {};
    defaultPodTemplateSpec(t.template);
  },
  validate: (obj) => validatePodTemplateSpec(asTemplate(obj).template, root('template')),
};
