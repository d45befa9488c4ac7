import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Container, Pod, PodCondition, PodSpec, PodStatus } from 'kubernetes-types/core/v1.js';
import type { ContainerState, ContainerStatus, PodSandboxStatus } from '../runtime/runtime.js';
import { generatePodStatus, rfc3339, type PodStatusInput } from './pod-status.js';

const T0 = Date.UTC(2024, 0, 1, 12, 0, 0);
const NOW = T0 + 3_600_000 + 123; // milliseconds are dropped
const NOW_TEXT = '2024-01-01T13:00:00Z';

const mkPod = (spec: Partial<PodSpec> = {}, meta: Pod['metadata'] = {}, status?: PodStatus): Pod => ({
  metadata: { name: 'web', namespace: 'default', uid: 'u1', ...meta },
  spec: { restartPolicy: 'Always', containers: [{ name: 'app', image: 'img' }], ...spec },
  ...(status ? { status } : {}),
});
const two: Container[] = [
  { name: 'b', image: 'img' },
  { name: 'a', image: 'img' },
];
const sidecar = (name: string, extra: Partial<Container> = {}): Container => ({ name, image: 'img', restartPolicy: 'Always', ...extra });
const readySandbox: PodSandboxStatus = {
  id: 's0',
  metadata: { name: 'web', namespace: 'default', uid: 'u1', attempt: 0 },
  state: 'SANDBOX_READY',
  createdAt: T0,
  ips: ['10.42.0.5'],
  labels: {},
  annotations: {},
};

let seq = 0;
interface CtrOpts {
  attempt?: number;
  exitCode?: number;
  reason?: string;
  message?: string;
  sandboxId?: string;
}
const ctr = (name: string, state: ContainerState, o: CtrOpts = {}): ContainerStatus => {
  const t = T0 + ++seq * 1000 + 456;
  const exited = state === 'CONTAINER_EXITED';
  return {
    id: `${name}${seq}`,
    sandboxId: o.sandboxId ?? 's0',
    metadata: { name, attempt: o.attempt ?? 0 },
    state,
    image: 'img',
    createdAt: t,
    startedAt: state === 'CONTAINER_CREATED' ? 0 : t,
    finishedAt: exited ? t + 500 : 0,
    exitCode: o.exitCode ?? 0,
    reason: o.reason ?? (exited ? ((o.exitCode ?? 0) === 0 ? 'Completed' : 'Error') : ''),
    message: o.message ?? '',
    logPath: '',
    labels: {},
    annotations: {},
  };
};
const running = (name: string, o?: CtrOpts) => ctr(name, 'CONTAINER_RUNNING', o);
const exited = (name: string, exitCode = 0, o?: CtrOpts) => ctr(name, 'CONTAINER_EXITED', { ...o, exitCode });

const gen = (pod: Pod, containers: ContainerStatus[], extra: Partial<PodStatusInput> = {}): PodStatus =>
  generatePodStatus({
    pod,
    sandbox: readySandbox,
    containers,
    waiting: new Map(),
    readiness: new Map(),
    started: new Map(),
    hostIPs: ['192.168.1.10'],
    podIPs: ['10.42.0.5'],
    now: NOW,
    ...extra,
  });
const cond = (s: PodStatus, type: string): PodCondition | undefined => s.conditions?.find((c) => c.type === type);
const brief = (c: PodCondition | undefined) => c && { status: c.status, ...(c.reason ? { reason: c.reason } : {}), ...(c.message ? { message: c.message } : {}) };
const cs = (s: PodStatus, name: string) => [...(s.initContainerStatuses ?? []), ...(s.containerStatuses ?? [])].find((c) => c.name === name)!;

describe('a new pod', () => {
  const s = gen(mkPod(), [], { sandbox: undefined, podIPs: [] });

  test('is Pending with every container waiting in ContainerCreating', () => {
    assert.equal(s.phase, 'Pending');
    assert.deepEqual(s.containerStatuses, [{ name: 'app', image: 'img', imageID: '', state: { waiting: { reason: 'ContainerCreating' } }, lastState: {}, ready: false, restartCount: 0, started: false }]);
  });

  test('has the kubelet conditions in the kubelet order', () => {
    assert.deepEqual(
      s.conditions?.map((c) => [c.type, c.status]),
      [
        ['PodReadyToStartContainers', 'False'],
        ['Initialized', 'True'],
        ['Ready', 'False'],
        ['ContainersReady', 'False'],
        ['PodScheduled', 'True'],
      ],
    );
    assert.deepEqual(brief(cond(s, 'Ready')), { status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [app]' });
    for (const c of s.conditions!) assert.equal(c.lastTransitionTime, NOW_TEXT);
  });

  test('reports host IPs, start time and QoS class but no pod IP yet', () => {
    assert.equal(s.hostIP, '192.168.1.10');
    assert.deepEqual(s.hostIPs, [{ ip: '192.168.1.10' }]);
    assert.equal(s.podIP, undefined);
    assert.equal(s.startTime, NOW_TEXT);
    assert.equal(s.qosClass, 'BestEffort');
    assert.equal(s.initContainerStatuses, undefined);
  });
});

describe('phase', () => {
  const matrix: [string, (n: string) => ContainerStatus, (n: string) => ContainerStatus, string][] = [
    ['Always', (n) => running(n), (n) => running(n), 'Running'],
    ['Always', (n) => exited(n, 0), (n) => exited(n, 0), 'Running'],
    ['Always', (n) => exited(n, 1), (n) => running(n), 'Running'],
    ['OnFailure', (n) => exited(n, 0), (n) => exited(n, 0), 'Succeeded'],
    ['OnFailure', (n) => exited(n, 0), (n) => exited(n, 1), 'Running'],
    ['OnFailure', (n) => exited(n, 0), (n) => running(n), 'Running'],
    ['Never', (n) => exited(n, 0), (n) => exited(n, 0), 'Succeeded'],
    ['Never', (n) => exited(n, 0), (n) => exited(n, 2), 'Failed'],
    ['Never', (n) => exited(n, 1), (n) => running(n), 'Running'],
    ['Never', (n) => ctr(n, 'CONTAINER_CREATED'), (n) => running(n), 'Pending'],
  ];
  for (const [restartPolicy, a, b, phase] of matrix) {
    const s = gen(mkPod({ restartPolicy, containers: two }), [a('a'), b('b')]);
    const states = (s.containerStatuses ?? []).map((c) => Object.keys(c.state ?? {})[0]).join('/');
    test(`${restartPolicy}, ${states}: ${phase}`, () => assert.equal(s.phase, phase));
  }

  test('a container that never started keeps the pod Pending', () => {
    assert.equal(gen(mkPod({ containers: two }), [running('a')]).phase, 'Pending');
  });

  test('a container waiting to restart after a failure does not make the pod Pending', () => {
    const s = gen(mkPod(), [exited('app', 1)], { waiting: new Map([['app', { reason: 'CrashLoopBackOff', message: 'back-off' }]]) });
    assert.equal(s.phase, 'Running');
  });

  test('a pod being terminated ends Succeeded or Failed whatever the restart policy', () => {
    assert.equal(gen(mkPod({ containers: two }), [exited('a', 0), exited('b', 0)], { podIsTerminal: true }).phase, 'Succeeded');
    assert.equal(gen(mkPod({ containers: two }), [exited('a', 0), exited('b', 137)], { podIsTerminal: true }).phase, 'Failed');
  });

  test('a terminal phase reported before is kept', () => {
    const previous: PodStatus = { phase: 'Succeeded' };
    assert.equal(gen(mkPod(), [running('app')], { previous }).phase, 'Succeeded');
  });

  test('a terminal phase in the API is never left', () => {
    const pod = mkPod({}, {}, { phase: 'Failed' });
    assert.equal(gen(pod, [running('app')], { previous: {} }).phase, 'Failed');
    assert.equal(gen(pod, [exited('app', 0)], { previous: {}, podIsTerminal: true }).phase, 'Failed');
  });

  test('reason and message stay while the phase does', () => {
    const previous: PodStatus = { phase: 'Running', reason: 'Why', message: 'Because' };
    const s = gen(mkPod(), [running('app')], { previous });
    assert.equal(s.reason, 'Why');
    assert.equal(s.message, 'Because');
    const changed = gen(mkPod({ restartPolicy: 'Never' }), [exited('app', 1)], { previous });
    assert.equal(changed.phase, 'Failed');
    assert.equal(changed.reason, undefined);
  });
});

describe('init containers', () => {
  const spec = { initContainers: [{ name: 'i1', image: 'img' }, { name: 'i2', image: 'img' }] };

  test('before any ran, all wait in PodInitializing and the pod is not initialized', () => {
    const s = gen(mkPod(spec), []);
    assert.equal(s.phase, 'Pending');
    assert.deepEqual(
      [...s.initContainerStatuses!, ...s.containerStatuses!].map((c) => c.state),
      [{ waiting: { reason: 'PodInitializing' } }, { waiting: { reason: 'PodInitializing' } }, { waiting: { reason: 'PodInitializing' } }],
    );
    assert.deepEqual(brief(cond(s, 'Initialized')), { status: 'False', reason: 'ContainersNotInitialized', message: 'containers with incomplete status: [i1 i2]' });
    assert.deepEqual(brief(cond(s, 'Ready')), { status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [app]' });
  });

  test('while one runs the pod is Pending', () => {
    const s = gen(mkPod(spec), [exited('i1'), running('i2')]);
    assert.equal(s.phase, 'Pending');
    assert.equal(cs(s, 'i1').ready, true);
    assert.equal(cs(s, 'i2').ready, false);
    assert.equal(cs(s, 'i2').started, true);
    assert.equal(brief(cond(s, 'Initialized'))?.message, 'containers with incomplete status: [i2]');
  });

  test('all completed: Initialized, containers running', () => {
    const s = gen(mkPod(spec), [exited('i1'), exited('i2'), running('app')]);
    assert.equal(s.phase, 'Running');
    assert.deepEqual(brief(cond(s, 'Initialized')), { status: 'True' });
    assert.deepEqual(brief(cond(s, 'Ready')), { status: 'True' });
    assert.deepEqual(
      s.initContainerStatuses?.map((c) => [c.name, c.state?.terminated?.reason, c.ready]),
      [
        ['i1', 'Completed', true],
        ['i2', 'Completed', true],
      ],
    );
  });

  test('a failed init container fails the pod under Never', () => {
    const s = gen(mkPod({ ...spec, restartPolicy: 'Never' }), [exited('i1', 1)]);
    assert.equal(s.phase, 'Failed');
    assert.deepEqual(brief(cond(s, 'ContainersReady')), { status: 'False', reason: 'PodFailed' });
    assert.deepEqual(brief(cond(s, 'Ready')), { status: 'False', reason: 'PodFailed' });
  });

  test('a failed init container backing off keeps the pod Pending under Always', () => {
    const s = gen(mkPod(spec), [exited('i1', 1, { attempt: 0 }), exited('i1', 1, { attempt: 1 })], {
      waiting: new Map([['i1', { reason: 'CrashLoopBackOff', message: 'back-off 10s restarting failed container=i1 pod=web_default(u1)' }]]),
    });
    assert.equal(s.phase, 'Pending');
    const i1 = cs(s, 'i1');
    assert.deepEqual(i1.state, { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 10s restarting failed container=i1 pod=web_default(u1)' } });
    assert.equal(i1.lastState?.terminated?.exitCode, 1);
    assert.equal(i1.restartCount, 1);
  });

  test('init containers removed after initialization count as completed', () => {
    const s = gen(mkPod(spec), [running('app')]);
    assert.deepEqual(cs(s, 'i1').state?.terminated, {
      exitCode: 0,
      reason: 'Completed',
      message: 'Unable to get init container status from container runtime and pod has been initialized, treat it as exited normally',
    });
    assert.equal(s.phase, 'Running');
  });

  test('init container statuses keep spec order, regular ones are sorted by name', () => {
    const s = gen(mkPod({ initContainers: [{ name: 'z' }, { name: 'y' }], containers: two }), []);
    assert.deepEqual(
      s.initContainerStatuses?.map((c) => c.name),
      ['z', 'y'],
    );
    assert.deepEqual(
      s.containerStatuses?.map((c) => c.name),
      ['a', 'b'],
    );
  });
});

describe('sidecars', () => {
  const withProbe = sidecar('proxy', { startupProbe: { exec: { command: ['true'] } } });

  test('a sidecar not started yet keeps the pod Pending and uninitialized', () => {
    const s = gen(mkPod({ initContainers: [withProbe] }), [running('proxy')]);
    assert.equal(s.phase, 'Pending');
    assert.equal(cs(s, 'proxy').started, false);
    assert.deepEqual(brief(cond(s, 'Initialized')), { status: 'False', reason: 'ContainersNotInitialized', message: 'containers with incomplete status: [proxy]' });
  });

  test('a started sidecar initializes the pod; its readiness counts for ContainersReady', () => {
    const spec = { initContainers: [sidecar('proxy', { readinessProbe: { exec: { command: ['true'] } } })] };
    const s = gen(mkPod(spec), [running('proxy'), running('app')]);
    assert.equal(s.phase, 'Running');
    assert.deepEqual(brief(cond(s, 'Initialized')), { status: 'True' });
    assert.deepEqual(brief(cond(s, 'ContainersReady')), { status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [proxy]' });
    const ok = gen(mkPod(spec), [running('proxy'), running('app')], { readiness: new Map([['proxy', true]]) });
    assert.deepEqual(brief(cond(ok, 'Ready')), { status: 'True' });
  });

  test('a sidecar restarting after initialization leaves the pod Running and initialized', () => {
    const s = gen(mkPod({ initContainers: [sidecar('proxy')] }), [exited('proxy', 1), running('app')], { waiting: new Map([['proxy', { reason: 'CrashLoopBackOff' }]]) });
    assert.equal(s.phase, 'Running');
    assert.deepEqual(cs(s, 'proxy').state, { waiting: { reason: 'CrashLoopBackOff' } });
    assert.deepEqual(brief(cond(s, 'Initialized')), { status: 'True' });
    assert.equal(brief(cond(s, 'Ready'))?.message, 'containers with unready status: [proxy]');
  });

  test('a stopped sidecar does not hold up Succeeded', () => {
    const s = gen(mkPod({ restartPolicy: 'OnFailure', initContainers: [sidecar('proxy')] }), [exited('proxy', 137), exited('app', 0)]);
    assert.equal(s.phase, 'Succeeded');
    assert.deepEqual(brief(cond(s, 'Initialized')), { status: 'True', reason: 'PodCompleted' });
    assert.deepEqual(brief(cond(s, 'ContainersReady')), { status: 'False', reason: 'PodCompleted' });
  });

  test('unready sidecars are listed before regular containers, each in spec order', () => {
    const s = gen(mkPod({ initContainers: [sidecar('proxy', { readinessProbe: { exec: { command: ['true'] } } })], containers: two }), [running('proxy')]);
    assert.equal(brief(cond(s, 'ContainersReady'))?.message, 'containers with unready status: [proxy b a]');
  });
});

describe('container statuses', () => {
  test('a running container', () => {
    const c = running('app');
    const s = gen(mkPod(), [c]);
    assert.deepEqual(s.containerStatuses, [
      { name: 'app', image: 'img', imageID: 'img', containerID: `process://${c.id}`, state: { running: { startedAt: rfc3339(c.startedAt) } }, lastState: {}, ready: true, restartCount: 0, started: true },
    ]);
    assert.match(s.containerStatuses![0]!.state!.running!.startedAt!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  test('the container ID scheme is the runtime name', () => {
    const c = running('app');
    assert.equal(gen(mkPod(), [c], { runtimeName: 'sandbox' }).containerStatuses![0]!.containerID, `sandbox://${c.id}`);
  });

  test('an exited container', () => {
    const c = exited('app', 3, { reason: 'Error', message: 'boom' });
    const s = gen(mkPod({ restartPolicy: 'Never' }), [c]);
    assert.deepEqual(s.containerStatuses![0]!.state, {
      terminated: { exitCode: 3, reason: 'Error', message: 'boom', startedAt: rfc3339(c.startedAt), finishedAt: rfc3339(c.finishedAt), containerID: `process://${c.id}` },
    });
    assert.equal(s.containerStatuses![0]!.started, false);
    assert.equal(s.containerStatuses![0]!.ready, false);
  });

  test('a created container waits with no reason', () => {
    assert.deepEqual(gen(mkPod(), [ctr('app', 'CONTAINER_CREATED')]).containerStatuses![0]!.state, { waiting: {} });
  });

  test('restartCount counts earlier attempts and lastState is the attempt before', () => {
    const a0 = exited('app', 1);
    const a1 = exited('app', 2, { attempt: 1 });
    const a2 = running('app', { attempt: 2 });
    const st = gen(mkPod(), [a2, a0, a1]).containerStatuses![0]!;
    assert.equal(st.restartCount, 2);
    assert.equal(st.containerID, `process://${a2.id}`);
    assert.deepEqual(st.lastState, {
      terminated: { exitCode: 2, reason: 'Error', startedAt: rfc3339(a1.startedAt), finishedAt: rfc3339(a1.finishedAt), containerID: `process://${a1.id}` },
    });
  });

  test('restartCount follows the attempt number when older attempts were removed', () => {
    assert.equal(gen(mkPod(), [running('app', { attempt: 5 })]).containerStatuses![0]!.restartCount, 5);
  });

  test('CrashLoopBackOff: waiting, with the last exit as lastState', () => {
    const a0 = exited('app', 1);
    const a1 = exited('app', 1, { attempt: 1 });
    const message = 'back-off 20s restarting failed container=app pod=web_default(u1)';
    const st = gen(mkPod(), [a0, a1], { waiting: new Map([['app', { reason: 'CrashLoopBackOff', message }]]) }).containerStatuses![0]!;
    assert.deepEqual(st.state, { waiting: { reason: 'CrashLoopBackOff', message } });
    assert.equal(st.lastState?.terminated?.containerID, `process://${a1.id}`);
    assert.equal(st.restartCount, 1);
    assert.equal(st.ready, false);
  });

  test('a waiting reason is not shown for a container that will not restart', () => {
    const st = gen(mkPod({ restartPolicy: 'Never' }), [exited('app', 1)], { waiting: new Map([['app', { reason: 'CrashLoopBackOff' }]]) }).containerStatuses![0]!;
    assert.equal(st.state?.terminated?.exitCode, 1);
  });

  test('a container that could not be created waits with the reason and message', () => {
    const waiting = new Map([['app', { reason: 'CreateContainerConfigError', message: 'configmap "cfg" not found' }]]);
    const s = gen(mkPod(), [], { waiting });
    assert.deepEqual(s.containerStatuses![0]!.state, { waiting: { reason: 'CreateContainerConfigError', message: 'configmap "cfg" not found' } });
    assert.equal(s.phase, 'Pending');
  });

  test('started waits for the startup probe, ready for the readiness probe', () => {
    const pod = mkPod({ containers: [{ name: 'app', image: 'img', startupProbe: { exec: { command: ['true'] } }, readinessProbe: { exec: { command: ['true'] } } }] });
    const c = running('app');
    const st = (extra: Partial<PodStatusInput>) => gen(pod, [c], extra).containerStatuses![0]!;
    assert.deepEqual([st({}).started, st({}).ready], [false, false]);
    assert.deepEqual([st({ started: new Map([['app', true]]) }).started, st({ started: new Map([['app', true]]) }).ready], [true, false]);
    const both = st({ started: new Map([['app', true]]), readiness: new Map([['app', true]]) });
    assert.deepEqual([both.started, both.ready], [true, true]);
    assert.equal(st({ readiness: new Map([['app', true]]) }).ready, false); // not started: not ready
  });

  test('a failing readiness result makes a container without a probe entry unready', () => {
    assert.equal(gen(mkPod(), [running('app')], { readiness: new Map([['app', false]]) }).containerStatuses![0]!.ready, false);
  });

  test('an unknown container that was running is reported terminated', () => {
    const previous: PodStatus = { containerStatuses: [{ name: 'app', image: 'img', imageID: '', ready: true, restartCount: 3, state: { running: { startedAt: 'x' } } }] };
    const st = gen(mkPod(), [ctr('app', 'CONTAINER_UNKNOWN', { attempt: 3 })], { previous }).containerStatuses![0]!;
    assert.deepEqual(st.state, { terminated: { exitCode: 137, reason: 'ContainerStatusUnknown', message: 'The container could not be located when the pod was terminated' } });
    assert.equal(st.restartCount, 4);
  });

  test('an unknown container never seen running waits', () => {
    assert.deepEqual(gen(mkPod(), [ctr('app', 'CONTAINER_UNKNOWN')]).containerStatuses![0]!.state, { waiting: {} });
  });

  test('a running container gone from the runtime gets an unknown last termination', () => {
    const previous: PodStatus = { containerStatuses: [{ name: 'app', image: 'img', imageID: '', ready: true, restartCount: 1, state: { running: { startedAt: 'x' } } }] };
    const st = gen(mkPod(), [], { previous }).containerStatuses![0]!;
    assert.deepEqual(st.state, { waiting: { reason: 'ContainerCreating' } });
    assert.deepEqual(st.lastState, {
      terminated: { exitCode: 137, reason: 'ContainerStatusUnknown', message: 'The container could not be located when the pod was deleted.  The container used to be Running' },
    });
    assert.equal(st.restartCount, 2);
    const deleting = gen(mkPod({}, { deletionTimestamp: 'x' }), [], { previous }).containerStatuses![0]!;
    assert.equal(deleting.restartCount, 1);
  });

  test('a terminated container gone from the runtime keeps its last status', () => {
    const old = { name: 'app', image: 'img', imageID: 'img', ready: false, restartCount: 2, state: { terminated: { exitCode: 0, reason: 'Completed' } }, lastState: {} };
    const st = gen(mkPod({ restartPolicy: 'Never' }), [], { previous: { containerStatuses: [old] } }).containerStatuses![0]!;
    assert.deepEqual(st.state, old.state);
    assert.equal(st.restartCount, 2);
  });

  test('volume mounts are reported, read-only ones without recursive read-only', () => {
    const pod = mkPod({
      containers: [
        {
          name: 'app',
          image: 'img',
          volumeMounts: [
            { name: 'data', mountPath: '/data' },
            { name: 'cfg', mountPath: '/etc/cfg', readOnly: true },
          ],
        },
      ],
    });
    assert.deepEqual(gen(pod, [running('app')]).containerStatuses![0]!.volumeMounts, [
      { name: 'data', mountPath: '/data' },
      { name: 'cfg', mountPath: '/etc/cfg', readOnly: true, recursiveReadOnly: 'Disabled' },
    ]);
  });

  test('ephemeral containers get statuses', () => {
    const s = gen(mkPod({ ephemeralContainers: [{ name: 'debug', image: 'img' }] }), [running('app'), running('debug')]);
    assert.equal(s.ephemeralContainerStatuses?.[0]?.name, 'debug');
    assert.ok(s.ephemeralContainerStatuses?.[0]?.state?.running);
  });
});

describe('conditions', () => {
  test('PodReadyToStartContainers follows the sandbox', () => {
    assert.equal(cond(gen(mkPod(), [running('app')]), 'PodReadyToStartContainers')?.status, 'True');
    assert.equal(cond(gen(mkPod(), [running('app')], { sandbox: { ...readySandbox, state: 'SANDBOX_NOTREADY' } }), 'PodReadyToStartContainers')?.status, 'False');
  });

  test('several unready containers are listed in spec order as Go prints a slice', () => {
    const s = gen(mkPod({ containers: two }), []);
    assert.equal(cond(s, 'ContainersReady')?.message, 'containers with unready status: [b a]');
  });

  test('lastTransitionTime is kept while the status stays, and moves when it flips', () => {
    const previous: PodStatus = {
      conditions: [
        { type: 'Ready', status: 'True', lastTransitionTime: '2023-05-05T00:00:00Z' },
        { type: 'Initialized', status: 'True', lastTransitionTime: '2023-05-04T00:00:00Z' },
        { type: 'PodScheduled', status: 'True', lastTransitionTime: '2023-05-01T00:00:00Z' },
      ],
    };
    const up = gen(mkPod(), [running('app')], { previous });
    assert.equal(cond(up, 'Ready')?.lastTransitionTime, '2023-05-05T00:00:00Z');
    assert.equal(cond(up, 'Initialized')?.lastTransitionTime, '2023-05-04T00:00:00Z');
    assert.equal(cond(up, 'ContainersReady')?.lastTransitionTime, NOW_TEXT);
    const down = gen(mkPod(), [running('app')], { previous, readiness: new Map([['app', false]]) });
    assert.equal(cond(down, 'Ready')?.lastTransitionTime, NOW_TEXT);
  });

  test('PodScheduled is kept from the previous status', () => {
    const pod = mkPod({}, {}, { conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: '2023-05-01T00:00:00Z' }] });
    const s = gen(pod, [running('app')]);
    assert.deepEqual(cond(s, 'PodScheduled'), { type: 'PodScheduled', status: 'True', lastTransitionTime: '2023-05-01T00:00:00Z' });
    assert.equal(s.conditions?.filter((c) => c.type === 'PodScheduled').length, 1);
  });

  test('conditions other components own are kept', () => {
    const pod = mkPod({}, {}, { conditions: [{ type: 'example.com/gate', status: 'True' }, { type: 'DisruptionTarget', status: 'True', reason: 'EvictionByEvictionAPI' }] });
    const s = gen(pod, [running('app')]);
    assert.deepEqual(
      s.conditions?.map((c) => c.type),
      ['example.com/gate', 'DisruptionTarget', 'PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'],
    );
  });

  test('readiness gates hold Ready back', () => {
    const pod = mkPod({ readinessGates: [{ conditionType: 'example.com/lb' }] });
    assert.deepEqual(brief(cond(gen(pod, [running('app')]), 'Ready')), {
      status: 'False',
      reason: 'ReadinessGatesNotReady',
      message: 'corresponding condition of pod readiness gate "example.com/lb" does not exist.',
    });
    const waitingGate = mkPod({ readinessGates: [{ conditionType: 'example.com/lb' }] }, {}, { conditions: [{ type: 'example.com/lb', status: 'False' }] });
    assert.equal(cond(gen(waitingGate, [running('app')]), 'Ready')?.message, 'the status of pod readiness gate "example.com/lb" is not "True", but False');
    const open = mkPod({ readinessGates: [{ conditionType: 'example.com/lb' }] }, {}, { conditions: [{ type: 'example.com/lb', status: 'True' }] });
    assert.equal(cond(gen(open, [running('app')]), 'Ready')?.status, 'True');
    assert.equal(cond(gen(open, [running('app')]), 'ContainersReady')?.status, 'True');
  });
});

describe('addresses, times and QoS', () => {
  test('pod IPs from the sandbox, the node family first, one per family', () => {
    const s = gen(mkPod(), [running('app')], { podIPs: ['fd00::5', '10.42.0.5', '10.42.0.6'], hostIPs: ['192.168.1.10', 'fd00::1'] });
    assert.equal(s.podIP, '10.42.0.5');
    assert.deepEqual(s.podIPs, [{ ip: '10.42.0.5' }, { ip: 'fd00::5' }]);
    assert.deepEqual(s.hostIPs, [{ ip: '192.168.1.10' }, { ip: 'fd00::1' }]);
  });

  test('host-network pods get the node IPs', () => {
    const s = gen(mkPod({ hostNetwork: true }), [running('app')], { podIPs: [] });
    assert.equal(s.podIP, '192.168.1.10');
  });

  test('startTime is kept once set', () => {
    assert.equal(gen(mkPod(), [running('app')], { previous: { startTime: '2023-01-01T00:00:00Z' } }).startTime, '2023-01-01T00:00:00Z');
    assert.equal(gen(mkPod({}, {}, { startTime: '2022-01-01T00:00:00Z' }), [running('app')]).startTime, '2022-01-01T00:00:00Z');
  });

  test('times are RFC 3339 at second precision', () => {
    assert.equal(rfc3339(Date.UTC(2024, 1, 2, 3, 4, 5, 999)), '2024-02-02T03:04:05Z');
  });

  test('the QoS class', () => {
    const guaranteed = mkPod({ containers: [{ name: 'app', resources: { requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } } }] });
    assert.equal(gen(guaranteed, []).qosClass, 'Guaranteed');
    const burstable = mkPod({ containers: [{ name: 'app', resources: { requests: { cpu: '100m' } } }] });
    assert.equal(gen(burstable, []).qosClass, 'Burstable');
  });

  test('the nominated node name is carried over', () => {
    assert.equal(gen(mkPod({}, {}, { nominatedNodeName: 'n1' }), []).nominatedNodeName, 'n1');
  });
});
