import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FakeClock } from '../../../client/clock.js';
import { Status } from '../../framework/interface.js';
import { PrioritySort } from '../../plugins/priority-sort/index.js';
import { makePod } from '../../testing/fixtures.js';
import { SchedulingQueue } from './scheduling-queue.js';

const sort = new PrioritySort();
const newQueue = (clock: FakeClock, extra: Partial<ConstructorParameters<typeof SchedulingQueue>[0]> = {}) =>
  new SchedulingQueue({ less: (a, b) => sort.less(a, b), clock, pluginEvents: new Map([['NodeResourcesFit', ['NodeAdd', 'PodDelete']], ['TaintToleration', ['NodeUpdate']]]), ...extra });

describe('SchedulingQueue', () => {
  test('pops by priority, then FIFO', async () => {
    const clock = new FakeClock(1000);
    const q = newQueue(clock);
    q.add(makePod('low', { priority: 1 }));
    clock.step(1);
    q.add(makePod('high', { priority: 100 }));
    clock.step(1);
    q.add(makePod('low2', { priority: 1 }));
    const names = [];
    for (let i = 0; i < 3; i++) names.push((await q.pop())!.pod.metadata!.name);
    assert.deepEqual(names, ['high', 'low', 'low2']);
    q.close();
  });

  test('pop waits for a pod and ends with undefined on close', async () => {
    const q = newQueue(new FakeClock());
    const waiting = q.pop();
    q.add(makePod('a'));
    assert.equal((await waiting)!.pod.metadata!.name, 'a');
    const closed = q.pop();
    q.close();
    assert.equal(await closed, undefined);
  });

  test('errors back off exponentially 1 s, 2 s, 4 s … capped at 10 s', async () => {
    const clock = new FakeClock(0);
    const q = newQueue(clock);
    q.add(makePod('a'));
    const expected = [1000, 2000, 4000, 8000, 10_000, 10_000];
    for (const ms of expected) {
      const info = (await q.pop())!;
      assert.equal(q.backoffDuration(info), ms);
      q.done(info.pod);
      q.addUnschedulableIfNotPresent(info, q.schedulingCycle(), false);
      assert.equal(q.whereIs(info.pod), 'backoff');
      clock.step(ms - 1);
      assert.equal(q.whereIs(info.pod), 'backoff');
      clock.step(1);
      assert.equal(q.whereIs(info.pod), 'active');
    }
    q.close();
  });

  test('unschedulable pods move on events their rejecting plugins registered', async () => {
    const clock = new FakeClock(0);
    const q = newQueue(clock);
    q.add(makePod('a'));
    const info = (await q.pop())!;
    info.unschedulablePlugins = new Set(['NodeResourcesFit']);
    q.done(info.pod);
    q.addUnschedulableIfNotPresent(info, q.schedulingCycle(), true);
    assert.equal(q.whereIs(info.pod), 'unschedulable');
    q.moveAllToActiveOrBackoffQueue('NodeUpdate');
    assert.equal(q.whereIs(info.pod), 'unschedulable');
    q.moveAllToActiveOrBackoffQueue('NodeAdd');
    // Still within its 1 s backoff.
    assert.equal(q.whereIs(info.pod), 'backoff');
    clock.step(1000);
    assert.equal(q.whereIs(info.pod), 'active');
    q.close();
  });

  test('a move request during the cycle sends the failed pod to backoff, not unschedulable', async () => {
    const q = newQueue(new FakeClock(0));
    q.add(makePod('a'));
    const info = (await q.pop())!;
    q.moveAllToActiveOrBackoffQueue('NodeAdd');
    q.done(info.pod);
    q.addUnschedulableIfNotPresent(info, q.schedulingCycle(), true);
    assert.equal(q.whereIs(info.pod), 'backoff');
    q.close();
  });

  test('unschedulable pods are flushed after 5 minutes', async () => {
    const clock = new FakeClock(0);
    const q = newQueue(clock);
    q.run();
    q.add(makePod('a'));
    const info = (await q.pop())!;
    info.unschedulablePlugins = new Set(['TaintToleration']);
    q.done(info.pod);
    q.addUnschedulableIfNotPresent(info, q.schedulingCycle(), true);
    clock.step(5 * 60_000);
    assert.equal(q.whereIs(info.pod), 'unschedulable');
    clock.step(30_000);
    assert.equal(q.whereIs(info.pod), 'active');
    q.close();
    assert.equal(clock.pending(), 0);
  });

  test('gated pods wait until an update removes the gates', () => {
    const q = newQueue(new FakeClock(0), {
      preEnqueue: (p) => (p.spec?.schedulingGates?.length ? new Status('UnschedulableAndUnresolvable', ['gated'], 'SchedulingGates') : Status.success()),
    });
    const gated = makePod('g', { schedulingGates: [{ name: 'x' }] });
    q.add(gated);
    assert.equal(q.whereIs(gated), 'gated');
    q.moveAllToActiveOrBackoffQueue('NodeAdd');
    assert.equal(q.whereIs(gated), 'gated');
    const open = makePod('g');
    q.update(gated, open);
    assert.equal(q.whereIs(open), 'active');
    q.close();
  });

  test('updates and deletes of in-flight pods are remembered for the end of the cycle', async () => {
    const q = newQueue(new FakeClock(0));
    const pod = makePod('a');
    q.add(pod);
    const info = (await q.pop())!;
    q.delete(pod);
    assert.equal(q.done(info.pod), undefined);
    assert.equal(q.whereIs(pod), undefined);
    q.close();
  });

  test('nominated pods are tracked per node', () => {
    const q = newQueue(new FakeClock(0));
    const p = makePod('p');
    (p as { status: object }).status = { nominatedNodeName: 'n1' };
    q.add(p);
    assert.deepEqual(q.nominator.nominatedPodsForNode('n1').map((x) => x.metadata!.name), ['p']);
    q.delete(p);
    assert.deepEqual(q.nominator.nominatedPodsForNode('n1'), []);
    q.close();
  });
});
