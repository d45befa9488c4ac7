/**
 * The records of a host runtime on a real state directory, without running anything: loading,
 * the sandbox verbs, CreateContainer's record, the start guard, a failed start and removal.
 */
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from '../../util/logger.js';
import { ContainerTable, type CreateHooks } from './container-table.js';
import { StateStore } from './process/state-store.js';
import { RuntimeError, type ContainerConfig, type PodSandboxConfig } from './runtime.js';

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => silent };

const podSandbox: PodSandboxConfig = {
  metadata: { name: 'web', namespace: 'prod', uid: 'u-1', attempt: 0 },
  hostname: 'web-host',
  logDirectory: '',
  labels: {},
  annotations: {},
  hostNetwork: true,
};

function config(name: string): ContainerConfig {
  return { metadata: { name, attempt: 0 }, image: 'busybox', command: ['sleep'], args: [], env: [], mounts: [], logPath: '', labels: {}, annotations: {} };
}

const hooks: CreateHooks = { configError: () => undefined, prepare: async () => {} };

async function rejectsWith(p: Promise<unknown>, reason: RuntimeError['reason'], pattern: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => err instanceof RuntimeError && err.reason === reason && pattern.test(err.message));
}

describe('container table', () => {
  let rootDir: string;
  let loads: number;

  const open = (extra: Partial<ConstructorParameters<typeof ContainerTable>[0]> = {}): ContainerTable => {
    const table: ContainerTable = new ContainerTable({
      runtimeName: 'test',
      store: new StateStore(rootDir),
      logger: silent,
      load: async () => {
        loads++;
        await table.load();
      },
      ...extra,
    });
    return table;
  };

  beforeEach(async () => {
    rootDir = await mkdtemp(path.join(os.tmpdir(), 'capstan-container-table-'));
    loads = 0;
  });
  afterEach(() => rm(rootDir, { recursive: true, force: true }));

  test('reads its state once; fails with Unavailable once closed, and after a failed read tries again', async () => {
    const table = open();
    await Promise.all([table.ready(), table.ready()]);
    assert.equal(loads, 1);
    assert.equal(table.close(), true);
    assert.equal(table.close(), false);
    await rejectsWith(table.ready(), 'Unavailable', /^the test runtime is closed$/);

    let fail = true;
    const flaky = open({
      load: async () => {
        if (fail) throw new Error('disk on fire');
      },
    });
    await rejectsWith(flaky.ready(), 'Unavailable', /^cannot read the test runtime's state in .*: disk on fire$/);
    fail = false;
    await flaky.ready();
  });

  test('sandboxes: run (with the runtime files), stop, remove; a new table reads them back', async () => {
    const table = open();
    await table.ready();
    const prepared: string[] = [];
    const id = await table.runSandbox(podSandbox, async (rec) => void prepared.push(rec.id));
    assert.deepEqual(prepared, [id]);
    assert.equal(table.sandboxStatus(id)?.state, 'SANDBOX_READY');

    const stopped: string[] = [];
    const c = await table.createContainer(id, config('app'), podSandbox, hooks);
    await table.stopSandbox(id, async (cid) => void stopped.push(cid));
    assert.deepEqual(stopped, [c]);
    assert.equal(table.sandboxStatus(id)?.state, 'SANDBOX_NOTREADY');

    const again = open();
    await again.ready();
    assert.deepEqual(again.listSandboxes().map((s) => [s.id, s.state]), [[id, 'SANDBOX_NOTREADY']]);
    assert.deepEqual(again.listContainers({ sandboxId: id }).map((s) => s.id), [c]);

    const removed: string[] = [];
    const removeContainer = async (cid: string) => {
      removed.push(cid);
      await table.removeContainer(table.mustGet(cid));
    };
    await table.removeSandbox(id, removeContainer, async (rec) => void removed.push(`sandbox ${rec.id}`));
    assert.deepEqual(removed, [c, `sandbox ${id}`]);
    assert.equal(table.sandboxStatus(id), undefined);
    await table.removeSandbox(id, async () => assert.fail('nothing left to remove'));
  });

  test("a sandbox whose files cannot be written is not recorded", async () => {
    const table = open();
    await table.ready();
    await rejectsWith(
      table.runSandbox(podSandbox, async () => {
        throw new Error('read-only');
      }),
      'Unavailable',
      /^cannot record pod sandbox prod\/web: read-only$/,
    );
    assert.deepEqual(table.listSandboxes(), []);
  });

  test('createContainer saves the record after the runtime laid out its directory; a failed layout leaves nothing', async () => {
    const table = open();
    await table.ready();
    const sb = await table.runSandbox(podSandbox);
    await rejectsWith(table.createContainer('nope', config('app'), podSandbox, hooks), 'NotFound', /pod sandbox nope not found/);

    let dir = '';
    const id = await table.createContainer(sb, config('app'), podSandbox, {
      ...hooks,
      prepare: async (rec) => {
        dir = table.store.containerDir(rec.id);
        assert.ok(existsSync(dir), 'the container directory exists before prepare');
        await writeFile(path.join(dir, 'fifo'), '');
      },
    });
    assert.equal(dir, table.store.containerDir(id));
    assert.equal(table.containerStatus(id)?.state, 'CONTAINER_CREATED');
    await rejectsWith(table.createContainer(sb, config('app'), podSandbox, hooks), 'CreateContainerError', /name is reserved for/);

    let failedDir = '';
    await rejectsWith(
      table.createContainer(sb, config('other'), podSandbox, {
        ...hooks,
        prepare: async (rec) => {
          failedDir = table.store.containerDir(rec.id);
          throw new Error('mkfifo failed');
        },
      }),
      'CreateContainerError',
      /^cannot create container "other": mkfifo failed$/,
    );
    assert.ok(!existsSync(failedDir));
    assert.deepEqual(table.listContainers().map((c) => c.id), [id]);
  });

  test('ids stay unique in the part the runtime names them by', async () => {
    const table = open({ idKey: (id) => id.slice(0, 1) });
    await table.ready();
    const sb = await table.runSandbox(podSandbox);
    const ids: string[] = [];
    for (let i = 0; i < 16; i++) ids.push(await table.createContainer(sb, config(`c${i}`), podSandbox, hooks));
    assert.equal(new Set(ids.map((id) => id[0])).size, 16);
  });

  test('one start at a time; a failed start is saved as StartError and thrown as RunContainerError', async () => {
    const table = open();
    await table.ready();
    const sb = await table.runSandbox(podSandbox);
    const id = await table.createContainer(sb, config('app'), podSandbox, hooks);
    let release!: () => void;
    const first = table.startContainer(id, () => new Promise<void>((r) => (release = r)));
    await rejectsWith(table.startContainer(id, async () => assert.fail('second start')), 'RunContainerError', /in the middle of starting/);
    release();
    await first;

    const id2 = await table.createContainer(sb, config('broken'), podSandbox, hooks);
    await rejectsWith(
      table.startContainer(id2, (rec) => table.failStart(rec, 'no such file')),
      'RunContainerError',
      /^failed to start container "broken": no such file$/,
    );
    await rejectsWith(table.startContainer(id2, async () => {}), 'RunContainerError', /is in CONTAINER_EXITED state/);
    const again = open();
    await again.ready();
    const status = again.containerStatus(id2);
    assert.deepEqual([status?.state, status?.exitCode, status?.reason], ['CONTAINER_EXITED', 128, 'StartError']);
  });

  test("removal: the runtime's cleanup and the directory, then the record; a failed cleanup keeps the record", async () => {
    const table = open();
    await table.ready();
    const sb = await table.runSandbox(podSandbox);
    const id = await table.createContainer(sb, config('app'), podSandbox, hooks);
    const rec = table.mustGet(id);
    await rejectsWith(
      table.removeContainer(rec, async () => {
        throw new Error('busy');
      }),
      'Unavailable',
      new RegExp(`^cannot remove container ${id}: busy$`),
    );
    assert.equal(table.container(id), rec);
    await table.removeContainer(rec);
    assert.equal(table.container(id), undefined);
    assert.ok(!existsSync(table.store.containerDir(id)));
    assert.throws(() => table.mustGet(id), (err: unknown) => err instanceof RuntimeError && err.reason === 'NotFound');
  });
});
