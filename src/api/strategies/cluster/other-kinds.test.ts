import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { ingressClassStrategy, ingressStrategy } from './ingress.js';
import { podDisruptionBudgetStrategy } from './pod-disruption-budget.js';
import { horizontalPodAutoscalerStrategy } from './horizontal-pod-autoscaler.js';
import { clusterRoleBindingStrategy, clusterRoleStrategy, roleBindingStrategy, roleStrategy } from './rbac.js';
import { networkPolicyStrategy } from './network-policy.js';
import { priorityClassStrategy } from './priority-class.js';
import { storageClassStrategy } from './storage-class.js';
import { endpointSliceStrategy } from './endpoint-slice.js';
import { eventsV1EventStrategy } from './event.js';
import { create, update } from './test-helpers.js';

const meta = { name: 'x', namespace: 'default' };
const backend = { service: { name: 'web', port: { number: 80 } } };

describe('Ingress', () => {
  test('a valid ingress with a wildcard host', () => {
    const spec = { rules: [{ host: '*.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend }] } }] };
    assert.deepEqual(create(ingressStrategy, { metadata: meta, spec }).errors, []);
  });

  test('pathType required, absolute paths, backend port', () => {
    const spec = {
      rules: [
        {
          host: '10.0.0.1',
          http: {
            paths: [
              { path: '/a', backend },
              { path: 'rel', pathType: 'Exact', backend },
              { path: '/b', pathType: 'Prefix', backend: { service: { name: 'web', port: {} } } },
              { path: '/c', pathType: 'Regex', backend },
            ],
          },
        },
      ],
    };
    assert.deepEqual(create(ingressStrategy, { metadata: meta, spec }).errors, [
      'spec.rules[0].host: Invalid value: "10.0.0.1": must be a DNS name, not an IP address',
      'spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified',
      'spec.rules[0].http.paths[1].path: Invalid value: "rel": must be an absolute path',
      'spec.rules[0].http.paths[2].backend: Required value: port name or number is required',
      'spec.rules[0].http.paths[3].pathType: Unsupported value: "Regex": supported values: "Exact", "ImplementationSpecific", "Prefix"',
    ]);
  });

  test('rules or defaultBackend required; backend service xor resource', () => {
    assert.deepEqual(create(ingressStrategy, { metadata: meta, spec: {} }).errors, ['spec: Invalid value: null: either `defaultBackend` or `rules` must be specified']);
    const both = { defaultBackend: { ...backend, resource: { kind: 'Bucket', name: 'b' } } };
    assert.deepEqual(create(ingressStrategy, { metadata: meta, spec: both }).errors, ['spec.defaultBackend: Invalid value: "": cannot set both resource and service backends']);
  });

  test('IngressClass controller required and immutable', () => {
    assert.deepEqual(create(ingressClassStrategy, { metadata: { name: 'c' }, spec: {} }).errors, ['spec.controller: Required value']);
    const old = create(ingressClassStrategy, { metadata: { name: 'c' }, spec: { controller: 'capstan.dev/ingress' } }).obj;
    assert.deepEqual(update(ingressClassStrategy, { metadata: { name: 'c' }, spec: { controller: 'other.dev/x' } }, old).errors, [
      'spec.controller: Invalid value: "other.dev/x": field is immutable',
    ]);
  });
});

describe('PodDisruptionBudget', () => {
  test('minAvailable and maxUnavailable are exclusive; percents are checked', () => {
    const both = create(podDisruptionBudgetStrategy, { metadata: meta, spec: { minAvailable: 1, maxUnavailable: 1 } });
    assert.equal(both.errors.length, 1);
    assert.match(both.errors[0], /^spec: Invalid value: .*: minAvailable and maxUnavailable cannot be both set$/);
    const pct = create(podDisruptionBudgetStrategy, { metadata: meta, spec: { maxUnavailable: '150%', selector: { matchLabels: { app: 'a' } } } });
    assert.equal(pct.errors.length, 1);
    assert.match(pct.errors[0], /^spec.maxUnavailable: Invalid value: .*: must not be greater than 100%$/);
    const neg = create(podDisruptionBudgetStrategy, { metadata: meta, spec: { minAvailable: -1 } });
    assert.deepEqual(neg.errors, ['spec.minAvailable: Invalid value: -1: must be greater than or equal to 0']);
  });
});

describe('HorizontalPodAutoscaler', () => {
  const ref = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' };

  test('defaults minReplicas and the CPU metric; behavior filled only when present', () => {
    const { obj, errors } = create(horizontalPodAutoscalerStrategy, { metadata: meta, spec: { scaleTargetRef: ref, maxReplicas: 5 } });
    assert.deepEqual(errors, []);
    const spec = obj.spec as Record<string, unknown>;
    assert.equal(spec.minReplicas, 1);
    assert.deepEqual(spec.metrics, [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }]);
    assert.equal(spec.behavior, undefined);
    const withBehavior = create(horizontalPodAutoscalerStrategy, { metadata: meta, spec: { scaleTargetRef: ref, maxReplicas: 5, behavior: { scaleDown: { stabilizationWindowSeconds: 60 } } } });
    assert.deepEqual((withBehavior.obj.spec as Record<string, unknown>).behavior, {
      scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 4, periodSeconds: 15 }, { type: 'Percent', value: 100, periodSeconds: 15 }] },
      scaleDown: { stabilizationWindowSeconds: 60, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] },
    });
  });

  test('replica bounds and scaleTargetRef', () => {
    const { errors } = create(horizontalPodAutoscalerStrategy, { metadata: meta, spec: { scaleTargetRef: { kind: 'Deployment' }, minReplicas: 3, maxReplicas: 2 } });
    assert.deepEqual(errors, [
      'spec.maxReplicas: Invalid value: 2: must be greater than or equal to `minReplicas`',
      'spec.scaleTargetRef.name: Required value',
    ]);
    assert.deepEqual(create(horizontalPodAutoscalerStrategy, { metadata: meta, spec: { scaleTargetRef: ref, minReplicas: 0, maxReplicas: 0 } }).errors, [
      'spec.minReplicas: Invalid value: 0: must be greater than or equal to 1',
      'spec.maxReplicas: Invalid value: 0: must be greater than 0',
    ]);
  });

  test('metric sources', () => {
    const metrics = [{ type: 'Pods' }, { type: 'Resource', resource: { name: 'memory', target: { type: 'Utilization' } } }];
    assert.deepEqual(create(horizontalPodAutoscalerStrategy, { metadata: meta, spec: { scaleTargetRef: ref, maxReplicas: 2, metrics } }).errors, [
      'spec.metrics[0].pods: Required value: must populate information for the given metric source',
      'spec.metrics[1].resource.target.averageUtilization: Required value: must set either a target raw value or a target utilization',
    ]);
  });
});

describe('RBAC', () => {
  test('rules need verbs; nonResourceURLs only in ClusterRoles', () => {
    const rules = [{ apiGroups: [''], resources: ['pods'] }, { verbs: ['get'], nonResourceURLs: ['/healthz'] }];
    assert.deepEqual(create(roleStrategy, { metadata: meta, rules }).errors, [
      'rules[0].verbs: Required value: verbs must contain at least one value',
      'rules[1].nonResourceURLs: Invalid value: ["/healthz"]: namespaced rules cannot apply to non-resource URLs',
    ]);
    assert.deepEqual(create(clusterRoleStrategy, { metadata: { name: 'system:x' }, rules: rules.slice(1) }).errors, []);
    assert.deepEqual(clusterRoleStrategy.nameValidator?.('system:controller:foo'), []);
    assert.deepEqual(create(clusterRoleStrategy, { metadata: { name: 'agg' }, aggregationRule: {} }).errors, [
      'aggregationRule.clusterRoleSelectors: Required value: at least one clusterRoleSelector required if aggregationRule is non-nil',
    ]);
  });

  test('bindings: apiGroup defaults, subject kinds, roleRef immutable', () => {
    const { obj, errors } = create(roleBindingStrategy, {
      metadata: meta,
      roleRef: { kind: 'Role', name: 'reader' },
      subjects: [{ kind: 'User', name: 'alice' }, { kind: 'ServiceAccount', name: 'sa' }, { kind: 'Robot', name: 'r2' }],
    });
    assert.equal((obj.roleRef as Record<string, unknown>).apiGroup, 'rbac.authorization.k8s.io');
    assert.equal((obj.subjects as Record<string, unknown>[])[0].apiGroup, 'rbac.authorization.k8s.io');
    assert.deepEqual(errors, ['subjects[2].kind: Unsupported value: "Robot": supported values: "ServiceAccount", "User", "Group"']);
    const up = update(roleBindingStrategy, { metadata: meta, roleRef: { kind: 'Role', name: 'writer' } }, obj);
    assert.equal(up.errors.length, 1);
    assert.match(up.errors[0], /^roleRef: Invalid value: .*: cannot change roleRef$/);
    assert.deepEqual(create(clusterRoleBindingStrategy, { metadata: { name: 'b' }, roleRef: { kind: 'Role', name: 'r' }, subjects: [{ kind: 'ServiceAccount', name: 'sa' }] }).errors, [
      'roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole"',
      'subjects[0].namespace: Required value',
    ]);
  });
});

describe('other cluster kinds', () => {
  test('NetworkPolicy defaults policyTypes and port protocol; ipBlock except must be a subset', () => {
    const { obj, errors } = create(networkPolicyStrategy, {
      metadata: meta,
      spec: { podSelector: {}, egress: [{ ports: [{ port: 53 }], to: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['192.168.0.0/16'] } }] }] },
    });
    const spec = obj.spec as { policyTypes: string[]; egress: { ports: { protocol: string }[] }[] };
    assert.deepEqual(spec.policyTypes, ['Ingress', 'Egress']);
    assert.equal(spec.egress[0].ports[0].protocol, 'TCP');
    assert.deepEqual(errors, ['spec.egress[0].to[0].ipBlock.except[0]: Invalid value: "192.168.0.0/16": must be a strict subset of `cidr`']);
  });

  test('PriorityClass: system- prefix reserved, user value capped, value immutable', () => {
    assert.deepEqual(create(priorityClassStrategy, { metadata: { name: 'system-mine' }, value: 5 }).errors, [
      "metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: system-mine is not a known system priority class",
    ]);
    const { obj, errors } = create(priorityClassStrategy, { metadata: { name: 'high' }, value: 2000000000 });
    assert.equal(obj.preemptionPolicy, 'PreemptLowerPriority');
    assert.deepEqual(errors, ['value: Forbidden: maximum allowed value of a user defined priority is 1000000000']);
    const old = create(priorityClassStrategy, { metadata: { name: 'high' }, value: 10 }).obj;
    assert.deepEqual(update(priorityClassStrategy, { metadata: { name: 'high' }, value: 11 }, old).errors, ['value: Forbidden: may not be changed in an update.']);
  });

  test('StorageClass defaults and immutable provisioner', () => {
    const { obj, errors } = create(storageClassStrategy, { metadata: { name: 'local' }, provisioner: 'capstan.dev/local' });
    assert.deepEqual(errors, []);
    assert.equal(obj.reclaimPolicy, 'Delete');
    assert.equal(obj.volumeBindingMode, 'Immediate');
    assert.deepEqual(update(storageClassStrategy, { metadata: { name: 'local' }, provisioner: 'other/x' }, obj).errors, ['provisioner: Forbidden: updates to provisioner are forbidden.']);
  });

  test('EndpointSlice addresses follow the address type', () => {
    const { obj, errors } = create(endpointSliceStrategy, { metadata: meta, addressType: 'IPv4', endpoints: [{ addresses: ['10.42.0.5', '::1'] }], ports: [{ port: 80 }] });
    assert.deepEqual(obj.ports, [{ port: 80, name: '', protocol: 'TCP' }]);
    assert.deepEqual(errors, ['endpoints[0].addresses[1]: Invalid value: "::1": must be a valid IPv4 address']);
  });

  test('events.k8s.io events need eventTime and the reporting fields', () => {
    const { errors } = create(eventsV1EventStrategy, { metadata: meta, involvedObject: { namespace: 'default' }, type: 'Normal' });
    assert.deepEqual(errors, ['eventTime: Required value']);
    const timed = create(eventsV1EventStrategy, { metadata: meta, eventTime: '2024-01-01T00:00:00.000000Z', involvedObject: { namespace: 'default' }, type: 'Normal' });
    assert.deepEqual(timed.errors, [
      'reportingController: Required value',
      'reportingController: Invalid value: "": name part must be non-empty',
      'reportingInstance: Required value', 'action: Required value', 'reason: Required value']);
  });
});
