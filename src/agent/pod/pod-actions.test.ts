import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Container, Pod, PodSpec } from 'kubernetes-types/core/v1.js';
import type { ContainerState, ContainerStatus, PodSandboxStatus } from '../runtime/runtime.js';
import {
  computePodActions,
  isPodTerminal,
  killGracePeriodSeconds,
  podDeletionActions,
  sandboxChanged,
  shouldContainerBeRestarted,
  type PodActionsInput,
} from './pod-actions.js';

const mkPod = (spec: Partial<PodSpec> = {}, meta: Pod['metadata'] = {}): Pod => ({
  metadata: { name: 'web', namespace: 'default', uid: 'u1', ...meta },
  spec: { restartPolicy: 'Always', containers: [{ name: 'app', image: 'img' }], ...spec },
});
const two: Container[] = [
  { name: 'a', image: 'img' },
  { name: 'b', image: 'img' },
];
const sidecar = (name: string, extra: Partial<Container> = {}): Container => ({ name, image: 'img', restartPolicy: 'Always', ...extra });

const sandbox = (id: string, attempt: number, state: PodSandboxStatus['state'] = 'SANDBOX_READY'): PodSandboxStatus => ({
  id,
  metadata: { name: 'web', namespace: 'default', uid: 'u1', attempt },
  state,
  createdAt: 1000 + attempt,
  ips: [],
  labels: {},
  annotations: {},
});

let clock = 0;
interface CtrOpts {
  attempt?: number;
  exitCode?: number;
  sandboxId?: string;
  image?: string;
  reason?: string;
}
const ctr = (name: string, state: ContainerState, o: CtrOpts = {}): ContainerStatus => {
  const t = ++clock * 1000;
  const exited = state === 'CONTAINER_EXITED';
  return {
    id: `${name}-${clock}`,
    sandboxId: o.sandboxId ?? 's0',
    metadata: { name, attempt: o.attempt ?? 0 },
    state,
    image: o.image ?? 'img',
    createdAt: t,
    startedAt: state === 'CONTAINER_CREATED' ? 0 : t,
    finishedAt: exited ? t + 500 : 0,
    exitCode: o.exitCode ?? 0,
    reason: o.reason ?? (exited ? ((o.exitCode ?? 0) === 0 ? 'Completed' : 'Error') : ''),
    message: '',
    logPath: '',
    labels: {},
    annotations: {},
  };
};
const running = (name: string, o?: CtrOpts) => ctr(name, 'CONTAINER_RUNNING', o);
const exited = (name: string, exitCode = 0, o?: CtrOpts) => ctr(name, 'CONTAINER_EXITED', { ...o, exitCode });

const input = (pod: Pod, sandboxes: PodSandboxStatus[], containers: ContainerStatus[], extra: Partial<PodActionsInput> = {}): PodActionsInput => ({
  pod,
  sandboxes,
  containers,
  liveness: new Map(),
  startup: new Map(),
  now: 0,
  ...extra,
});
const ready = [sandbox('s0', 0)];
const act = (pod: Pod, containers: ContainerStatus[], extra: Partial<PodActionsInput> = {}, sandboxes = ready) => computePodActions(input(pod, sandboxes, containers, extra));

describe('sandbox', () => {
  test('a new pod gets a sandbox with attempt 0 and starts every container', () => {
    const a = act(mkPod({ containers: two }), [], {}, []);
    assert.equal(a.createSandbox, true);
    assert.equal(a.killPod, false);
    assert.equal(a.attempt, 0);
    assert.equal(a.sandboxId, undefined);
    assert.deepEqual(a.containersToStart, ['a', 'b']);
    assert.deepEqual(a.initContainersToStart, []);
  });

  test('a new pod with init containers starts only the first init container', () => {
    const a = act(mkPod({ initContainers: [{ name: 'i1' }, { name: 'i2' }] }), [], {}, []);
    assert.equal(a.createSandbox, true);
    assert.deepEqual(a.initContainersToStart, ['i1']);
    assert.deepEqual(a.containersToStart, []);
  });

  test('a sandbox that is not ready is replaced: kill everything, attempt + 1', () => {
    const a = act(mkPod(), [exited('app', 1)], {}, [sandbox('s0', 2, 'SANDBOX_NOTREADY')]);
    assert.equal(a.killPod, true);
    assert.equal(a.createSandbox, true);
    assert.equal(a.attempt, 3);
    assert.equal(a.sandboxId, 's0');
    assert.deepEqual(a.containersToStart, ['app']);
  });

  test('the newest sandbox decides, whatever the order given', () => {
    assert.deepEqual(sandboxChanged([sandbox('old', 0, 'SANDBOX_NOTREADY'), sandbox('new', 1)]), { createSandbox: false, attempt: 1, sandboxId: 'new' });
  });

  test('two ready sandboxes are reconciled by a new one', () => {
    const s = sandboxChanged([sandbox('s1', 1), sandbox('s0', 0)]);
    assert.deepEqual(s, { createSandbox: true, attempt: 2, sandboxId: 's1' });
  });

  test('restartPolicy Never: a pod that already ran gets no new sandbox', () => {
    const a = act(mkPod({ restartPolicy: 'Never' }), [exited('app', 0)], {}, [sandbox('s0', 0, 'SANDBOX_NOTREADY')]);
    assert.equal(a.createSandbox, false);
    assert.equal(a.killPod, true);
    assert.deepEqual(a.containersToStart, []);
  });

  test('restartPolicy Never: a sandbox that died before any container was created is retried', () => {
    const a = act(mkPod({ restartPolicy: 'Never' }), [], {}, [sandbox('s0', 0, 'SANDBOX_NOTREADY')]);
    assert.equal(a.createSandbox, true);
    assert.equal(a.attempt, 1);
    assert.deepEqual(a.containersToStart, ['app']);
  });

  test('restartPolicy OnFailure: only failed containers start in the new sandbox', () => {
    const a = act(mkPod({ restartPolicy: 'OnFailure', containers: two }), [exited('a', 0), exited('b', 2)], {}, [sandbox('s0', 0, 'SANDBOX_NOTREADY')]);
    assert.equal(a.createSandbox, true);
    assert.deepEqual(a.containersToStart, ['b']);
  });

  test('restartPolicy OnFailure: all succeeded, no new sandbox', () => {
    const a = act(mkPod({ restartPolicy: 'OnFailure', containers: two }), [exited('a', 0), exited('b', 0)], {}, [sandbox('s0', 0, 'SANDBOX_NOTREADY')]);
    assert.equal(a.createSandbox, false);
    assert.equal(a.killPod, true);
  });

  test('a new sandbox runs the init containers again from the first', () => {
    const pod = mkPod({ initContainers: [{ name: 'i1' }, { name: 'i2' }] });
    const a = act(pod, [exited('i1'), exited('i2'), exited('app', 1)], {}, [sandbox('s0', 0, 'SANDBOX_NOTREADY')]);
    assert.equal(a.createSandbox, true);
    assert.deepEqual(a.initContainersToStart, ['i1']);
    assert.deepEqual(a.containersToStart, []);
  });

  test('nextInitContainerToStart is never set: initContainersToStart holds every init container', () => {
    const a = act(mkPod({ initContainers: [{ name: 'i1' }] }), [], {}, []);
    assert.equal(a.nextInitContainerToStart, undefined);
  });
});

describe('regular containers', () => {
  test('all running: nothing to do', () => {
    const a = act(mkPod({ containers: two }), [running('a'), running('b')]);
    assert.deepEqual(a, { killPod: false, createSandbox: false, sandboxId: 's0', attempt: 0, initContainersToStart: [], ephemeralContainersToStart: [], containersToStart: [], containersToKill: [] });
  });

  test('a container not yet created is started', () => {
    assert.deepEqual(act(mkPod({ containers: two }), [running('a')]).containersToStart, ['b']);
  });

  test('a created container that never started is started again', () => {
    assert.deepEqual(act(mkPod(), [ctr('app', 'CONTAINER_CREATED')]).containersToStart, ['app']);
  });

  const restartCases: [string, number, boolean][] = [
    ['Always', 0, true],
    ['Always', 1, true],
    ['OnFailure', 0, false],
    ['OnFailure', 1, true],
    ['Never', 0, false],
    ['Never', 1, false],
  ];
  for (const [policy, code, restarts] of restartCases) {
    test(`restartPolicy ${policy}, exit ${code}: ${restarts ? 'restarted' : 'not restarted'}`, () => {
      const a = act(mkPod({ restartPolicy: policy, containers: two }), [running('a'), exited('b', code)]);
      assert.deepEqual(a.containersToStart, restarts ? ['b'] : []);
      assert.equal(a.killPod, false);
    });
  }

  test('the newest attempt decides', () => {
    const pod = mkPod({ restartPolicy: 'OnFailure' });
    assert.deepEqual(act(pod, [exited('app', 1), exited('app', 0, { attempt: 1 })]).containersToStart, []);
    assert.deepEqual(act(pod, [exited('app', 0), exited('app', 3, { attempt: 1 })]).containersToStart, ['app']);
  });

  test('nothing runs and nothing will: the pod is killed', () => {
    const a = act(mkPod({ restartPolicy: 'Never', containers: two }), [exited('a', 0), exited('b', 1)]);
    assert.equal(a.killPod, true);
    assert.equal(a.createSandbox, false);
    assert.deepEqual(a.containersToStart, []);
  });

  test('liveness failure: killed and restarted', () => {
    const c = running('app');
    const a = act(mkPod(), [c], { liveness: new Map([['app', 'failure']]) });
    assert.deepEqual(a.containersToKill, [{ id: c.id, name: 'app', reason: 'Container app failed liveness probe, will be restarted', gracePeriodSeconds: 30 }]);
    assert.deepEqual(a.containersToStart, ['app']);
    assert.equal(a.killPod, false);
  });

  test('liveness failure under restartPolicy Never: killed, not restarted', () => {
    const c = running('app');
    const a = act(mkPod({ restartPolicy: 'Never' }), [c], { liveness: new Map([['app', 'failure']]) });
    assert.deepEqual(
      a.containersToKill.map((k) => k.reason),
      ['Container app failed liveness probe'],
    );
    assert.deepEqual(a.containersToStart, []);
    assert.equal(a.killPod, true);
  });

  test('liveness success keeps the container', () => {
    const a = act(mkPod(), [running('app')], { liveness: new Map([['app', 'success']]) });
    assert.deepEqual(a.containersToKill, []);
    assert.deepEqual(a.containersToStart, []);
  });

  test('startup failure: killed and restarted', () => {
    const c = running('app');
    const a = act(mkPod(), [c], { startup: new Map([['app', 'failure']]) });
    assert.deepEqual(
      a.containersToKill.map((k) => k.reason),
      ['Container app failed startup probe, will be restarted'],
    );
    assert.deepEqual(a.containersToStart, ['app']);
  });

  test('startup unknown keeps the container', () => {
    assert.deepEqual(act(mkPod(), [running('app')], { startup: new Map([['app', 'unknown']]) }).containersToKill, []);
  });

  test('liveness takes precedence over startup in the message', () => {
    const a = act(mkPod(), [running('app')], { liveness: new Map([['app', 'failure']]), startup: new Map([['app', 'failure']]) });
    assert.match(a.containersToKill[0]!.reason, /liveness/);
  });

  test('a changed image restarts the container whatever the restart policy', () => {
    const c = running('app', { image: 'old' });
    const a = act(mkPod({ restartPolicy: 'Never' }), [c]);
    assert.deepEqual(
      a.containersToKill.map((k) => k.reason),
      ['Container app definition changed, will be restarted'],
    );
    assert.deepEqual(a.containersToStart, ['app']);
  });

  test('an unknown container is killed before it is started again', () => {
    const c = ctr('app', 'CONTAINER_UNKNOWN');
    const a = act(mkPod(), [c]);
    assert.deepEqual(a.containersToKill, [{ id: c.id, name: 'app', reason: 'Container is in "unknown" state, try killing it before restart', gracePeriodSeconds: 30 }]);
    assert.deepEqual(a.containersToStart, ['app']);
  });

  test('a pod marked for deletion restarts nothing', () => {
    const pod = mkPod({ containers: two }, { deletionTimestamp: '2024-01-01T00:00:00Z' });
    const a = act(pod, [running('a'), exited('b', 1)]);
    assert.deepEqual(a.containersToStart, []);
    assert.equal(a.killPod, false);
    assert.equal(act(pod, [exited('a', 1), exited('b', 1)]).killPod, true);
  });

  test('ephemeral containers start once', () => {
    const pod = mkPod({ ephemeralContainers: [{ name: 'debug', image: 'img' }] });
    assert.deepEqual(act(pod, [running('app')]).ephemeralContainersToStart, ['debug']);
    assert.deepEqual(act(pod, [running('app'), exited('debug', 0)]).ephemeralContainersToStart, []);
  });
});

describe('init containers', () => {
  const pod = mkPod({ initContainers: [{ name: 'i1' }, { name: 'i2' }] });

  test('one runs at a time: while the first runs, nothing else starts', () => {
    const a = act(pod, [running('i1')]);
    assert.deepEqual(a.initContainersToStart, []);
    assert.deepEqual(a.containersToStart, []);
    assert.equal(a.killPod, false);
  });

  test('a sandbox with no container yet starts the first init container', () => {
    assert.deepEqual(act(pod, []).initContainersToStart, ['i1']);
  });

  test('the next starts when the previous completed', () => {
    const a = act(pod, [exited('i1', 0)]);
    assert.deepEqual(a.initContainersToStart, ['i2']);
    assert.deepEqual(a.containersToStart, []);
  });

  test('regular containers start once the last completed', () => {
    const a = act(pod, [exited('i1', 0), exited('i2', 0)]);
    assert.deepEqual(a.initContainersToStart, []);
    assert.deepEqual(a.containersToStart, ['app']);
  });

  test('completed init containers removed from the runtime are not rerun once containers run', () => {
    const a = act(pod, [running('app')]);
    assert.deepEqual(a.initContainersToStart, []);
    assert.deepEqual(a.containersToStart, []);
  });

  test('a failed init container is restarted under Always and OnFailure', () => {
    for (const restartPolicy of ['Always', 'OnFailure']) {
      const a = act({ ...pod, spec: { ...pod.spec!, restartPolicy } }, [exited('i1', 0), exited('i2', 1)]);
      assert.deepEqual(a.initContainersToStart, ['i2'], restartPolicy);
      assert.equal(a.killPod, false);
    }
  });

  test('an OOM-killed init container counts as failed', () => {
    const a = act({ ...pod, spec: { ...pod.spec!, restartPolicy: 'Never' } }, [exited('i1', 0, { reason: 'OOMKilled' })]);
    assert.equal(a.killPod, true);
  });

  test('a failed init container under Never fails the pod: kill, start nothing', () => {
    const a = act({ ...pod, spec: { ...pod.spec!, restartPolicy: 'Never' } }, [exited('i1', 1)]);
    assert.equal(a.killPod, true);
    assert.equal(a.createSandbox, false);
    assert.deepEqual(a.initContainersToStart, []);
    assert.deepEqual(a.containersToStart, []);
  });

  test('an unknown init container is killed and restarted', () => {
    const c = ctr('i1', 'CONTAINER_UNKNOWN');
    const a = act(pod, [c]);
    assert.deepEqual(
      a.containersToKill.map((k) => [k.id, k.reason]),
      [[c.id, 'Init container is in "unknown" state, try killing it before restart']],
    );
    assert.deepEqual(a.initContainersToStart, ['i1']);
  });

  test('an unknown init container under Never fails the pod', () => {
    const a = act({ ...pod, spec: { ...pod.spec!, restartPolicy: 'Never' } }, [ctr('i1', 'CONTAINER_UNKNOWN')]);
    assert.equal(a.killPod, true);
    assert.deepEqual(a.initContainersToStart, []);
  });

  test('a created init container is started again', () => {
    assert.deepEqual(act(pod, [exited('i1'), ctr('i2', 'CONTAINER_CREATED')]).initContainersToStart, ['i2']);
  });

  test('init containers of an older sandbox do not count in a new one', () => {
    const sandboxes = [sandbox('s1', 1), sandbox('s0', 0, 'SANDBOX_NOTREADY')];
    const old = [exited('i1', 0, { sandboxId: 's0' }), exited('i2', 0, { sandboxId: 's0' }), exited('app', 1, { sandboxId: 's0' })];
    assert.deepEqual(act(pod, old, {}, sandboxes).initContainersToStart, ['i1']);
    const progressed = [...old, exited('i1', 0, { sandboxId: 's1', attempt: 1 })];
    assert.deepEqual(act(pod, progressed, {}, sandboxes).initContainersToStart, ['i2']);
  });
});

describe('sidecars', () => {
  test('a sidecar starts first, and the next init container once it runs', () => {
    const pod = mkPod({ initContainers: [sidecar('proxy'), { name: 'setup' }] });
    assert.deepEqual(act(pod, []).initContainersToStart, ['proxy']);
    const a = act(pod, [running('proxy')]);
    assert.deepEqual(a.initContainersToStart, ['setup']);
    assert.deepEqual(a.containersToStart, []);
  });

  test('regular containers start after the regular init containers completed, sidecars running', () => {
    const pod = mkPod({ initContainers: [sidecar('proxy'), { name: 'setup' }] });
    const a = act(pod, [running('proxy'), exited('setup', 0)]);
    assert.deepEqual(a.initContainersToStart, []);
    assert.deepEqual(a.containersToStart, ['app']);
  });

  test('a sidecar as the last init container lets regular containers start once it runs', () => {
    const pod = mkPod({ initContainers: [{ name: 'setup' }, sidecar('proxy')] });
    assert.deepEqual(act(pod, [exited('setup')]).initContainersToStart, ['proxy']);
    const a = act(pod, [exited('setup'), running('proxy')]);
    assert.deepEqual(a.initContainersToStart, []);
    assert.deepEqual(a.containersToStart, ['app']);
  });

  test('with a startup probe, the next waits for its success', () => {
    const pod = mkPod({ initContainers: [sidecar('proxy', { startupProbe: { exec: { command: ['true'] } } }), { name: 'setup' }] });
    assert.deepEqual(act(pod, [running('proxy')]).initContainersToStart, []);
    assert.deepEqual(act(pod, [running('proxy')], { startup: new Map([['proxy', 'unknown']]) }).initContainersToStart, []);
    assert.deepEqual(act(pod, [running('proxy')], { startup: new Map([['proxy', 'success']]) }).initContainersToStart, ['setup']);
  });

  test('a failed startup probe restarts the sidecar', () => {
    const pod = mkPod({ initContainers: [sidecar('proxy', { startupProbe: { exec: { command: ['true'] } } }), { name: 'setup' }] });
    const c = running('proxy');
    const a = act(pod, [c], { startup: new Map([['proxy', 'failure']]) });
    assert.deepEqual(
      a.containersToKill.map((k) => [k.id, k.reason]),
      [[c.id, 'Init container proxy failed startup probe']],
    );
    assert.deepEqual(a.initContainersToStart, ['proxy']);
  });

  test('a failed liveness probe restarts the sidecar, regular containers keep running', () => {
    const pod = mkPod({ initContainers: [sidecar('proxy', { livenessProbe: { exec: { command: ['true'] } } })] });
    const c = running('proxy');
    const a = act(pod, [c, running('app')], { liveness: new Map([['proxy', 'failure']]) });
    assert.deepEqual(
      a.containersToKill.map((k) => [k.id, k.reason]),
      [[c.id, 'Init container proxy failed liveness probe']],
    );
    assert.deepEqual(a.initContainersToStart, ['proxy']);
    assert.deepEqual(a.containersToStart, []);
    assert.equal(a.killPod, false);
  });

  test('a sidecar that exited is restarted whatever the restart policy', () => {
    const pod = mkPod({ restartPolicy: 'Never', initContainers: [sidecar('proxy')] });
    const a = act(pod, [exited('proxy', 0), running('app')]);
    assert.deepEqual(a.initContainersToStart, ['proxy']);
    assert.equal(a.killPod, false);
  });

  test('a sidecar whose status is gone after initialization is started again', () => {
    const pod = mkPod({ initContainers: [sidecar('proxy'), { name: 'setup' }] });
    const a = act(pod, [running('app')]);
    assert.deepEqual(a.initContainersToStart, ['proxy']);
  });

  test('sidecars do not keep a finished pod alive', () => {
    const pod = mkPod({ restartPolicy: 'OnFailure', initContainers: [sidecar('proxy')] });
    const a = act(pod, [running('proxy'), exited('app', 0)]);
    assert.equal(a.killPod, true);
    assert.deepEqual(a.initContainersToStart, []);
    assert.deepEqual(a.containersToStart, []);
  });

  test('several sidecars start in order, one per sync', () => {
    const pod = mkPod({ initContainers: [sidecar('s1'), sidecar('s2'), sidecar('s3')] });
    assert.deepEqual(act(pod, []).initContainersToStart, ['s1']);
    assert.deepEqual(act(pod, [running('s1')]).initContainersToStart, ['s2']);
    assert.deepEqual(act(pod, [running('s1'), running('s2')]).initContainersToStart, ['s3']);
    const a = act(pod, [running('s1'), running('s2'), running('s3')]);
    assert.deepEqual(a.initContainersToStart, []);
    assert.deepEqual(a.containersToStart, ['app']);
  });

  test('restarts of several sidecars come back in spec order', () => {
    const pod = mkPod({ initContainers: [sidecar('s1'), sidecar('s2')] });
    assert.deepEqual(act(pod, [exited('s1', 1), exited('s2', 1), running('app')]).initContainersToStart, ['s1', 's2']);
  });
});

describe('killGracePeriodSeconds', () => {
  const probe = { exec: { command: ['true'] }, terminationGracePeriodSeconds: 5 };
  const c: Container = { name: 'app', livenessProbe: probe };
  test('the pod grace period by default', () => assert.equal(killGracePeriodSeconds(mkPod({ terminationGracePeriodSeconds: 45 }), c, 'other'), 45));
  test('30 s when the pod names none', () => assert.equal(killGracePeriodSeconds(mkPod(), c, 'other'), 30));
  test("a probe's own grace period for its kills", () => assert.equal(killGracePeriodSeconds(mkPod({ terminationGracePeriodSeconds: 45 }), c, 'liveness'), 5));
  test('the deletion grace period wins', () => assert.equal(killGracePeriodSeconds(mkPod({}, { deletionGracePeriodSeconds: 7 }), c, 'liveness'), 7));
  test('never under 2 s', () => assert.equal(killGracePeriodSeconds(mkPod({ terminationGracePeriodSeconds: 0 }), c, 'other'), 2));
  test('a liveness kill carries the probe grace period', () => {
    const pod = mkPod({ containers: [{ name: 'app', image: 'img', livenessProbe: probe }] });
    assert.equal(act(pod, [running('app')], { liveness: new Map([['app', 'failure']]) }).containersToKill[0]!.gracePeriodSeconds, 5);
  });
});

describe('shouldContainerBeRestarted', () => {
  const c: Container = { name: 'app' };
  test('never ran: yes', () => assert.equal(shouldContainerBeRestarted(c, mkPod({ restartPolicy: 'Never' }), undefined), true));
  test('running: no', () => assert.equal(shouldContainerBeRestarted(c, mkPod(), running('app')), false));
  test('sidecars always restart', () => assert.equal(shouldContainerBeRestarted(c, mkPod({ restartPolicy: 'Never' }), exited('app', 0), true), true));
  test('deleted pod: no', () => assert.equal(shouldContainerBeRestarted(c, mkPod({}, { deletionTimestamp: 'x' }), undefined), false));
});

describe('isPodTerminal', () => {
  const cases: [string, string, ContainerStatus[], boolean][] = [
    ['Always', 'all exited', [exited('a', 0), exited('b', 1)], false],
    ['OnFailure', 'all succeeded', [exited('a', 0), exited('b', 0)], true],
    ['OnFailure', 'one failed', [exited('a', 0), exited('b', 1)], false],
    ['Never', 'all exited', [exited('a', 0), exited('b', 1)], true],
    ['Never', 'one running', [exited('a', 0), running('b')], false],
    ['Never', 'one never started', [exited('a', 0)], false],
  ];
  for (const [restartPolicy, what, containers, terminal] of cases) {
    test(`${restartPolicy}, ${what}: ${terminal}`, () => assert.equal(isPodTerminal(mkPod({ restartPolicy, containers: two }), containers), terminal));
  }
  test('Never, a failed init container: terminal', () => {
    assert.equal(isPodTerminal(mkPod({ restartPolicy: 'Never', initContainers: [{ name: 'i' }] }), [exited('i', 1)]), true);
  });
  test('OnFailure, a failed init container: not terminal', () => {
    assert.equal(isPodTerminal(mkPod({ restartPolicy: 'OnFailure', initContainers: [{ name: 'i' }] }), [exited('i', 1)]), false);
  });
  test('Always, deleted, all exited: terminal', () => {
    assert.equal(isPodTerminal(mkPod({ containers: two }, { deletionTimestamp: 'x' }), [exited('a', 0), exited('b', 1)]), true);
  });
});

describe('podDeletionActions', () => {
  const pod = mkPod({ initContainers: [sidecar('s1'), { name: 'setup' }, sidecar('s2')], containers: two, terminationGracePeriodSeconds: 20 });

  test('regular containers first, then sidecars in reverse order, then sandboxes', () => {
    const s1 = running('s1');
    const s2 = running('s2');
    const a = running('a');
    const b = ctr('b', 'CONTAINER_CREATED');
    const d = podDeletionActions(pod, [s1, exited('setup'), s2, a, b, exited('a', 1)], [sandbox('s0', 0), sandbox('old', 0, 'SANDBOX_NOTREADY')]);
    assert.deepEqual(d.stages, [
      [
        { id: a.id, name: 'a' },
        { id: b.id, name: 'b' },
      ],
      [{ id: s2.id, name: 's2' }],
      [{ id: s1.id, name: 's1' }],
    ]);
    assert.deepEqual(d.sandboxesToStop, ['s0']);
    assert.equal(d.gracePeriodSeconds, 20);
    assert.equal(d.done, false);
  });

  test('the deletion grace period wins, and is at least 1 s', () => {
    assert.equal(podDeletionActions(mkPod({}, { deletionGracePeriodSeconds: 5 }), [], []).gracePeriodSeconds, 5);
    assert.equal(podDeletionActions(mkPod({}, { deletionGracePeriodSeconds: 0 }), [], []).gracePeriodSeconds, 1);
    assert.equal(podDeletionActions(mkPod(), [], []).gracePeriodSeconds, 30);
  });

  test('an unknown container is stopped too', () => {
    const u = ctr('a', 'CONTAINER_UNKNOWN');
    assert.deepEqual(podDeletionActions(pod, [u], []).stages, [[{ id: u.id, name: 'a' }]]);
  });

  test('done once nothing runs and every sandbox is stopped', () => {
    const d = podDeletionActions(pod, [exited('a'), exited('s1', 137)], [sandbox('s0', 0, 'SANDBOX_NOTREADY')]);
    assert.deepEqual(d.stages, []);
    assert.deepEqual(d.sandboxesToStop, []);
    assert.equal(d.done, true);
  });
});
