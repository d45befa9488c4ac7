import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ConfigMap, Pod, Secret } from 'kubernetes-types/core/v1.js';
import type { Payload } from './atomic-writer.js';
import { configMapPayload, downwardAPIPayload, projectedPayload, secretPayload, tokenKey } from './projections.js';

const text = (r: { payload: Payload } | { error: string }) => {
  if ('error' in r) throw new Error(r.error);
  return Object.fromEntries([...r.payload].map(([k, v]) => [k, [v.data.toString(), v.mode.toString(8)]]));
};

const cm: ConfigMap = { metadata: { name: 'cfg', namespace: 'ns' }, data: { a: 'A', b: 'B' }, binaryData: { bin: Buffer.from('xyz').toString('base64') } };
const secret: Secret = { metadata: { name: 's', namespace: 'ns' }, data: { pw: Buffer.from('hunter2').toString('base64') } };
const pod: Pod = {
  metadata: { name: 'p', namespace: 'ns', uid: 'u1', labels: { app: 'web', tier: 'a"b' }, annotations: { note: 'x' } },
  spec: { containers: [{ name: 'c', resources: { limits: { memory: '64Mi' }, requests: { cpu: '250m' } } }] },
};

describe('configMap and secret payloads', () => {
  it('projects every key with the default mode 0644', () => {
    assert.deepEqual(text(configMapPayload(cm, 'cfg', undefined, undefined, false)), { a: ['A', '644'], b: ['B', '644'], bin: ['xyz', '644'] });
  });
  it('projects items with paths and modes; defaultMode applies to the rest', () => {
    const r = configMapPayload(cm, 'cfg', [{ key: 'a', path: 'dir/a.txt', mode: 0o400 }, { key: 'b', path: 'b' }], 0o440, false);
    assert.deepEqual(text(r), { 'dir/a.txt': ['A', '400'], b: ['B', '440'] });
  });
  it('reports missing objects and keys in the kubelet words', () => {
    assert.deepEqual(configMapPayload(undefined, 'x', undefined, undefined, false), { error: 'configmap "x" not found' });
    assert.deepEqual(secretPayload(undefined, 's', undefined, undefined, false), { error: 'secret "s" not found' });
    assert.deepEqual(configMapPayload(cm, 'cfg', [{ key: 'zz', path: 'z' }], undefined, false), { error: 'configmap references non-existent config key: zz' });
    assert.deepEqual(secretPayload(secret, 's', [{ key: 'zz', path: 'z' }], undefined, false), { error: 'references non-existent secret key: zz' });
  });
  it('optional: a missing object is an empty volume, missing keys are skipped', () => {
    assert.deepEqual(text(configMapPayload(undefined, 'x', undefined, undefined, true)), {});
    assert.deepEqual(text(secretPayload(secret, 's', [{ key: 'zz', path: 'z' }, { key: 'pw', path: 'p' }], undefined, true)), { p: ['hunter2', '644'] });
  });
});

describe('downwardAPI payloads', () => {
  it('writes metadata fields and resources', () => {
    const r = downwardAPIPayload(
      pod,
      [
        { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
        { path: 'app', fieldRef: { fieldPath: "metadata.labels['app']" } },
        { path: 'name', fieldRef: { fieldPath: 'metadata.name' } },
        { path: 'mem', resourceFieldRef: { containerName: 'c', resource: 'limits.memory', divisor: '1Mi' } },
        { path: 'cpu', resourceFieldRef: { containerName: 'c', resource: 'requests.cpu', divisor: '1m' } },
        { path: 'cpulimit', resourceFieldRef: { containerName: 'c', resource: 'limits.cpu' } },
      ],
      undefined,
      { cpu: '4', memory: '8Gi' },
    );
    assert.deepEqual(text(r), {
      labels: ['app="web"\ntier="a\\"b"', '644'],
      app: ['web', '644'],
      name: ['p', '644'],
      mem: ['64', '644'],
      cpu: ['250', '644'],
      cpulimit: ['4', '644'],
    });
  });
  it('aggregates failures', () => {
    const r = downwardAPIPayload(pod, [{ path: 'x', fieldRef: { fieldPath: 'spec.nodeName' } }, { path: 'y', fieldRef: { fieldPath: 'status.podIP' } }], undefined, {});
    assert.deepEqual(r, { error: '[unsupported fieldPath: spec.nodeName, unsupported fieldPath: status.podIP]' });
  });
});

describe('projected payloads', () => {
  const sources = {
    configMap: (_ns: string, name: string) => (name === 'kube-root-ca.crt' ? { metadata: { name }, data: { 'ca.crt': 'PEM' } } : name === 'cfg' ? cm : undefined),
    secret: (_ns: string, name: string) => (name === 's' ? secret : undefined),
    nodeAllocatable: {},
    tokens: new Map([[tokenKey({ path: 'token', expirationSeconds: 3607 }), 'TOKEN']]),
  };

  it('composes the kube-api-access volume (token, kube-root-ca.crt, namespace)', () => {
    const r = projectedPayload(
      pod,
      {
        defaultMode: 0o644,
        sources: [
          { serviceAccountToken: { path: 'token', expirationSeconds: 3607 } },
          { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
          { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
        ],
      },
      sources,
    );
    assert.deepEqual(text(r), { token: ['TOKEN', '644'], 'ca.crt': ['PEM', '644'], namespace: ['ns', '644'] });
  });

  it('merges sources in order, honours defaultMode and optional sources', () => {
    const r = projectedPayload(
      pod,
      {
        defaultMode: 0o400,
        sources: [{ configMap: { name: 'cfg', items: [{ key: 'a', path: 'x' }] } }, { secret: { name: 's', items: [{ key: 'pw', path: 'x' }] } }, { configMap: { name: 'gone', optional: true } }],
      },
      sources,
    );
    assert.deepEqual(text(r), { x: ['hunter2', '400'] });
  });

  it('reports missing sources and a missing token', () => {
    const r = projectedPayload(pod, { sources: [{ configMap: { name: 'gone' } }, { serviceAccountToken: { path: 't', audience: 'other' } }] }, sources);
    assert.deepEqual(r, { error: '[configmap "gone" not found, failed to fetch token: no token source for service account "default"]' });
  });
});
