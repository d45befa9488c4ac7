import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { ApiObject } from '../../object.js';
import { deploymentSchema as schema } from '../testdata/deployment-schema.js';
import { applyConflictError, serverSideApply, type ServerSideApplyArgs } from './apply.js';
import { updateManagedFields } from './managed-fields.js';

type Obj = Record<string, any>;
const T0 = new Date('2024-05-01T10:00:00.123Z');
const T1 = new Date('2024-05-01T10:05:00Z');

const manifest = (replicas = 2, extra: Obj = {}): ApiObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', labels: { app: 'web' } },
  spec: {
    replicas,
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: { containers: [{ name: 'nginx', image: 'nginx:1', ports: [{ containerPort: 80 }] }] },
    },
    ...extra,
  },
});

function apply(live: ApiObject | undefined, config: ApiObject, over: Partial<ServerSideApplyArgs> = {}) {
  return serverSideApply({ live, config, manager: 'kubectl', force: false, schema, apiVersion: 'apps/v1', now: T0, ...over });
}

/** What the store adds on create. */
const stored = (o: ApiObject): ApiObject => ({ ...o, metadata: { ...o.metadata, uid: 'u1', resourceVersion: '1' } });

describe('serverSideApply', () => {
  test('create: the applier owns exactly what it applied', () => {
    const r = apply(undefined, manifest());
    assert.deepEqual(r.conflicts, []);
    const mf = r.object.metadata.managedFields!;
    assert.equal(mf.length, 1);
    assert.deepEqual({ ...mf[0], fieldsV1: undefined }, { manager: 'kubectl', operation: 'Apply', apiVersion: 'apps/v1', time: '2024-05-01T10:00:00Z', fieldsType: 'FieldsV1', fieldsV1: undefined });
    assert.deepEqual(mf[0].fieldsV1, {
      'f:metadata': { 'f:labels': { 'f:app': {} } },
      'f:spec': {
        'f:replicas': {},
        'f:selector': {},
        'f:template': {
          'f:metadata': { 'f:labels': { 'f:app': {} } },
          'f:spec': {
            'f:containers': {
              'k:{"name":"nginx"}': {
                '.': {},
                'f:image': {},
                'f:name': {},
                'f:ports': { 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} } },
              },
            },
          },
        },
      },
    });
    assert.equal((r.object as Obj).spec.replicas, 2);
  });

  test('a second manager changing replicas conflicts; force moves ownership', () => {
    const created = stored(apply(undefined, manifest()).object);
    // kubectl scale: an Update by another manager.
    const scaled = updateManagedFields({
      live: created,
      object: { ...created, spec: { ...(created as Obj).spec, replicas: 5 } },
      manager: 'kubectl-scale',
      apiVersion: 'apps/v1',
      schema,
      now: T1,
    });
    const scaleEntry = scaled.metadata.managedFields!.find((e) => e.manager === 'kubectl-scale')!;
    assert.deepEqual(scaleEntry.fieldsV1, { 'f:spec': { 'f:replicas': {} } });
    assert.equal(scaleEntry.time, '2024-05-01T10:05:00Z');
    const applier = scaled.metadata.managedFields!.find((e) => e.manager === 'kubectl')!;
    assert.equal((applier.fieldsV1 as Obj)['f:spec']['f:replicas'], undefined, 'the updater took replicas from the applier');

    // Applying a different replicas value now conflicts with the updater.
    const again = apply(scaled, manifest(3));
    assert.equal(again.conflicts.length, 1);
    const err = applyConflictError(again.conflicts).toStatus();
    assert.equal(err.code, 409);
    assert.equal(err.reason, 'Conflict');
    assert.equal(err.message, 'Apply failed with 1 conflict: conflict with "kubectl-scale" using apps/v1: .spec.replicas');
    assert.deepEqual(err.details, { causes: [{ reason: 'FieldManagerConflict', message: 'conflict with "kubectl-scale" using apps/v1', field: '.spec.replicas' }] });

    const forced = apply(scaled, manifest(3), { force: true, now: T1 });
    assert.deepEqual(forced.conflicts, []);
    assert.equal((forced.object as Obj).spec.replicas, 3);
    assert.equal(forced.object.metadata.managedFields!.some((e) => e.manager === 'kubectl-scale'), false, 'emptied entries are dropped');
  });

  test('applying an unchanged value owned by another manager shares it without conflict', () => {
    const created = stored(apply(undefined, manifest()).object);
    const other = apply(created, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 2 } }, { manager: 'other' });
    assert.deepEqual(other.conflicts, []);
    assert.equal(other.changed, false);
    const managers = other.object.metadata.managedFields!.map((e) => e.manager).sort();
    assert.deepEqual(managers, ['kubectl', 'other']);
  });

  test('two appliers conflict with the applier wording', () => {
    const created = stored(apply(undefined, manifest()).object);
    const r = apply(created, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 7, paused: true } }, { manager: 'other' });
    assert.equal(r.conflicts.length, 1);
    assert.equal(applyConflictError(r.conflicts).message, 'Apply failed with 1 conflict: conflict with "kubectl": .spec.replicas');
  });

  test('multi-conflict wording', () => {
    const created = stored(apply(undefined, manifest()).object);
    const cfg = manifest(9);
    (cfg as Obj).spec.template.spec.containers[0].image = 'nginx:2';
    const r = apply(created, cfg, { manager: 'other' });
    assert.equal(r.conflicts.length, 2);
    assert.equal(
      applyConflictError(r.conflicts).message,
      'Apply failed with 2 conflicts: conflicts with "kubectl":\n- .spec.replicas\n- .spec.template.spec.containers[name="nginx"].image',
    );
  });

  test('a field removed from the manifest is removed from the object', () => {
    const created = stored(apply(undefined, manifest(2, { paused: true })).object);
    const cfg = manifest(2);
    (cfg as Obj).metadata.labels = { app: 'web' };
    const r = apply(created, cfg);
    assert.equal('paused' in (r.object as Obj).spec, false);
    assert.equal(r.changed, true);
  });

  test('a removed field stays when another manager also owns it', () => {
    const created = stored(apply(undefined, manifest(2, { paused: true })).object);
    const shared = apply(created, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { paused: true } }, { manager: 'other' }).object;
    const r = apply(shared, manifest(2));
    assert.equal((r.object as Obj).spec.paused, true);
  });

  test('a removed container leaves; list items merge by key; unowned live items stay', () => {
    const two = manifest();
    (two as Obj).spec.template.spec.containers.push({ name: 'side', image: 'busybox' });
    const created = stored(apply(undefined, two).object);
    // Another writer adds a container through an Update.
    const withThird = updateManagedFields({
      live: created,
      object: (() => {
        const o = structuredClone(created) as Obj;
        o.spec.template.spec.containers.push({ name: 'third', image: 'x' });
        return o as ApiObject;
      })(),
      manager: 'kubectl-edit',
      apiVersion: 'apps/v1',
      schema,
      now: T1,
    });
    const r = apply(withThird, manifest());
    const names = (r.object as Obj).spec.template.spec.containers.map((c: Obj) => c.name);
    assert.deepEqual(names, ['nginx', 'third']);
  });

  test('atomic lists are replaced whole and owned as one field', () => {
    const cfg = manifest();
    (cfg as Obj).spec.template.spec.tolerations = [{ key: 'a', operator: 'Exists' }];
    const created = stored(apply(undefined, cfg).object);
    const mf = created.metadata.managedFields![0].fieldsV1 as Obj;
    assert.deepEqual(mf['f:spec']['f:template']['f:spec']['f:tolerations'], {});
    (cfg as Obj).spec.template.spec.tolerations = [{ key: 'b', operator: 'Exists' }];
    const r = apply(created, cfg);
    assert.deepEqual((r.object as Obj).spec.template.spec.tolerations, [{ key: 'b', operator: 'Exists' }]);
  });

  test('apply to an object created without managedFields attributes live fields to before-first-apply', () => {
    const live = stored(manifest(4));
    const r = apply(live, manifest(2));
    assert.equal(r.conflicts.length, 1);
    assert.equal(applyConflictError(r.conflicts).message, 'Apply failed with 1 conflict: conflict with "before-first-apply" using apps/v1: .spec.replicas');
  });

  test('set lists merge by value (finalizers)', () => {
    const cfg = manifest();
    (cfg as Obj).metadata.finalizers = ['a'];
    const created = stored(apply(undefined, cfg).object);
    const other = apply(created, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', finalizers: ['b'] } }, { manager: 'other' });
    assert.deepEqual((other.object as Obj).metadata.finalizers, ['a', 'b']);
    const fields = other.object.metadata.managedFields!.find((e) => e.manager === 'other')!.fieldsV1 as Obj;
    assert.deepEqual(fields, { 'f:metadata': { 'f:finalizers': { 'v:"b"': {} } } });
  });
});
