import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CoalescingRunner } from './coalescing-runner.js';

/** A job whose runs finish when the test says so. */
function gatedJob() {
  let started = 0;
  const waiting: (() => void)[] = [];
  return {
    job: () =>
      new Promise<void>((resolve) => {
        started++;
        waiting.push(resolve);
      }),
    started: () => started,
    finish: () => waiting.splice(0).forEach((f) => f()),
  };
}

const tick = () => new Promise((r) => setImmediate(r));

test('kicks while a run is in progress collapse into one more run', async () => {
  const j = gatedJob();
  const r = new CoalescingRunner(j.job, { retryMs: 1000 });
  r.kick();
  assert.equal(j.started(), 1);
  r.kick();
  r.kick();
  r.kick();
  assert.equal(j.started(), 1);
  j.finish();
  await tick();
  assert.equal(j.started(), 2);
  j.finish();
  await r.settled();
  assert.equal(j.started(), 2);
  // Idle again: the next kick runs at once.
  r.kick();
  assert.equal(j.started(), 3);
  j.finish();
  await r.close();
});

test('retryLater schedules one run after the delay, whatever the number of calls', async () => {
  let runs = 0;
  const r = new CoalescingRunner(async () => {
    runs++;
    if (runs < 3) {
      r.retryLater();
      r.retryLater();
    }
  }, { retryMs: 1 });
  r.kick();
  await r.settled();
  assert.equal(runs, 1);
  assert.equal(r.retryPending(), true);
  while (runs < 3) await new Promise((res) => setTimeout(res, 2));
  await r.settled();
  assert.equal(r.retryPending(), false);
  await new Promise((res) => setTimeout(res, 10));
  assert.equal(runs, 3);
  await r.close();
});

test('close waits for the current run, cancels the retry and ignores later kicks', async () => {
  const j = gatedJob();
  const r = new CoalescingRunner(async () => {
    await j.job();
    r.retryLater();
  }, { retryMs: 60_000 });
  r.kick();
  r.kick();
  let closed = false;
  const closing = r.close().then(() => (closed = true));
  await tick();
  assert.equal(closed, false);
  j.finish();
  await closing;
  // The kick made during the run is dropped, and so is the retry the run asked for after close.
  assert.equal(j.started(), 1);
  assert.equal(r.retryPending(), false);
  r.kick();
  r.retryLater();
  assert.equal(j.started(), 1);
  assert.equal(r.retryPending(), false);
});
