import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Container, Pod, Volume } from 'kubernetes-types/core/v1.js';
import {
  attachAndMountTimeoutMs,
  downwardAPIChanged,
  hasDownwardAPIVolume,
  hasTokenVolume,
  isAutoInjectedServiceAccountVolume,
  markOptionalMounts,
  mountRetryDelayMs,
  summaryEventDue,
  unpreparedMounts,
  volumesToSetUp,
} from './mount-plan.js';

const saVolume: Volume = {
  name: 'kube-api-access-ab12c',
  projected: { sources: [{ serviceAccountToken: { path: 'token', expirationSeconds: 3607 } }, { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } }] },
};
const scratch: Volume = { name: 'scratch', emptyDir: {} };
const container: Container = {
  name: 'c',
  volumeMounts: [
    { name: 'scratch', mountPath: '/scratch' },
    { name: saVolume.name, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true },
  ],
};
const pod: Pod = { metadata: { name: 'p', uid: 'u' }, spec: { volumes: [scratch, saVolume], containers: [container] } };

describe('mount plan', () => {
  it('recognises only the injected service account volume', () => {
    assert.equal(isAutoInjectedServiceAccountVolume(saVolume), true);
    assert.equal(isAutoInjectedServiceAccountVolume({ ...saVolume, name: 'my-token' }), false, 'a volume of the user with a token source');
    assert.equal(isAutoInjectedServiceAccountVolume({ name: 'kube-api-access-x', projected: { sources: [{ configMap: { name: 'c' } }] } }), false, 'no token source');
    assert.equal(isAutoInjectedServiceAccountVolume({ name: 'kube-api-access-x', emptyDir: {} }), false);
    assert.equal(isAutoInjectedServiceAccountVolume(undefined), false);
  });

  it('sets up every volume where the runtime mounts, none where it cannot', () => {
    assert.deepEqual(volumesToSetUp(pod, true).map((v) => v.name), ['scratch', saVolume.name]);
    assert.deepEqual(volumesToSetUp(pod, false), []);
  });

  it('marks the mounts of the injected volume optional', () => {
    const prepared = [
      { containerPath: '/scratch', hostPath: '/v/scratch', readonly: false },
      { containerPath: '/var/run/secrets/kubernetes.io/serviceaccount', hostPath: '/v/sa', readonly: true },
    ];
    const marked = markOptionalMounts(pod, container, prepared);
    assert.equal(marked[0]!.optional, undefined);
    assert.equal(marked[1]!.optional, true);
    assert.deepEqual(unpreparedMounts(pod, container), [
      { containerPath: '/scratch', hostPath: '', readonly: false },
      { containerPath: '/var/run/secrets/kubernetes.io/serviceaccount', hostPath: '', readonly: true, optional: true },
    ]);
  });

  it('backs off mount retries from 500 ms to 2 min 2 s', () => {
    assert.deepEqual([0, 1, 2, 3, 4].map(mountRetryDelayMs), [0, 500, 1000, 2000, 4000]);
    assert.equal(mountRetryDelayMs(9), 122_000);
    assert.equal(mountRetryDelayMs(500), 122_000);
  });

  it('posts the summary event once per timeout of waiting', () => {
    assert.equal(summaryEventDue(1000, undefined, 1000 + attachAndMountTimeoutMs - 1), false);
    assert.equal(summaryEventDue(1000, undefined, 1000 + attachAndMountTimeoutMs), true);
    assert.equal(summaryEventDue(1000, 200_000, 200_000 + 1000), false);
    assert.equal(summaryEventDue(1000, 200_000, 200_000 + attachAndMountTimeoutMs), true);
  });

  it('sees label and annotation changes and which pods need them', () => {
    const a: Pod = { metadata: { labels: { app: 'x' }, annotations: { n: '1' } } };
    assert.equal(downwardAPIChanged(a, { metadata: { labels: { app: 'x' }, annotations: { n: '1' } } }), false);
    assert.equal(downwardAPIChanged(a, { metadata: { labels: { app: 'y' }, annotations: { n: '1' } } }), true);
    assert.equal(downwardAPIChanged(a, { metadata: { labels: { app: 'x', b: '' }, annotations: { n: '1' } } }), true);
    assert.equal(downwardAPIChanged(a, { metadata: { labels: { app: 'x' } } }), true);
    assert.equal(hasDownwardAPIVolume(pod), false);
    assert.equal(hasDownwardAPIVolume({ spec: { containers: [], volumes: [{ name: 'i', downwardAPI: { items: [] } }] } }), true);
    assert.equal(hasTokenVolume(pod), true);
    assert.equal(hasTokenVolume({ spec: { containers: [], volumes: [scratch] } }), false);
  });
});
