import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { configMapStrategy } from './configmap.js';
import { secretStrategy } from './secret.js';
import { namespaceStrategy } from './namespace.js';
import { persistentVolumeClaimStrategy } from './persistent-volume-claim.js';
import { persistentVolumeStrategy } from './persistent-volume.js';
import { limitRangeStrategy } from './limit-range.js';
import { nodeStrategy } from './node.js';
import { create, update } from './test-helpers.js';

const meta = { name: 'x', namespace: 'default' };
const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('ConfigMap', () => {
  test('keys must be config keys and not repeat across data and binaryData', () => {
    const { errors } = create(configMapStrategy, { metadata: meta, data: { 'a b': '1', dup: '2' }, binaryData: { dup: b64('x') } });
    assert.deepEqual(errors, [
      "data[a b]: Invalid value: \"a b\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name' or 'KEY_NAME' or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
      'data[dup]: Invalid value: "dup": duplicate of key present in binaryData',
    ]);
  });

  test('total size is limited to 1 MiB', () => {
    const { errors } = create(configMapStrategy, { metadata: meta, data: { big: 'x'.repeat(1024 * 1024 + 1) } });
    assert.deepEqual(errors, ['Too long: may not be more than 1048576 bytes']);
  });

  test('immutable ConfigMaps keep their data and flag', () => {
    const old = create(configMapStrategy, { metadata: meta, data: { a: '1' }, immutable: true }).obj;
    assert.deepEqual(update(configMapStrategy, { metadata: meta, data: { a: '2' }, immutable: true }, old).errors, [
      'data: Forbidden: field is immutable when `immutable` is set',
    ]);
    assert.deepEqual(update(configMapStrategy, { metadata: meta, data: { a: '1' } }, old).errors, [
      'immutable: Forbidden: field is immutable when `immutable` is set',
    ]);
  });
});

describe('Secret', () => {
  test('type defaults to Opaque and stringData folds into data', () => {
    const { obj, errors } = create(secretStrategy, { metadata: meta, data: { a: b64('old') }, stringData: { a: 'new', b: 'two' } });
    assert.deepEqual(errors, []);
    assert.equal(obj.type, 'Opaque');
    assert.deepEqual(obj.data, { a: b64('new'), b: b64('two') });
    assert.equal(obj.stringData, undefined);
  });

  test('kubernetes.io/tls needs tls.crt and tls.key', () => {
    const { errors } = create(secretStrategy, { metadata: meta, type: 'kubernetes.io/tls', data: {} });
    assert.deepEqual(errors, ['data[tls.crt]: Required value', 'data[tls.key]: Required value']);
  });

  test('dockerconfigjson must be present and JSON', () => {
    assert.deepEqual(create(secretStrategy, { metadata: meta, type: 'kubernetes.io/dockerconfigjson' }).errors, ['data[.dockerconfigjson]: Required value']);
    const bad = create(secretStrategy, { metadata: meta, type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': b64('{nope') } });
    assert.equal(bad.errors.length, 1);
    assert.match(bad.errors[0], /^data\[\.dockerconfigjson\]: Invalid value: "<secret contents redacted>": /);
  });

  test('service-account-token needs the service account annotation', () => {
    assert.deepEqual(create(secretStrategy, { metadata: meta, type: 'kubernetes.io/service-account-token' }).errors, [
      'metadata.annotations[kubernetes.io/service-account.name]: Required value',
    ]);
  });

  test('type is immutable; immutable secrets keep data', () => {
    const old = create(secretStrategy, { metadata: meta, data: { a: b64('1') }, immutable: true }).obj;
    assert.deepEqual(update(secretStrategy, { metadata: meta, type: 'kubernetes.io/basic-auth', data: { a: b64('2'), username: '' }, immutable: true }, old).errors, [
      'type: Invalid value: "kubernetes.io/basic-auth": field is immutable',
      'data: Forbidden: field is immutable when `immutable` is set',
    ]);
  });
});

describe('Namespace', () => {
  test('create sets phase Active, the kubernetes finalizer and the name label', () => {
    const { obj, errors } = create(namespaceStrategy, { metadata: { name: 'team-a' } });
    assert.deepEqual(errors, []);
    assert.deepEqual(obj.status, { phase: 'Active' });
    assert.deepEqual(obj.spec, { finalizers: ['kubernetes'] });
    assert.deepEqual(obj.metadata.labels, { 'kubernetes.io/metadata.name': 'team-a' });
  });

  test('names are DNS-1123 labels; finalizers must be standard or qualified', () => {
    assert.equal(namespaceStrategy.nameValidator?.('a.b').length, 1);
    const { errors } = create(namespaceStrategy, { metadata: { name: 'n' }, spec: { finalizers: ['custom'] } });
    assert.deepEqual(errors, ['spec.finalizers: Invalid value: "custom": name is neither a standard finalizer name nor is it fully qualified']);
  });

  test('update keeps the old finalizers; status phase rule', () => {
    const old = create(namespaceStrategy, { metadata: { name: 'n' } }).obj;
    const { obj } = update(namespaceStrategy, { metadata: { name: 'n' }, spec: { finalizers: [] } }, old);
    assert.deepEqual(obj.spec, { finalizers: ['kubernetes'] });
    const bad = namespaceStrategy.statusValidateUpdate!({ metadata: { name: 'n' }, status: { phase: 'Terminating' } }, old);
    assert.deepEqual(bad.map((e) => e.field), ['status.Phase']);
  });
});

describe('PersistentVolumeClaim', () => {
  const spec = { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } };

  test('defaults volumeMode and status phase', () => {
    const { obj, errors } = create(persistentVolumeClaimStrategy, { metadata: meta, spec });
    assert.deepEqual(errors, []);
    assert.equal((obj.spec as Record<string, unknown>).volumeMode, 'Filesystem');
    assert.deepEqual(obj.status, { phase: 'Pending' });
  });

  test('accessModes and storage request are required', () => {
    const { errors } = create(persistentVolumeClaimStrategy, { metadata: meta, spec: { accessModes: ['Sometimes'] } });
    assert.deepEqual(errors, [
      'spec.accessModes: Unsupported value: "Sometimes": supported values: "ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"',
      'spec.resources[storage]: Required value',
    ]);
    assert.deepEqual(create(persistentVolumeClaimStrategy, { metadata: meta, spec: { resources: { requests: { storage: '1Gi' } } } }).errors, [
      'spec.accessModes: Required value: at least 1 access mode is required',
    ]);
  });

  test('spec is immutable except storage growth for bound claims', () => {
    const old = create(persistentVolumeClaimStrategy, { metadata: meta, spec }).obj;
    (old as { status?: unknown }).status = { phase: 'Bound', capacity: { storage: '1Gi' } };
    const grown = update(persistentVolumeClaimStrategy, { metadata: meta, spec: { ...spec, resources: { requests: { storage: '2Gi' } } }, status: { phase: 'Bound' } }, old);
    assert.deepEqual(grown.errors, []);
    const changed = update(persistentVolumeClaimStrategy, { metadata: meta, spec: { ...spec, accessModes: ['ReadWriteMany'] }, status: { phase: 'Bound' } }, old);
    assert.equal(changed.errors.length, 1);
    assert.match(changed.errors[0], /^spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims\n/);
    const shrunk = update(persistentVolumeClaimStrategy, { metadata: meta, spec: { ...spec, resources: { requests: { storage: '512Mi' } } }, status: { phase: 'Bound' } }, old);
    assert.deepEqual(shrunk.errors, ['spec.resources.requests.storage: Forbidden: field can not be less than status.capacity']);
  });
});

describe('PersistentVolume', () => {
  test('needs capacity, access modes and exactly one source', () => {
    const { obj, errors } = create(persistentVolumeStrategy, { metadata: { name: 'pv' }, spec: {} });
    assert.equal((obj.spec as Record<string, unknown>).persistentVolumeReclaimPolicy, 'Retain');
    assert.equal((obj.status as Record<string, unknown>).phase, 'Pending');
    assert.deepEqual(errors, [
      'spec.accessModes: Required value',
      'spec.capacity: Required value',
      'spec.capacity: Unsupported value: {}: supported values: "storage"',
      'spec: Required value: must specify a volume type',
    ]);
    const two = create(persistentVolumeStrategy, {
      metadata: { name: 'pv' },
      spec: { accessModes: ['ReadWriteOnce'], capacity: { storage: '1Gi' }, hostPath: { path: '/data' }, nfs: { server: 'h', path: '/x' } },
    });
    assert.deepEqual(two.errors, ['spec.nfs: Forbidden: may not specify more than 1 volume type']);
  });
});

describe('LimitRange', () => {
  test('container defaults come from max and min', () => {
    const { obj, errors } = create(limitRangeStrategy, { metadata: meta, spec: { limits: [{ type: 'Container', max: { cpu: '2' }, min: { memory: '1Gi' } }] } });
    assert.deepEqual(errors, []);
    const item = (obj.spec as { limits: Record<string, unknown>[] }).limits[0];
    assert.deepEqual(item.default, { cpu: '2' });
    assert.deepEqual(item.defaultRequest, { cpu: '2', memory: '1Gi' });
  });

  test('min must not exceed max', () => {
    const { errors } = create(limitRangeStrategy, { metadata: meta, spec: { limits: [{ type: 'Pod', max: { cpu: '1' }, min: { cpu: '2' } }] } });
    assert.deepEqual(errors, ['spec.limits[0].min[cpu]: Invalid value: 2: min value 2 is greater than max value 1']);
  });
});

describe('Node', () => {
  test('taints are checked under metadata.taints as upstream reports them', () => {
    const { errors } = create(nodeStrategy, { metadata: { name: 'n1' }, spec: { taints: [{ key: 'k', effect: 'Bogus' }] } });
    assert.deepEqual(errors, ['metadata.taints[0].effect: Unsupported value: "Bogus": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"']);
  });

  test('allocatable defaults to capacity; podCIDR fills podCIDRs; podCIDRs immutable once set', () => {
    const { obj } = create(nodeStrategy, { metadata: { name: 'n1' }, spec: { podCIDR: '10.42.0.0/24' }, status: { capacity: { cpu: '4' } } });
    assert.deepEqual(obj.spec, { podCIDR: '10.42.0.0/24', podCIDRs: ['10.42.0.0/24'] });
    assert.deepEqual((obj.status as Record<string, unknown>).allocatable, { cpu: '4' });
    const { errors } = update(nodeStrategy, { metadata: { name: 'n1' }, spec: { podCIDRs: ['10.42.1.0/24'] } }, obj);
    assert.deepEqual(errors, ['spec.podCIDRs: Forbidden: node updates may not change podCIDR except from "" to valid']);
  });
});
