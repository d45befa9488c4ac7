import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { loadSchema } from './load-schema.js';
import {
  cannotBeHandledMessage,
  checkFields,
  findDuplicateFields,
  prune,
  strictDecodingMessage,
  unknownFieldMessage,
} from './structural-decode.js';

const resolver = await loadSchema();
const deploymentRoot = resolver.forKind('apps', 'v1', 'Deployment')!;

const deployment = (spec: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', labels: { app: 'web' } },
  spec: {
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx', ports: [{ containerPort: 80 }] }] } },
    ...spec,
  },
  ...extra,
});

describe('checkFields', () => {
  test('a valid object has no findings', () => {
    assert.deepEqual(checkFields(deployment({ replicas: 2 }), deploymentRoot, resolver), { unknown: [], typeErrors: [] });
  });

  test('unknown fields, nested in list items, with indexed paths', () => {
    const obj = deployment({ foo: 1 }, { status: { bar: true } });
    const spec = obj.spec as { template: { spec: { containers: Record<string, unknown>[] } } };
    spec.template.spec.containers.push({ name: 'd', image: 'x', imagePullPolicyy: 'Always' });
    const { unknown, typeErrors } = checkFields(obj, deploymentRoot, resolver);
    // Document order: spec.foo comes after spec.template in the object built above.
    assert.deepEqual(unknown, ['spec.template.spec.containers[1].imagePullPolicyy', 'spec.foo', 'status.bar']);
    assert.deepEqual(typeErrors, []);
    assert.equal(
      strictDecodingMessage(unknown.map(unknownFieldMessage)),
      'strict decoding error: unknown field "spec.template.spec.containers[1].imagePullPolicyy", unknown field "spec.foo", unknown field "status.bar"',
    );
  });

  test('metadata is a known struct: its unknown fields are reported, labels are a free map', () => {
    const obj = deployment({}, { metadata: { name: 'x', labels: { anything: 'goes' }, nmae: 'typo' } });
    assert.deepEqual(checkFields(obj, deploymentRoot, resolver).unknown, ['metadata.nmae']);
  });

  test('int-or-string accepts both, rejects others', () => {
    const ok = deployment({ strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: '25%' } } });
    assert.deepEqual(checkFields(ok, deploymentRoot, resolver).typeErrors, []);
    const bad = deployment({ strategy: { rollingUpdate: { maxSurge: true } } });
    assert.deepEqual(checkFields(bad, deploymentRoot, resolver).typeErrors, [
      { path: 'spec.strategy.rollingUpdate.maxSurge', message: 'json: cannot unmarshal bool into Go value of type int32' },
    ]);
  });

  test('type errors use encoding/json wording', () => {
    const { typeErrors } = checkFields(deployment({ replicas: 'three' }), deploymentRoot, resolver);
    assert.deepEqual(typeErrors, [{ path: 'spec.replicas', message: 'json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32' }]);
    assert.equal(
      cannotBeHandledMessage('Deployment', 'v1', typeErrors[0]!.message),
      'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32',
    );
    const obj = deployment({});
    (obj.spec as { template: { spec: { containers: unknown } } }).template.spec.containers = [{ name: 'c', image: 5, ports: [{ containerPort: 1.5 }] }];
    assert.deepEqual(checkFields(obj, deploymentRoot, resolver).typeErrors.map((e) => e.message), [
      'json: cannot unmarshal number into Go struct field Container.spec.template.spec.containers.image of type string',
      'json: cannot unmarshal number 1.5 into Go struct field ContainerPort.spec.template.spec.containers.ports.containerPort of type int32',
    ]);
    assert.equal(checkFields(deployment({}, { spec: 'x' }), deploymentRoot, resolver).typeErrors[0]?.message,
      'json: cannot unmarshal string into Go struct field Deployment.spec of type v1.DeploymentSpec');
  });

  test('null is accepted anywhere; quantities take strings and numbers', () => {
    const obj = deployment({ replicas: null });
    (obj.spec as { template: { spec: { containers: Record<string, unknown>[] } } }).template.spec.containers[0]!.resources = { limits: { cpu: 1, memory: '64Mi' } };
    assert.deepEqual(checkFields(obj, deploymentRoot, resolver), { unknown: [], typeErrors: [] });
  });

  test('preserve-unknown-fields (RawExtension) accepts anything', () => {
    const root = resolver.forKind('apps', 'v1', 'ControllerRevision')!;
    const obj = { apiVersion: 'apps/v1', kind: 'ControllerRevision', metadata: { name: 'r' }, revision: 1, data: { whatever: { deep: [1] } } };
    assert.deepEqual(checkFields(obj, root, resolver), { unknown: [], typeErrors: [] });
  });
});

describe('prune', () => {
  test('drops unknown fields and leaves the input untouched', () => {
    const obj = deployment({ foo: 1 }, { extra: 'x' });
    const before = JSON.stringify(obj);
    const { pruned, removed } = prune(obj, deploymentRoot, resolver);
    assert.deepEqual(removed, ['spec.foo', 'extra']);
    assert.equal(JSON.stringify(obj), before);
    assert.deepEqual(pruned, deployment({}));
  });
});

describe('findDuplicateFields', () => {
  test('reports repeated keys with their paths', () => {
    const text = '{"metadata":{"name":"a","name":"b"},"spec":{"template":{"spec":{"containers":[{"name":"c"},{"name":"d","image":"x","image":"y"}]}},"replicas":1,"replicas":2}}';
    assert.deepEqual(findDuplicateFields(text), ['metadata.name', 'spec.template.spec.containers[1].image', 'spec.replicas']);
  });

  test('ignores keys inside strings and escapes; tolerates bad input', () => {
    assert.deepEqual(findDuplicateFields('{"a":"{\\"b\\":1,\\"b\\":2}","c\\u0041":1,"cA":2}'), ['cA']);
    assert.deepEqual(findDuplicateFields('{"a":[1,2,{"x":1,"x":'), ['a[2].x']);
    assert.deepEqual(findDuplicateFields('[{"a":1},{"a":1}]'), []);
  });
});
