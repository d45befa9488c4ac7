/**
 * The container state machine both host runtimes share: CreateContainer's checks, the record's
 * transitions and how an exit is decided from what the container left behind.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  START_ERROR,
  createContainerError,
  exitOutcome,
  listContainerStatuses,
  listSandboxStatuses,
  markExited,
  markRunning,
  markStartFailed,
  newContainerRecord,
  startContainerError,
  type CreateCheck,
} from './container-transitions.js';
import type { ContainerRecord, SandboxRecord } from './process/state-store.js';
import type { ContainerConfig, PodSandboxConfig } from './runtime.js';

const podSandbox: PodSandboxConfig = {
  metadata: { name: 'web', namespace: 'prod', uid: 'u-1', attempt: 0 },
  hostname: 'web-host',
  logDirectory: '/logs/prod_web_u-1',
  labels: { app: 'web' },
  annotations: { a: 'b' },
  hostNetwork: true,
};

function config(name: string, attempt = 0): ContainerConfig {
  return { metadata: { name, attempt }, image: 'busybox', command: ['sleep'], args: ['1'], env: [], mounts: [], logPath: `${name}/${attempt}.log`, labels: { l: '1' }, annotations: { n: '2' } };
}

function sandboxRecord(id: string, state: SandboxRecord['state'] = 'SANDBOX_READY', createdAt = 1): SandboxRecord {
  return { id, config: podSandbox, state, createdAt };
}

function check(over: Partial<CreateCheck> = {}): CreateCheck {
  return { sandboxId: 's1', sandbox: sandboxRecord('s1'), config: config('app'), podSandbox, siblings: [], configError: () => undefined, ...over };
}

describe('createContainerError', () => {
  test('undefined when the sandbox is ready, the config runs and the name is free', () => {
    assert.equal(createContainerError(check()), undefined);
  });

  test('an unknown sandbox is NotFound', () => {
    const err = createContainerError(check({ sandbox: undefined }));
    assert.equal(err?.reason, 'NotFound');
    assert.equal(err?.message, 'pod sandbox s1 not found');
  });

  test('a stopped sandbox is a CreateContainerError', () => {
    const err = createContainerError(check({ sandbox: sandboxRecord('s1', 'SANDBOX_NOTREADY') }));
    assert.equal(err?.reason, 'CreateContainerError');
    assert.equal(err?.message, 'cannot create container "app": pod sandbox s1 is not ready');
  });

  test("the runtime's own refusal comes after the sandbox's state, in its words", () => {
    assert.equal(createContainerError(check({ configError: () => 'no command' }))?.message, 'no command');
    assert.equal(createContainerError(check({ sandbox: undefined, configError: () => 'no command' }))?.reason, 'NotFound');
  });

  test('a taken name and attempt is reserved, as containerd says; another attempt is free', () => {
    const taken = newContainerRecord('c0', 's1', config('app'), podSandbox, 1);
    const err = createContainerError(check({ siblings: [taken] }));
    assert.equal(err?.reason, 'CreateContainerError');
    assert.equal(err?.message, 'failed to reserve container name "app_web_prod_u-1_0": name is reserved for "c0"');
    assert.equal(createContainerError(check({ siblings: [taken], config: config('app', 1) })), undefined);
  });
});

describe('container record transitions', () => {
  test('a new record is created, with its log under the sandbox log directory and its own copy of the config', () => {
    const cfg = config('app');
    const rec = newContainerRecord('c1', 's1', cfg, podSandbox, 42);
    assert.deepEqual(rec, {
      id: 'c1',
      sandboxId: 's1',
      config: cfg,
      hostname: 'web-host',
      logPath: '/logs/prod_web_u-1/app/0.log',
      state: 'CONTAINER_CREATED',
      createdAt: 42,
      startedAt: 0,
      finishedAt: 0,
      exitCode: 0,
      reason: '',
      message: '',
    });
    cfg.args.push('changed');
    assert.deepEqual(rec.config.args, ['1']);
    assert.equal(newContainerRecord('c2', 's1', { ...cfg, logPath: '' }, podSandbox, 1).logPath, '');
    assert.equal(newContainerRecord('c3', 's1', cfg, { ...podSandbox, logDirectory: '' }, 1).logPath, '');
  });

  test('only a created container that is not being started may start', () => {
    const rec = newContainerRecord('c1', 's1', config('app'), podSandbox, 1);
    assert.equal(startContainerError(rec, false), undefined);
    assert.equal(startContainerError(rec, true)?.message, 'container "app" (c1) is in the middle of starting, not CONTAINER_CREATED');
    markRunning(rec, { pid: 7, startTime: '99' }, 5);
    const err = startContainerError(rec, false);
    assert.equal(err?.reason, 'RunContainerError');
    assert.equal(err?.message, 'container "app" (c1) is in CONTAINER_RUNNING state, not CONTAINER_CREATED');
  });

  test('running, then exited: the process is forgotten and the outcome recorded', () => {
    const rec = newContainerRecord('c1', 's1', config('app'), podSandbox, 1);
    markRunning(rec, { pid: 7, startTime: '99' }, 5);
    assert.equal(rec.state, 'CONTAINER_RUNNING');
    assert.equal(rec.startedAt, 5);
    assert.deepEqual(rec.process, { pid: 7, startTime: '99' });
    markExited(rec, { exitCode: 3, reason: 'Error', message: '', finishedAt: 9 });
    assert.equal(rec.state, 'CONTAINER_EXITED');
    assert.equal(rec.exitCode, 3);
    assert.equal(rec.reason, 'Error');
    assert.equal(rec.finishedAt, 9);
    assert.ok(!('process' in rec));
  });

  test('a failed start exits with StartError and says which container and why', () => {
    const rec = newContainerRecord('c1', 's1', config('app'), podSandbox, 1);
    const message = markStartFailed(rec, 'no such file', 8);
    assert.equal(message, 'failed to start container "app": no such file');
    assert.deepEqual(
      { state: rec.state, exitCode: rec.exitCode, reason: rec.reason, message: rec.message, finishedAt: rec.finishedAt, startedAt: rec.startedAt },
      { state: 'CONTAINER_EXITED', exitCode: START_ERROR.exitCode, reason: 'StartError', message, finishedAt: 8, startedAt: 0 },
    );
  });
});

describe('exitOutcome', () => {
  test('the exit file decides the code; 0 is Completed, else Error', () => {
    assert.deepEqual(exitOutcome(10, { exitFile: '0\n', killed: false }, 50), { exitCode: 0, reason: 'Completed', message: '', finishedAt: 50 });
    assert.deepEqual(exitOutcome(10, { exitFile: '3\n', killed: false }, 50), { exitCode: 3, reason: 'Error', message: '', finishedAt: 50 });
  });

  test("a late-seen exit finishes when the exit file was written, never before the start", () => {
    assert.equal(exitOutcome(10, { exitFile: '0', exitFileMtimeMs: 30.7, killed: false }, 50).finishedAt, 30);
    assert.equal(exitOutcome(40, { exitFile: '0', exitFileMtimeMs: 30, killed: false }, 50).finishedAt, 40);
  });

  test("the wrapper's own exit, seen by its parent, finishes now", () => {
    const o = exitOutcome(10, { exitFile: '0', exitFileMtimeMs: 30, wrapperExit: { code: 0, signal: null }, killed: false }, 50);
    assert.equal(o.finishedAt, 50);
    assert.equal(exitOutcome(10, { wrapperExit: { code: null, signal: 'SIGTERM' }, killed: false }, 50).exitCode, 143);
  });

  test('a kill by the runtime is 137 Error; an unwatched death says its status is unknown', () => {
    assert.deepEqual(exitOutcome(10, { killed: true }, 50), { exitCode: 137, reason: 'Error', message: '', finishedAt: 50 });
    const unknown = exitOutcome(10, { killed: false }, 50);
    assert.equal(unknown.exitCode, 137);
    assert.match(unknown.message, /not watching/);
  });

  test('an OOM kill in the cgroup is OOMKilled, without a message', () => {
    assert.deepEqual(exitOutcome(10, { killed: false, oomKills: 1 }, 50), { exitCode: 137, reason: 'OOMKilled', message: '', finishedAt: 50 });
    assert.equal(exitOutcome(10, { exitFile: '0', killed: false, oomKills: 0 }, 50).reason, 'Completed');
  });
});

describe('lists', () => {
  const rec = (id: string, sandboxId: string, createdAt: number): ContainerRecord => newContainerRecord(id, sandboxId, config(id), podSandbox, createdAt);

  test('containers oldest first, optionally of one sandbox, as the CRI reports them', () => {
    const all = [rec('b', 's1', 2), rec('a', 's2', 1), rec('c', 's1', 3)];
    assert.deepEqual(listContainerStatuses(all).map((s) => s.id), ['a', 'b', 'c']);
    assert.deepEqual(listContainerStatuses(all, { sandboxId: 's1' }).map((s) => s.id), ['b', 'c']);
    const [status] = listContainerStatuses([all[0]!]);
    assert.deepEqual(status, {
      id: 'b',
      sandboxId: 's1',
      metadata: { name: 'b', attempt: 0 },
      state: 'CONTAINER_CREATED',
      image: 'busybox',
      createdAt: 2,
      startedAt: 0,
      finishedAt: 0,
      exitCode: 0,
      reason: '',
      message: '',
      logPath: '/logs/prod_web_u-1/b/0.log',
      labels: { l: '1' },
      annotations: { n: '2' },
    });
  });

  test('sandboxes oldest first', () => {
    assert.deepEqual(listSandboxStatuses([sandboxRecord('y', 'SANDBOX_READY', 5), sandboxRecord('x', 'SANDBOX_NOTREADY', 4)]).map((s) => [s.id, s.state]), [
      ['x', 'SANDBOX_NOTREADY'],
      ['y', 'SANDBOX_READY'],
    ]);
  });
});
