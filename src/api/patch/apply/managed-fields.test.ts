import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { ApiObject } from '../../object.js';
import { deploymentSchema as schema } from '../testdata/deployment-schema.js';
import { decodeManagedFields, encodeManagedFields, managerOrUserAgent, updateManagedFields } from './managed-fields.js';

type Obj = Record<string, any>;
const T0 = new Date('2024-05-01T10:00:00Z');
const T1 = new Date('2024-05-01T11:00:00Z');

const deployment = (): ApiObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'default', uid: 'u1', labels: { app: 'web' } },
  spec: {
    replicas: 1,
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image: 'nginx' }] } },
  },
});

const update = (live: ApiObject | undefined, object: ApiObject, manager: string, now = T0) =>
  updateManagedFields({ live, object, manager, apiVersion: 'apps/v1', schema, now });

describe('updateManagedFields', () => {
  test('create records an Update entry shaped like kube-apiserver', () => {
    const out = update(undefined, deployment(), 'kubectl-create');
    const [e] = out.metadata.managedFields!;
    assert.deepEqual(Object.keys(e), ['manager', 'operation', 'apiVersion', 'time', 'fieldsType', 'fieldsV1']);
    assert.equal(e.operation, 'Update');
    assert.deepEqual(e.fieldsV1, {
      'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
      'f:spec': {
        'f:replicas': {},
        'f:strategy': { 'f:rollingUpdate': { '.': {}, 'f:maxSurge': {} }, 'f:type': {} },
        'f:template': {
          'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
          'f:spec': { 'f:containers': { 'k:{"name":"nginx"}': { '.': {}, 'f:image': {}, 'f:name': {} } } },
        },
      },
    });
  });

  test('a later update takes changed fields from other managers and keeps unchanged times', () => {
    const created = update(undefined, deployment(), 'kubectl-create');
    const next = structuredClone(created) as Obj;
    next.spec.template.spec.containers[0].image = 'nginx:2';
    const out = update(created, next as ApiObject, 'kubectl-set', T1);
    const byName = Object.fromEntries(out.metadata.managedFields!.map((e) => [e.manager, e]));
    assert.deepEqual(byName['kubectl-set'].fieldsV1, { 'f:spec': { 'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"nginx"}': { 'f:image': {} } } } } } });
    assert.equal(byName['kubectl-create'].time, '2024-05-01T10:00:00Z');
    const createFields = byName['kubectl-create'].fieldsV1 as Obj;
    assert.deepEqual(createFields['f:spec']['f:template']['f:spec']['f:containers']['k:{"name":"nginx"}'], { '.': {}, 'f:name': {} });
    assert.deepEqual(out.metadata.managedFields!.map((e) => e.manager), ['kubectl-create', 'kubectl-set'], 'sorted by time');

    // A no-op write by the same manager leaves its time alone.
    const again = update(out, structuredClone(out), 'kubectl-set', new Date('2024-05-01T12:00:00Z'));
    assert.equal(again.metadata.managedFields!.find((e) => e.manager === 'kubectl-set')!.time, '2024-05-01T11:00:00Z');
  });

  test('removed fields leave their owners; emptied entries are dropped', () => {
    const created = update(undefined, deployment(), 'a');
    const mid = structuredClone(created) as Obj;
    mid.spec.paused = true;
    const withB = update(created, mid as ApiObject, 'b', T1);
    const removed = structuredClone(withB) as Obj;
    delete removed.spec.paused;
    const out = update(withB, removed as ApiObject, 'c', T1);
    assert.deepEqual(out.metadata.managedFields!.map((e) => e.manager), ['a']);
  });

  test('an existing object without managedFields stays untracked; [{}] resets', () => {
    const live = deployment();
    const next = structuredClone(live) as Obj;
    next.spec.replicas = 3;
    assert.equal(update(live, next as ApiObject, 'x').metadata.managedFields, undefined);
    const tracked = update(undefined, deployment(), 'a');
    const reset = structuredClone(tracked) as Obj;
    reset.metadata.managedFields = [{}];
    reset.spec.replicas = 4;
    // The documented way to strip managedFields: the object is then untracked until the next apply.
    assert.equal(update(tracked, reset as ApiObject, 'b').metadata.managedFields, undefined);
  });

  test('client-sent managedFields win over the live ones', () => {
    const tracked = update(undefined, deployment(), 'a');
    const sent = structuredClone(tracked) as Obj;
    sent.metadata.managedFields[0].manager = 'renamed';
    const out = update(tracked, sent as ApiObject, 'a');
    assert.deepEqual(out.metadata.managedFields!.map((e) => e.manager), ['renamed']);
  });

  test('encode/decode round trip and manager names from the user agent', () => {
    const tracked = update(undefined, deployment(), 'a');
    assert.deepEqual(encodeManagedFields(decodeManagedFields(tracked.metadata.managedFields)), tracked.metadata.managedFields);
    assert.equal(managerOrUserAgent(undefined, 'kubectl/v1.32.0 (linux/amd64) kubernetes/abc'), 'kubectl');
    assert.equal(managerOrUserAgent('helm', 'kubectl/v1.32.0'), 'helm');
    assert.throws(() => decodeManagedFields([{ manager: 'x', operation: 'Update', fieldsType: 'FieldsV2' }]), /invalid fieldsType/);
  });
});
