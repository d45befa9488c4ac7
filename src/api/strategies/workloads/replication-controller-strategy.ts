/**
 * core/v1 ReplicationController strategy (pkg/registry/core/replicationcontroller/strategy.go;
 * ValidateReplicationControllerSpec in pkg/apis/core/validation). Its selector is a plain map and
 * stays mutable.
 */
import type { ReplicationController } from 'kubernetes-types/core/v1.js';
import { type FieldError, required } from '../../field-errors.js';
import { selectorFromSet } from '../../labels.js';
import type { ApiObject } from '../../object.js';
import type { ResourceStrategy } from '../../strategy.js';
import { defaultReplicationController } from './apps-defaults.js';
import { validateReplicaStatus, validateTemplateForReplicas } from './controller-validation.js';
import { isObject, nonNegative, root } from './util.js';

const asRC = (o: ApiObject): ReplicationController => o as unknown as ReplicationController;

export function validateReplicationControllerSpec(rc: ReplicationController): FieldError[] {
  const spec = isObject(rc.spec) ? rc.spec : {};
  const path = root('spec');
  const errs = nonNegative(spec.minReadySeconds, path.child('minReadySeconds'));
  const selector = isObject(spec.selector) ? (spec.selector as Record<string, string>) : {};
  if (Object.keys(selector).length === 0) errs.push(required(path.child('selector')));
  errs.push(...nonNegative(spec.replicas, path.child('replicas')));
  errs.push(...validateTemplateForReplicas(spec.template, selectorFromSet(selector), 'ReplicationController', path.child('template')));
  return errs;
}

export const replicationControllerStrategy: ResourceStrategy = {
  default: (obj) => defaultReplicationController(asRC(obj)),
  prepareForCreate(obj) {
    obj.status = { replicas: 0 };
  },
  validate: (obj) => validateReplicationControllerSpec(asRC(obj)),
  statusValidateUpdate: (obj) =>
    validateReplicaStatus(obj.status as Record<string, unknown>, ['replicas', 'fullyLabeledReplicas', 'readyReplicas', 'availableReplicas', 'observedGeneration'], root('status')),
};
