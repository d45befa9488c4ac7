/**
 * What a Service is charged against a ResourceQuota (upstream's service quota evaluator,
 * pkg/quota/v1/evaluator/core/services.go): `services` and `count/services` (1 each),
 * `services.loadbalancers` (1 for type LoadBalancer) and `services.nodeports`. Node ports are not
 * allocated yet when admission runs, so the count is the intent: every port of a NodePort or
 * LoadBalancer Service, except that a LoadBalancer with `allocateLoadBalancerNodePorts: false`
 * counts only the ports that name a nodePort. Creation and update are both charged, since an
 * update can change the type.
 */
import type { Service } from 'kubernetes-types/core/v1.js';
import type { ApiObject } from '../object.js';
import { Quantity } from '../quantity.js';
import { intersect, matchesNoScope, noConstraints, type QuotaEvaluator } from './evaluator.js';
import { objectCountName } from './object-count.js';
import type { ResourceList } from './resource-list.js';

const groupResource = { group: '', resource: 'services' };
const countName = objectCountName(groupResource);
const serviceResources = new Set([countName, 'services', 'services.nodeports', 'services.loadbalancers']);

function nodePorts(svc: Service): number {
  const ports = svc.spec?.ports ?? [];
  switch (svc.spec?.type) {
    case 'NodePort':
      return ports.length;
    case 'LoadBalancer':
      return svc.spec?.allocateLoadBalancerNodePorts === false ? ports.filter((p) => !!p.nodePort).length : ports.length;
    default:
      return 0;
  }
}

export function serviceUsage(svc: Service): ResourceList {
  return new Map([
    [countName, Quantity.fromInt(1)],
    ['services', Quantity.fromInt(1)],
    ['services.loadbalancers', Quantity.fromInt(svc.spec?.type === 'LoadBalancer' ? 1 : 0)],
    ['services.nodeports', Quantity.fromInt(nodePorts(svc))],
  ]);
}

export const serviceEvaluator: QuotaEvaluator = {
  groupResource,
  handles: (op) => op === 'CREATE' || op === 'UPDATE',
  matchingResources: (names) => intersect(names, serviceResources),
  matchesScope: matchesNoScope,
  constraints: noConstraints,
  usage: (obj: ApiObject) => serviceUsage(obj as unknown as Service),
};
