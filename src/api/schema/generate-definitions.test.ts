import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { generateDefinitions } from './generate-definitions.js';
import { createResolver } from './resolver.js';
import { refName, type SchemaNode } from './schema-types.js';

const defs = generateDefinitions();
const resolver = createResolver(defs);
const prop = (def: string, field: string): SchemaNode => {
  const node = defs[def]?.properties?.[field];
  assert.ok(node, `${def}.${field} exists`);
  return node;
};

describe('generateDefinitions', () => {
  test('keys definitions like upstream and marks top-level kinds', () => {
    assert.deepEqual(defs['io.k8s.api.apps.v1.Deployment']?.['x-kubernetes-group-version-kind'], [{ group: 'apps', version: 'v1', kind: 'Deployment' }]);
    assert.deepEqual(defs['io.k8s.api.core.v1.Pod']?.['x-kubernetes-group-version-kind'], [{ group: '', version: 'v1', kind: 'Pod' }]);
    assert.equal(resolver.definitionNameForKind('networking.k8s.io', 'v1', 'Ingress'), 'io.k8s.api.networking.v1.Ingress');
    assert.equal(resolver.definitionNameForKind('autoscaling', 'v2', 'HorizontalPodAutoscaler'), 'io.k8s.api.autoscaling.v2.HorizontalPodAutoscaler');
  });

  test('carries the field documentation', () => {
    const strategy = prop('io.k8s.api.apps.v1.DeploymentSpec', 'strategy');
    assert.match(strategy.description ?? '', /deployment strategy/i);
    assert.equal(strategy.$ref, '#/definitions/io.k8s.api.apps.v1.DeploymentStrategy');
    assert.equal(strategy['x-kubernetes-patch-strategy'], 'retainKeys');
    assert.match(defs['io.k8s.api.apps.v1.DeploymentStrategy']?.properties?.type?.description ?? '', /Recreate/);
  });

  test('types, formats and required fields', () => {
    assert.deepEqual({ ...prop('io.k8s.api.apps.v1.DeploymentSpec', 'replicas'), description: undefined }, { description: undefined, type: 'integer', format: 'int32' });
    assert.equal(prop('io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta', 'generation').format, 'int64');
    assert.equal(prop('io.k8s.api.core.v1.PodSpec', 'terminationGracePeriodSeconds').format, 'int64');
    assert.equal(prop('io.k8s.api.core.v1.ContainerPort', 'containerPort').format, 'int32');
    assert.equal(prop('io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta', 'creationTimestamp').$ref, '#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.Time');
    assert.deepEqual(defs['io.k8s.apimachinery.pkg.apis.meta.v1.Time'], { description: defs['io.k8s.apimachinery.pkg.apis.meta.v1.Time']?.description, type: 'string', format: 'date-time' });
    assert.equal(defs['io.k8s.apimachinery.pkg.util.intstr.IntOrString']?.format, 'int-or-string');
    assert.equal(prop('io.k8s.api.apps.v1.RollingUpdateDeployment', 'maxSurge').$ref, '#/definitions/io.k8s.apimachinery.pkg.util.intstr.IntOrString');
    assert.equal(defs['io.k8s.apimachinery.pkg.api.resource.Quantity']?.type, 'string');
    assert.equal(defs['io.k8s.apimachinery.pkg.runtime.RawExtension']?.['x-kubernetes-preserve-unknown-fields'], true);
    assert.deepEqual(defs['io.k8s.api.apps.v1.DeploymentSpec']?.required, ['selector', 'template']);
    const labels = prop('io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta', 'labels');
    assert.deepEqual(labels.additionalProperties, { type: 'string' });
    assert.deepEqual(prop('io.k8s.api.core.v1.Secret', 'data').additionalProperties, { type: 'string', format: 'byte' });
    assert.equal(prop('io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps', 'maximum').type, 'number');
  });

  test('list and patch metadata for strategic merge patch and apply', () => {
    const containers = prop('io.k8s.api.core.v1.PodSpec', 'containers');
    assert.equal(containers['x-kubernetes-patch-merge-key'], 'name');
    assert.equal(containers['x-kubernetes-patch-strategy'], 'merge');
    assert.equal(containers['x-kubernetes-list-type'], 'map');
    assert.deepEqual(prop('io.k8s.api.core.v1.Container', 'ports')['x-kubernetes-list-map-keys'], ['containerPort', 'protocol']);
    assert.equal(prop('io.k8s.api.core.v1.Container', 'volumeMounts')['x-kubernetes-patch-merge-key'], 'mountPath');
    assert.deepEqual(prop('io.k8s.api.core.v1.ServiceSpec', 'ports')['x-kubernetes-list-map-keys'], ['port', 'protocol']);
    assert.equal(prop('io.k8s.api.core.v1.PodSpec', 'tolerations')['x-kubernetes-list-type'], 'atomic');
    assert.equal(prop('io.k8s.api.core.v1.PodSpec', 'volumes')['x-kubernetes-patch-strategy'], 'merge,retainKeys');
    assert.equal(prop('io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta', 'finalizers')['x-kubernetes-list-type'], 'set');
    assert.equal(prop('io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta', 'ownerReferences')['x-kubernetes-patch-merge-key'], 'uid');
    assert.equal(prop('io.k8s.api.apps.v1.DeploymentStatus', 'conditions')['x-kubernetes-patch-merge-key'], 'type');
    assert.equal(defs['io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector']?.['x-kubernetes-map-type'], 'atomic');
  });

  test('every $ref names a generated definition', () => {
    const missing: string[] = [];
    const visit = (n: SchemaNode, where: string): void => {
      if (n.$ref && !defs[refName(n.$ref)]) missing.push(`${where} → ${n.$ref}`);
      if (n.items) visit(n.items, where);
      if (n.additionalProperties && typeof n.additionalProperties === 'object') visit(n.additionalProperties, where);
      for (const [k, p] of Object.entries(n.properties ?? {})) visit(p, `${where}.${k}`);
    };
    for (const [name, d] of Object.entries(defs)) visit(d, name);
    assert.deepEqual(missing, []);
  });

  test('resolve follows $ref and keeps the field-level extensions', () => {
    const node = resolver.resolve(prop('io.k8s.api.apps.v1.DeploymentSpec', 'strategy'));
    assert.equal(node.type, 'object');
    assert.ok(node.properties?.rollingUpdate);
    assert.equal(node['x-kubernetes-patch-strategy'], 'retainKeys');
  });
});
