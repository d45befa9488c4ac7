import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Container, Pod, PodSecurityContext } from 'kubernetes-types/core/v1.js';
import { effectiveUser, runtimeUser, verifyRunAsNonRoot } from './security.js';

const pod = (podSc: PodSecurityContext | undefined, c: Container['securityContext'] = undefined): { pod: Pod; container: Container } => {
  const container: Container = { name: 'c', ...(c ? { securityContext: c } : {}) };
  return { pod: { metadata: { name: 'p', namespace: 'ns', uid: 'u1' }, spec: { containers: [container], ...(podSc ? { securityContext: podSc } : {}) } }, container };
};

describe('container identity and runAsNonRoot', () => {
  test('container settings override the pod', () => {
    const { pod: p, container } = pod({ runAsUser: 1000, runAsGroup: 1000, supplementalGroups: [5] }, { runAsUser: 2000 });
    assert.deepEqual(effectiveUser(p, container), { runAsUser: 2000, runAsGroup: 1000, supplementalGroups: [5] });
    assert.deepEqual(runtimeUser(effectiveUser(p, container)), { uid: 2000, gid: 1000, supplementalGroups: [5] });
    assert.equal(runtimeUser(effectiveUser(pod(undefined).pod, pod(undefined).container)), undefined);
    const groupsOnly = pod({ runAsGroup: 3000, fsGroup: 2000 });
    assert.deepEqual(runtimeUser(effectiveUser(groupsOnly.pod, groupsOnly.container), 0), { uid: 0, gid: 3000, supplementalGroups: [2000] });
    assert.equal(runtimeUser(effectiveUser(pod(undefined).pod, pod(undefined).container), 0), undefined);
  });

  test('runAsNonRoot: uid 0 breaks the policy; no user falls back to the image user', () => {
    const zero = pod({ runAsNonRoot: true }, { runAsUser: 0 });
    assert.equal(verifyRunAsNonRoot(zero.pod, zero.container, 1000), `container's runAsUser breaks non-root policy (pod: "p_ns(u1)", container: c)`);
    const none = pod({ runAsNonRoot: true });
    assert.equal(verifyRunAsNonRoot(none.pod, none.container, 0), `container has runAsNonRoot and image will run as root (pod: "p_ns(u1)", container: c)`);
    assert.equal(verifyRunAsNonRoot(none.pod, none.container, 1000), undefined);
    const ok = pod({ runAsNonRoot: true, runAsUser: 1000 });
    assert.equal(verifyRunAsNonRoot(ok.pod, ok.container, 0), undefined);
    const off = pod(undefined, { runAsNonRoot: false, runAsUser: 0 });
    assert.equal(verifyRunAsNonRoot(off.pod, off.container, 0), undefined);
  });
});
