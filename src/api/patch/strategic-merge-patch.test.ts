import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { applyStrategicMergePatch } from './strategic-merge-patch.js';
import { PatchError } from './patch-error.js';
import { deploymentSchema as schema } from './testdata/deployment-schema.js';
import { schemaFromDefinitions, type PatchSchemaNode } from './patch-schema.js';
import type { SchemaNode } from '../schema/schema-types.js';

type Obj = Record<string, any>;

const live = (): Obj => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', labels: { app: 'web', tier: 'fe' }, finalizers: ['a', 'b'] },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: 'web' } },
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
    template: {
      metadata: { labels: { app: 'web' }, annotations: { x: '1' } },
      spec: {
        containers: [
          { name: 'nginx', image: 'nginx:1', ports: [{ containerPort: 80, protocol: 'TCP' }], env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }] },
          { name: 'side', image: 'busybox' },
        ],
        tolerations: [{ key: 'k1', operator: 'Exists' }],
      },
    },
  },
});

const smp = (patch: unknown, obj: Obj = live()): Obj => applyStrategicMergePatch(obj, patch, schema);
const containers = (o: Obj): Obj[] => o.spec.template.spec.containers;

describe('applyStrategicMergePatch', () => {
  test('the real SchemaNode type satisfies the patch schema interface', () => {
    const node: SchemaNode = { type: 'object', properties: { a: { type: 'string' } } };
    const s = schemaFromDefinitions({ X: node }, 'X');
    assert.equal(s.root, node);
    const _typed: PatchSchemaNode = node;
    assert.ok(_typed);
  });

  test('kubectl set image: merges the container by name, keeps the others', () => {
    const out = smp({ spec: { template: { spec: { containers: [{ name: 'nginx', image: 'nginx:2' }] } } } });
    assert.deepEqual(containers(out).map((c) => [c.name, c.image]), [['nginx', 'nginx:2'], ['side', 'busybox']]);
    assert.deepEqual(containers(out)[0].ports, [{ containerPort: 80, protocol: 'TCP' }]);
  });

  test('rollout restart: adds an annotation in the pod template', () => {
    const out = smp({ spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': 'T' } } } } });
    assert.deepEqual(out.spec.template.metadata.annotations, { x: '1', 'kubectl.kubernetes.io/restartedAt': 'T' });
  });

  test('label: null deletes a key, others merge', () => {
    const out = smp({ metadata: { labels: { tier: null, env: 'prod' } } });
    assert.deepEqual(out.metadata.labels, { app: 'web', env: 'prod' });
  });

  test('a new item of a merge list goes first unless $setElementOrder says otherwise', () => {
    const out = smp({ spec: { template: { spec: { containers: [{ name: 'new', image: 'x' }] } } } });
    assert.deepEqual(containers(out).map((c) => c.name), ['new', 'nginx', 'side']);
    const ordered = smp({
      spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'nginx' }, { name: 'side' }, { name: 'new' }], containers: [{ name: 'new', image: 'x' }] } } },
    });
    assert.deepEqual(containers(ordered).map((c) => c.name), ['nginx', 'side', 'new']);
  });

  test('nested merge lists: env by name, ports by containerPort', () => {
    const out = smp({
      spec: { template: { spec: { containers: [{ name: 'nginx', env: [{ name: 'B', value: '3' }], ports: [{ containerPort: 443 }] }] } } },
    });
    const c = containers(out)[0];
    assert.deepEqual(c.env, [{ name: 'A', value: '1' }, { name: 'B', value: '3' }]);
    assert.deepEqual(c.ports, [{ containerPort: 443 }, { containerPort: 80, protocol: 'TCP' }]);
  });

  test('$patch: delete removes a list item by merge key', () => {
    const out = smp({ spec: { template: { spec: { containers: [{ name: 'side', $patch: 'delete' }] } } } });
    assert.deepEqual(containers(out).map((c) => c.name), ['nginx']);
  });

  test('$patch: replace on a list replaces it', () => {
    const out = smp({ spec: { template: { spec: { containers: [{ name: 'only', image: 'i' }, { $patch: 'replace' }] } } } });
    assert.deepEqual(containers(out), [{ name: 'only', image: 'i' }]);
  });

  test('$patch: replace and delete on a map', () => {
    const out = smp({ spec: { template: { metadata: { labels: { $patch: 'replace', only: 'me' } } } } });
    assert.deepEqual(out.spec.template.metadata.labels, { only: 'me' });
    const del = smp({ spec: { strategy: { $patch: 'delete' } } });
    assert.deepEqual(del.spec.strategy, {});
  });

  test('$patch: merge in a list is refused; an unknown directive is refused', () => {
    assert.throws(() => smp({ spec: { template: { spec: { containers: [{ $patch: 'merge' }] } } } }), /merging lists cannot yet be specified in the patch/);
    assert.throws(() => smp({ metadata: { labels: { $patch: 'frob' } } }), /unknown patch type: frob in map/);
  });

  test('primitive merge list (finalizers): union, and $deleteFromPrimitiveList', () => {
    const out = smp({ metadata: { finalizers: ['c', 'a'] } });
    assert.deepEqual(out.metadata.finalizers, ['c', 'a', 'b']);
    const del = smp({ metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] } });
    assert.deepEqual(del.metadata.finalizers, ['b']);
  });

  test('lists without a merge strategy replace (tolerations, args)', () => {
    const out = smp({ spec: { template: { spec: { tolerations: [{ key: 'k2', operator: 'Exists' }] } } } });
    assert.deepEqual(out.spec.template.spec.tolerations, [{ key: 'k2', operator: 'Exists' }]);
  });

  test('$retainKeys clears members not listed (strategy Recreate)', () => {
    const out = smp({ spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } });
    assert.deepEqual(out.spec.strategy, { type: 'Recreate' });
    assert.throws(
      () => smp({ spec: { strategy: { $retainKeys: ['type'], rollingUpdate: { maxSurge: '1' } } } }),
      (e: unknown) => e instanceof PatchError && e.message === 'invalid patch format of retainKeys' && e.kind === 'decode',
    );
  });

  test('a missing merge key is an error in upstream wording', () => {
    assert.throws(() => smp({ spec: { template: { spec: { containers: [{ image: 'x' }] } } } }), /does not contain declared merge key: name/);
  });

  test('null deletes of absent keys are ignored; nulls in inserted values are dropped', () => {
    const out = smp({ spec: { paused: null, template: { spec: { containers: [{ name: 'n2', image: null, env: [{ name: 'Z', value: 'z' }] }] } } } });
    assert.equal('paused' in out.spec, false);
    assert.deepEqual(containers(out)[0], { name: 'n2', env: [{ name: 'Z', value: 'z' }] });
  });

  test('unknown subtrees merge like a JSON merge patch', () => {
    const obj = { ...live(), extra: { a: [1, 2], m: { x: 1, y: 2 } } };
    const out = smp({ extra: { a: [3], m: { y: null, z: 3 } } }, obj);
    assert.deepEqual(out.extra, { a: [3], m: { x: 1, z: 3 } });
  });

  test('the client-side apply shape: setElementOrder with deletions', () => {
    const out = smp({
      metadata: { labels: { tier: null } },
      spec: {
        replicas: 3,
        template: {
          spec: {
            '$setElementOrder/containers': [{ name: 'nginx' }],
            containers: [{ name: 'nginx', image: 'nginx:3' }, { name: 'side', $patch: 'delete' }],
          },
        },
      },
    });
    assert.equal(out.spec.replicas, 3);
    assert.deepEqual(containers(out).map((c) => [c.name, c.image]), [['nginx', 'nginx:3']]);
    assert.deepEqual(out.metadata.labels, { app: 'web' });
  });

  test('the patch must be an object', () => {
    assert.throws(() => smp([1] as unknown as Obj), (e: unknown) => e instanceof PatchError && e.kind === 'decode' && e.message === 'invalid JSON document');
  });
});
