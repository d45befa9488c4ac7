import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CrashLoopBackoff, backoffEventMessage, backoffMessage, crashLoopKey, formatGoDuration, formatPodName, type BackoffTarget } from './backoff.js';

const target: BackoffTarget = { container: 'app', pod: { name: 'web', namespace: 'default', uid: 'u1' } };
const key = crashLoopKey('u1', 'app');

/** Simulates a container that crashes `runMs` after every restart, restarting as soon as allowed. */
function delays(b: CrashLoopBackoff, crashes: number, runMs = 1000): number[] {
  const out: number[] = [];
  let now = 1_000_000;
  let finishedAt = now;
  for (let i = 0; i < crashes; i++) {
    const check = b.inBackoff(key, finishedAt, now, target);
    if (check.waiting) {
      out.push(check.remainingMs);
      now += check.remainingMs;
      assert.equal(b.inBackoff(key, finishedAt, now, target).waiting, false);
    } else out.push(0);
    b.next(key, now, finishedAt);
    finishedAt = now + runMs;
    now = finishedAt;
  }
  return out;
}

describe('formatGoDuration', () => {
  const cases: [number, string][] = [
    [0, '0s'],
    [500, '500ms'],
    [1500, '1.5s'],
    [10_000, '10s'],
    [40_000, '40s'],
    [80_000, '1m20s'],
    [160_000, '2m40s'],
    [300_000, '5m0s'],
    [3_600_000, '1h0m0s'],
    [3_723_000, '1h2m3s'],
    [-10_000, '-10s'],
  ];
  for (const [ms, text] of cases) test(`${ms} ms is ${text}`, () => assert.equal(formatGoDuration(ms), text));
});

describe('messages', () => {
  test('the key is <podUID>_<container>', () => assert.equal(key, 'u1_app'));
  test('pods are named as format.Pod does', () => assert.equal(formatPodName(target.pod), 'web_default(u1)'));
  test('the waiting message', () => {
    assert.equal(backoffMessage(10_000, target), 'back-off 10s restarting failed container=app pod=web_default(u1)');
    assert.equal(backoffMessage(300_000, target), 'back-off 5m0s restarting failed container=app pod=web_default(u1)');
  });
  test('the BackOff event message', () => {
    assert.equal(backoffEventMessage(target), 'Back-off restarting failed container app in pod web_default(u1)');
  });
});

describe('CrashLoopBackoff', () => {
  test('a container never restarted is not in back-off', () => {
    const b = new CrashLoopBackoff();
    assert.deepEqual(b.inBackoff(key, 1000, 1000, target), { waiting: false, remainingMs: 0, message: '' });
    assert.equal(b.get(key), 0);
  });

  test('the first restart is immediate, then 10s, 20s, 40s, ... capped at 5m', () => {
    const b = new CrashLoopBackoff();
    assert.deepEqual(delays(b, 9), [0, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000, 300_000]);
  });

  test('while waiting, the message names the current delay and remainingMs counts down', () => {
    const b = new CrashLoopBackoff();
    b.next(key, 1000);
    const check = b.inBackoff(key, 2000, 5000, target);
    assert.equal(check.waiting, true);
    assert.equal(check.remainingMs, 7000);
    assert.equal(check.message, 'back-off 10s restarting failed container=app pod=web_default(u1)');
  });

  test('back-off is measured from when the container finished', () => {
    const b = new CrashLoopBackoff();
    b.next(key, 0);
    assert.equal(b.inBackoff(key, 50_000, 59_999, target).waiting, true);
    assert.equal(b.inBackoff(key, 50_000, 60_000, target).waiting, false);
  });

  test('the entry starts over when the container ran more than 10 minutes', () => {
    const b = new CrashLoopBackoff();
    b.next(key, 0);
    b.next(key, 10_000);
    b.next(key, 30_000);
    assert.equal(b.get(key), 40_000);
    const finishedAt = 30_000 + 600_001;
    assert.equal(b.inBackoff(key, finishedAt, finishedAt, target).waiting, false);
    b.next(key, finishedAt, finishedAt);
    assert.equal(b.get(key), 10_000);
  });

  test('a container that ran exactly 10 minutes keeps its delay', () => {
    const b = new CrashLoopBackoff();
    b.next(key, 0);
    const finishedAt = 600_000;
    assert.equal(b.inBackoff(key, finishedAt, finishedAt, target).waiting, true);
    b.next(key, finishedAt + 10_000, finishedAt);
    assert.equal(b.get(key), 20_000);
  });

  test('next without a finish time uses now to decide on a reset', () => {
    const b = new CrashLoopBackoff();
    b.next(key, 0);
    b.next(key, 600_001);
    assert.equal(b.get(key), 10_000);
  });

  test('gc drops entries untouched for longer than resetAfterMs', () => {
    const b = new CrashLoopBackoff();
    b.next('a', 0);
    b.next('b', 100_000);
    b.gc(600_000);
    assert.equal(b.size, 2);
    b.gc(600_001);
    assert.equal(b.size, 1);
    assert.equal(b.get('a'), 0);
    assert.equal(b.get('b'), 10_000);
  });

  test('reset forgets one entry', () => {
    const b = new CrashLoopBackoff();
    b.next(key, 0);
    b.next('other', 0);
    b.reset(key);
    assert.equal(b.get(key), 0);
    assert.equal(b.get('other'), 10_000);
  });

  test('entries are independent', () => {
    const b = new CrashLoopBackoff();
    b.next('a', 0);
    b.next('a', 10_000);
    b.next('b', 10_000);
    assert.equal(b.get('a'), 20_000);
    assert.equal(b.get('b'), 10_000);
  });

  test('options set the initial delay, the cap and the reset time', () => {
    const b = new CrashLoopBackoff({ initialMs: 1000, maxMs: 3000, resetAfterMs: 5000 });
    b.next(key, 0);
    b.next(key, 1);
    b.next(key, 2);
    b.next(key, 3);
    assert.equal(b.get(key), 3000);
    assert.equal(b.inBackoff(key, 5004, 5004, target).waiting, false);
    b.gc(5004);
    assert.equal(b.size, 0);
  });

  test('resetAfterMs defaults to twice maxMs', () => {
    const b = new CrashLoopBackoff({ maxMs: 1000 });
    b.next(key, 0);
    assert.equal(b.inBackoff(key, 2000, 2000, target).waiting, true);
    assert.equal(b.inBackoff(key, 2001, 2001, target).waiting, false);
  });

  test('without a target the message falls back to the key', () => {
    const b = new CrashLoopBackoff();
    b.next(key, 0);
    assert.equal(b.inBackoff(key, 0, 0).message, 'back-off 10s restarting failed container=app pod=_(u1)');
  });
});
