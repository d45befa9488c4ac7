import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import { mustParseLabelSelector } from '../../api/labels.js';
import { computeHash, equalIgnoreHash, fnv32a, safeEncodeString } from './pod-template-hash.js';
import { claimDecision } from './replica-set-claim.js';
import { byRevision, maxRevision, setNewReplicaSetAnnotations } from './replica-set-util.js';

const d: Deployment = {
  metadata: { name: 'web', namespace: 'default', uid: 'd1', annotations: { 'kubernetes.io/change-cause': 'v2', 'deployment.kubernetes.io/revision': '9', 'kubectl.kubernetes.io/last-applied-configuration': '{}' } },
  spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx:1' }] } }, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } } },
};

describe('pod-template-hash', () => {
  test('FNV-32a reference vectors', () => {
    assert.equal(fnv32a(Buffer.from('')), 0x811c9dc5);
    assert.equal(fnv32a(Buffer.from('a')), 0xe40c292c);
    assert.equal(fnv32a(Buffer.from('foobar')), 0xbf9cf968);
  });
  test('safe encoding of the decimal sum (rand.SafeEncodeString)', () => {
    // '0'..'9' are bytes 48..57; 48 % 27 = 21 → '4'.
    assert.equal(safeEncodeString('0123456789'), '456789bcdf');
  });
  test('stable, label-safe, sensitive to the template and the collision count', () => {
    const h = computeHash(d.spec!.template);
    assert.match(h, /^[bcdfghjklmnpqrstvwxz2456789]+$/);
    assert.ok(h.length >= 1 && h.length <= 10);
    assert.equal(computeHash(structuredClone(d.spec!.template)), h);
    assert.notEqual(computeHash(d.spec!.template, 1), h);
    assert.notEqual(computeHash({ ...d.spec!.template, spec: { containers: [{ name: 'c', image: 'nginx:2' }] } }), h);
    // Key order and empty values do not matter (semantic equality).
    assert.equal(computeHash({ spec: { containers: [{ image: 'nginx:1', name: 'c', env: [] }] }, metadata: { labels: { app: 'web' }, annotations: {} } }), h);
  });
  test('equalIgnoreHash', () => {
    const withHash = { ...d.spec!.template, metadata: { labels: { app: 'web', 'pod-template-hash': 'abc' } } };
    assert.ok(equalIgnoreHash(withHash, d.spec!.template));
    assert.ok(!equalIgnoreHash(withHash, { ...d.spec!.template, metadata: { labels: { app: 'other' } } }));
  });
});

describe('revision annotations (SetNewReplicaSetAnnotations)', () => {
  test('a new RS: copied annotations (not skipped ones), revision, replicas annotations', () => {
    const rs: ReplicaSet = { metadata: { name: 'web-x' } };
    assert.ok(setNewReplicaSetAnnotations(d, rs, 3, false));
    assert.deepEqual(rs.metadata!.annotations, {
      'kubernetes.io/change-cause': 'v2',
      'deployment.kubernetes.io/revision': '3',
      'deployment.kubernetes.io/desired-replicas': '3',
      'deployment.kubernetes.io/max-replicas': '4',
    });
  });
  test('rolling back to an old RS keeps its old revision in revision-history', () => {
    const rs: ReplicaSet = { metadata: { name: 'web-x', annotations: { 'deployment.kubernetes.io/revision': '1' } } };
    setNewReplicaSetAnnotations(d, rs, 4, true);
    assert.equal(rs.metadata!.annotations!['deployment.kubernetes.io/revision'], '4');
    assert.equal(rs.metadata!.annotations!['deployment.kubernetes.io/revision-history'], '1');
    setNewReplicaSetAnnotations(d, rs, 6, true);
    assert.equal(rs.metadata!.annotations!['deployment.kubernetes.io/revision-history'], '1,4');
    assert.equal(setNewReplicaSetAnnotations(d, rs, 5, true), false, 'a lower revision changes nothing');
    assert.equal(rs.metadata!.annotations!['deployment.kubernetes.io/desired-replicas'], undefined);
  });
  test('max revision and revision order', () => {
    const r = (name: string, rev?: string): ReplicaSet => ({ metadata: { name, creationTimestamp: '2024-01-01T00:00:00Z', annotations: rev ? { 'deployment.kubernetes.io/revision': rev } : {} } });
    const list = [r('a', '10'), r('b', '2'), r('c'), r('d', 'x')];
    assert.equal(maxRevision(list), 10);
    assert.deepEqual([...list].sort(byRevision).map((x) => x.metadata!.name), ['c', 'd', 'b', 'a']);
  });
});

describe('claiming ReplicaSets', () => {
  const sel = mustParseLabelSelector('app=web');
  const rs = (labels: Record<string, string>, owner?: string, extra: object = {}): ReplicaSet => ({
    metadata: { name: 'r', namespace: 'default', labels, ownerReferences: owner ? [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'x', uid: owner, controller: true }] : [], ...extra },
  });
  const cases: [string, ReplicaSet, Deployment, string][] = [
    ['ours and matching', rs({ app: 'web' }, 'd1'), d, 'owned'],
    ['ours, labels changed', rs({ app: 'api' }, 'd1'), d, 'release'],
    ['ours, not matching, we are being deleted', rs({ app: 'api' }, 'd1'), { ...d, metadata: { ...d.metadata, deletionTimestamp: 'now' } }, 'ignore'],
    ['someone else’s', rs({ app: 'web' }, 'other'), d, 'ignore'],
    ['matching orphan', rs({ app: 'web' }), d, 'adopt'],
    ['orphan being deleted', rs({ app: 'web' }, undefined, { deletionTimestamp: 'now' }), d, 'ignore'],
    ['non-matching orphan', rs({ app: 'db' }), d, 'ignore'],
  ];
  for (const [name, r, dep, want] of cases) test(name, () => assert.equal(claimDecision(dep, sel, r), want));
});
