import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FakeClock } from '../../../client/clock.js';
import { makeNode, makePod } from '../../testing/fixtures.js';
import { SchedulerCache } from './cache.js';
import { Snapshot } from './snapshot.js';

describe('SchedulerCache', () => {
  test('assume, confirm, forget and expire', () => {
    const clock = new FakeClock(0);
    const c = new SchedulerCache({ clock, assumedPodTtlMs: 1000 });
    c.addNode(makeNode('n', { cpu: '4' }));
    const a = makePod('a', { cpu: '1', nodeName: 'n' });
    c.assumePod(a);
    assert.equal(c.snapshot().get('n')!.requested.milliCPU, 1000);
    c.addPod(a);
    assert.equal(c.isAssumedPod(a), false);
    const b = makePod('b', { cpu: '1', nodeName: 'n' });
    c.assumePod(b);
    c.forgetPod(b);
    assert.equal(c.snapshot().get('n')!.requested.milliCPU, 1000);
    c.assumePod(b);
    c.finishBinding(b);
    clock.step(1001);
    assert.deepEqual(c.cleanupAssumedPods().map((p) => p.metadata!.name), ['b']);
    assert.equal(c.snapshot().get('n')!.pods.length, 1);
  });

  test('terminal pods free their node', () => {
    const c = new SchedulerCache();
    c.addNode(makeNode('n'));
    const p = makePod('a', { cpu: '1', nodeName: 'n' });
    c.addPod(p);
    c.updatePod(p, { ...p, status: { phase: 'Succeeded' } });
    assert.equal(c.snapshot().get('n')!.pods.length, 0);
  });

  test('snapshots refresh incrementally and drop deleted nodes', () => {
    const c = new SchedulerCache();
    const snap = new Snapshot();
    for (let i = 0; i < 5; i++) c.addNode(makeNode(`n${i}`));
    c.updateSnapshot(snap);
    assert.equal(snap.numNodes(), 5);
    const before = snap.get('n1');
    c.addPod(makePod('p', { nodeName: 'n2', cpu: '1' }));
    c.updateSnapshot(snap);
    assert.equal(snap.get('n1'), before, 'unchanged nodes keep their NodeInfo');
    assert.equal(snap.get('n2')!.pods.length, 1);
    assert.equal(snap.list().find((n) => n.name === 'n2')!.pods.length, 1);
    c.removeNode(makeNode('n3'));
    c.updateSnapshot(snap);
    assert.deepEqual(snap.list().map((n) => n.name), ['n0', 'n1', 'n2', 'n4']);
  });
});
