import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { ApiObject } from '../../api/object.js';
import { tableConverterFor } from './registry.js';

const now = new Date('2024-05-01T12:00:00Z');
const ago = (ms: number): string => new Date(now.getTime() - ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const converter = tableConverterFor('', 'pods');

function pod(p: Partial<Pod> & { name?: string }): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: p.name ?? 'web', namespace: 'default', creationTimestamp: ago(5 * 60_000), ...p.metadata },
    spec: { containers: [{ name: 'app', image: 'nginx' }], ...p.spec },
    status: p.status ?? {},
  };
}

function cells(p: Pod): unknown[] {
  return converter.rows([p as unknown as ApiObject], now)[0]!.cells;
}

const running = { running: { startedAt: ago(60_000) } };

describe('pod table', () => {
  test('columns, wide ones at priority 1', () => {
    assert.deepEqual(
      converter.columns.map((c) => [c.name, c.type, c.format, c.priority]),
      [
        ['Name', 'string', 'name', 0],
        ['Ready', 'string', '', 0],
        ['Status', 'string', '', 0],
        ['Restarts', 'string', '', 0],
        ['Age', 'string', '', 0],
        ['IP', 'string', '', 1],
        ['Node', 'string', '', 1],
        ['Nominated Node', 'string', '', 1],
        ['Readiness Gates', 'string', '', 1],
      ],
    );
    assert.equal(converter.columns[0]!.description, 'meta.ObjectMeta.name');
  });

  test('running pod', () => {
    const p = pod({
      spec: { containers: [{ name: 'app', image: 'nginx' }], nodeName: 'node-1' },
      status: {
        phase: 'Running',
        podIP: '10.42.0.5',
        podIPs: [{ ip: '10.42.0.5' }],
        conditions: [{ type: 'Ready', status: 'True' }],
        containerStatuses: [{ name: 'app', image: 'nginx', imageID: '', ready: true, restartCount: 0, state: running }],
      },
    });
    assert.deepEqual(cells(p), ['web', '1/1', 'Running', '0', '5m', '10.42.0.5', 'node-1', '<none>', '<none>']);
    assert.equal(converter.rows([p as unknown as ApiObject], now)[0]!.conditions, undefined);
  });

  test('pending pod with nothing reported yet', () => {
    assert.deepEqual(cells(pod({ status: { phase: 'Pending' } })), ['web', '0/1', 'Pending', '0', '5m', '<none>', '<none>', '<none>', '<none>']);
  });

  test('crash-looping container shows restarts with the last restart age', () => {
    const p = pod({
      status: {
        phase: 'Running',
        containerStatuses: [
          {
            name: 'app',
            image: 'nginx',
            imageID: '',
            ready: false,
            restartCount: 3,
            state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s' } },
            lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: ago(12_000) } },
          },
        ],
      },
    });
    assert.deepEqual(cells(p).slice(1, 4), ['0/1', 'CrashLoopBackOff', '3 (12s ago)']);
  });

  test('init containers: Init:x/y, Init:<reason>, Init:ExitCode', () => {
    const spec = { containers: [{ name: 'app' }], initContainers: [{ name: 'a' }, { name: 'b' }] };
    const done = { name: 'a', image: '', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } };
    const p1 = pod({
      spec,
      status: {
        phase: 'Pending',
        initContainerStatuses: [done, { name: 'b', image: '', imageID: '', ready: false, restartCount: 0, state: running }],
        containerStatuses: [{ name: 'app', image: '', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'PodInitializing' } } }],
      },
    });
    assert.deepEqual(cells(p1).slice(1, 4), ['0/1', 'Init:1/2', '0']);

    const p2 = pod({
      spec,
      status: {
        phase: 'Pending',
        initContainerStatuses: [
          { name: 'a', image: '', imageID: '', ready: false, restartCount: 2, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1, finishedAt: ago(30_000) } } },
        ],
      },
    });
    assert.deepEqual(cells(p2).slice(1, 4), ['0/1', 'Init:CrashLoopBackOff', '2 (30s ago)']);

    const p3 = pod({
      spec,
      status: { phase: 'Failed', initContainerStatuses: [{ name: 'a', image: '', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 1 } } }] },
    });
    assert.equal(cells(p3)[2], 'Init:ExitCode:1');

    const p4 = pod({
      spec,
      status: { phase: 'Failed', initContainerStatuses: [{ name: 'a', image: '', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 137, signal: 9 } } }] },
    });
    assert.equal(cells(p4)[2], 'Init:Signal:9');
  });

  test('a started sidecar (restartable init container) counts towards READY', () => {
    const p = pod({
      spec: { containers: [{ name: 'app' }], initContainers: [{ name: 'proxy', restartPolicy: 'Always' }] },
      status: {
        phase: 'Running',
        conditions: [
          { type: 'Initialized', status: 'True' },
          { type: 'Ready', status: 'True' },
        ],
        initContainerStatuses: [{ name: 'proxy', image: '', imageID: '', ready: true, started: true, restartCount: 1, state: running }],
        containerStatuses: [{ name: 'app', image: '', imageID: '', ready: true, restartCount: 0, state: running }],
      },
    });
    assert.deepEqual(cells(p).slice(1, 4), ['2/2', 'Running', '1']);
  });

  test('terminating pod, and Unknown for a deleted pod of a lost node', () => {
    const deleting = { name: 'web', namespace: 'default', creationTimestamp: ago(5 * 60_000), deletionTimestamp: ago(1000) };
    const status = { phase: 'Running', containerStatuses: [{ name: 'app', image: '', imageID: '', ready: true, restartCount: 0, state: running }] };
    assert.equal(cells(pod({ metadata: deleting, status }))[2], 'Terminating');
    assert.equal(cells(pod({ metadata: deleting, status: { ...status, reason: 'NodeLost' } }))[2], 'Unknown');
    assert.equal(cells(pod({ status: { phase: 'Running', reason: 'NodeLost' } }))[2], 'NodeLost');
    // A terminal pod being deleted keeps its terminal status.
    const done = { phase: 'Succeeded', containerStatuses: [{ name: 'app', image: '', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }] };
    assert.equal(cells(pod({ metadata: deleting, status: done }))[2], 'Completed');
  });

  test('completed pod carries the Completed row condition', () => {
    const p = pod({
      status: {
        phase: 'Succeeded',
        containerStatuses: [{ name: 'app', image: '', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }],
      },
    });
    const row = converter.rows([p as unknown as ApiObject], now)[0]!;
    assert.deepEqual(row.cells.slice(1, 4), ['0/1', 'Completed', '0']);
    assert.deepEqual(row.conditions, [{ type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' }]);
    const failed = pod({ status: { phase: 'Failed', containerStatuses: [{ name: 'app', image: '', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 2 } } }] } });
    const frow = converter.rows([failed as unknown as ApiObject], now)[0]!;
    assert.equal(frow.cells[2], 'ExitCode:2');
    assert.equal(frow.conditions?.[0]?.reason, 'Failed');
  });

  test('one container completed while another still runs', () => {
    const spec = { containers: [{ name: 'a' }, { name: 'b' }] };
    const statuses = [
      { name: 'a', image: '', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } },
      { name: 'b', image: '', imageID: '', ready: true, restartCount: 0, state: running },
    ];
    assert.deepEqual(cells(pod({ spec, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }], containerStatuses: statuses } })).slice(1, 3), ['1/2', 'Running']);
    assert.deepEqual(cells(pod({ spec, status: { phase: 'Running', containerStatuses: statuses } })).slice(1, 3), ['1/2', 'NotReady']);
  });

  test('scheduling gates and readiness gates', () => {
    const p = pod({
      spec: { containers: [{ name: 'app' }], readinessGates: [{ conditionType: 'example.com/lb' }, { conditionType: 'example.com/dns' }] },
      status: {
        phase: 'Pending',
        nominatedNodeName: 'node-2',
        conditions: [
          { type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' },
          { type: 'example.com/lb', status: 'True' },
        ],
      },
    });
    const c = cells(p);
    assert.equal(c[2], 'SchedulingGated');
    assert.deepEqual(c.slice(7), ['node-2', '1/2']);
  });
});
