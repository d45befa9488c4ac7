import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Container, Pod, PodSecurityContext } from 'kubernetes-types/core/v1.js';
import { DEFAULT_MASKED_PATHS, DEFAULT_READONLY_PATHS, effectiveSecurityContext, linuxSecurityContext, podSupplementalGroups } from './security-context.js';
import { effectiveUser } from './security.js';

const pod = (podSc: PodSecurityContext | undefined, c: Container['securityContext'] = undefined): { pod: Pod; container: Container } => {
  const container: Container = { name: 'c', ...(c ? { securityContext: c } : {}) };
  return { pod: { metadata: { name: 'p', namespace: 'ns', uid: 'u1' }, spec: { containers: [container], ...(podSc ? { securityContext: podSc } : {}) } }, container };
};

describe('effective security context', () => {
  test('the container overrides the pod field by field; unset container fields keep the pod value', () => {
    const { pod: p, container } = pod({ runAsUser: 1000, runAsGroup: 3000, runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } }, { runAsUser: 2000, runAsNonRoot: false, readOnlyRootFilesystem: true });
    assert.deepEqual(effectiveSecurityContext(p, container), { runAsUser: 2000, runAsGroup: 3000, runAsNonRoot: false, seccompProfile: { type: 'RuntimeDefault' }, readOnlyRootFilesystem: true });
    assert.deepEqual(effectiveSecurityContext(pod(undefined).pod, pod(undefined).container), {});
  });

  test('fsGroup comes first among the supplemental groups, for both runtimes', () => {
    const { pod: p, container } = pod({ fsGroup: 2000, supplementalGroups: [5, 6], runAsUser: 1000 });
    assert.deepEqual(podSupplementalGroups(p), [2000, 5, 6]);
    assert.deepEqual(effectiveUser(p, container).supplementalGroups, [2000, 5, 6]);
    assert.deepEqual(linuxSecurityContext(p, container).supplementalGroups, [2000, 5, 6]);
  });
});

describe('CRI LinuxContainerSecurityContext', () => {
  test('an empty security context: defaults only', () => {
    const { pod: p, container } = pod(undefined);
    assert.deepEqual(linuxSecurityContext(p, container), { maskedPaths: DEFAULT_MASKED_PATHS, readonlyPaths: DEFAULT_READONLY_PATHS });
  });

  test('capabilities, privileged, read-only root and identity are carried over', () => {
    const { pod: p, container } = pod({ runAsUser: 1000, runAsGroup: 3000 }, { capabilities: { add: ['NET_ADMIN'], drop: ['ALL'] }, privileged: true, readOnlyRootFilesystem: true });
    assert.deepEqual(linuxSecurityContext(p, container), {
      capabilities: { addCapabilities: ['NET_ADMIN'], dropCapabilities: ['ALL'] },
      privileged: true,
      readonlyRootfs: true,
      runAsUser: 1000,
      runAsGroup: 3000,
      maskedPaths: DEFAULT_MASKED_PATHS,
      readonlyPaths: DEFAULT_READONLY_PATHS,
    });
  });

  test('no_new_privs only for an explicit allowPrivilegeEscalation: false', () => {
    assert.equal(linuxSecurityContext(pod(undefined, { allowPrivilegeEscalation: false }).pod, pod(undefined, { allowPrivilegeEscalation: false }).container).noNewPrivs, true);
    assert.equal(linuxSecurityContext(pod(undefined, { allowPrivilegeEscalation: true }).pod, pod(undefined, { allowPrivilegeEscalation: true }).container).noNewPrivs, undefined);
    assert.equal(linuxSecurityContext(pod(undefined).pod, pod(undefined).container).noNewPrivs, undefined);
  });

  test('procMount Unmasked: no masked or read-only paths; Default: the kubelet defaults', () => {
    const u = pod(undefined, { procMount: 'Unmasked' });
    assert.deepEqual([linuxSecurityContext(u.pod, u.container).maskedPaths, linuxSecurityContext(u.pod, u.container).readonlyPaths], [[], []]);
    const d = pod(undefined, { procMount: 'Default' });
    assert.deepEqual(linuxSecurityContext(d.pod, d.container).maskedPaths, DEFAULT_MASKED_PATHS);
  });
});
