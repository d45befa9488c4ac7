import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { containerCountsAsStarted, initialProbeResult, ProbeTracker, probeTiming } from './probe-state.js';

const T0 = 1_000_000;
const s = (seconds: number) => T0 + seconds * 1000;

describe('probeTiming', () => {
  it('applies the API defaults, zero counting as unset', () => {
    assert.deepEqual(probeTiming({}), { initialDelaySeconds: 0, periodSeconds: 10, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 });
    assert.deepEqual(probeTiming({ periodSeconds: 0, failureThreshold: 0, initialDelaySeconds: 7, successThreshold: 2, timeoutSeconds: 5 }), {
      initialDelaySeconds: 7,
      periodSeconds: 10,
      timeoutSeconds: 5,
      successThreshold: 2,
      failureThreshold: 3,
    });
  });

  it('starts each kind where the kubelet does', () => {
    assert.equal(initialProbeResult('Readiness'), 'failure');
    assert.equal(initialProbeResult('Liveness'), 'success');
    assert.equal(initialProbeResult('Startup'), 'unknown');
    assert.equal(new ProbeTracker('Readiness', {}).result, 'failure');
  });
});

describe('ProbeTracker', () => {
  it('does not run before a container runs, nor before the initial delay', () => {
    const t = new ProbeTracker('Liveness', { initialDelaySeconds: 5 });
    assert.equal(t.nextRunAt(T0), undefined);
    t.containerStarted(T0, true);
    assert.equal(t.nextRunAt(T0), s(5));
    assert.equal(t.nextRunAt(s(6)), s(6)); // overdue: due now
  });

  it('runs every period after the previous run (10s by default)', () => {
    const t = new ProbeTracker('Readiness', {});
    t.containerStarted(T0, true);
    assert.equal(t.nextRunAt(T0), T0);
    t.observe('success', s(0.5));
    assert.equal(t.nextRunAt(s(1)), s(10.5));
    const fast = new ProbeTracker('Readiness', { periodSeconds: 2, initialDelaySeconds: 1 });
    fast.containerStarted(T0, true);
    fast.observe('success', s(1));
    assert.equal(fast.nextRunAt(s(1)), s(3));
  });

  it('liveness turns to failure after failureThreshold failures in a row, then holds until a new container', () => {
    const t = new ProbeTracker('Liveness', {});
    t.containerStarted(T0, true);
    assert.equal(t.result, 'success');
    assert.equal(t.observe('failure', s(0)), false);
    assert.equal(t.observe('failure', s(10)), false);
    assert.equal(t.observe('success', s(20)), false); // breaks the run
    assert.equal(t.observe('failure', s(30)), false);
    assert.equal(t.observe('failure', s(40)), false);
    assert.equal(t.observe('failure', s(50)), true);
    assert.equal(t.result, 'failure');
    assert.equal(t.nextRunAt(s(60)), undefined);
    assert.equal(t.observe('success', s(60)), false); // held: ignored
    assert.equal(t.result, 'failure');

    assert.equal(t.containerStarted(s(70), true), true); // the restarted container starts over
    assert.equal(t.result, 'success');
    assert.equal(t.nextRunAt(s(70)), s(70));
  });

  it('readiness needs successThreshold successes, keeps probing after failures, and ignores errored runs', () => {
    const t = new ProbeTracker('Readiness', { successThreshold: 2, failureThreshold: 2 });
    t.containerStarted(T0, true);
    assert.equal(t.observe('success', s(0)), false);
    assert.equal(t.observe('unknown', s(10)), false);
    assert.equal(t.observe('success', s(20)), true);
    assert.equal(t.result, 'success');
    assert.equal(t.observe('success', s(30)), false);
    assert.equal(t.observe('failure', s(40)), false);
    assert.equal(t.observe('failure', s(50)), true);
    assert.equal(t.result, 'failure');
    assert.equal(t.nextRunAt(s(50)), s(60)); // readiness does not hold
    assert.equal(t.observe('success', s(60)), false);
    assert.equal(t.observe('success', s(70)), true);
  });

  it('an errored run still counts as a run for the schedule', () => {
    const t = new ProbeTracker('Readiness', { periodSeconds: 5 });
    t.containerStarted(T0, true);
    t.observe('unknown', s(1));
    assert.equal(t.nextRunAt(s(1)), s(6));
    assert.equal(t.result, 'failure');
  });

  it('gates liveness and readiness on the startup probe', () => {
    const startup = new ProbeTracker('Startup', { failureThreshold: 30, periodSeconds: 1 });
    const liveness = new ProbeTracker('Liveness', { initialDelaySeconds: 2 });
    const readiness = new ProbeTracker('Readiness', {});
    for (const t of [startup, liveness, readiness]) t.containerStarted(T0);

    assert.equal(startup.result, 'unknown');
    assert.equal(containerCountsAsStarted(startup), false);
    assert.equal(startup.nextRunAt(T0), T0);
    assert.equal(liveness.nextRunAt(T0), undefined);
    assert.equal(readiness.nextRunAt(T0), undefined);

    assert.equal(startup.observe('failure', s(0)), false); // 1 of 30
    assert.equal(startup.result, 'unknown');
    assert.equal(startup.observe('success', s(1)), true);
    assert.equal(containerCountsAsStarted(startup), true);
    for (const t of [startup, liveness, readiness]) t.setStarted(containerCountsAsStarted(startup), s(1));

    assert.equal(startup.nextRunAt(s(1)), undefined); // done for this container
    assert.equal(readiness.nextRunAt(s(1)), s(1)); // right away
    assert.equal(liveness.nextRunAt(s(1)), s(2)); // still honours its initial delay
  });

  it('a startup probe that never succeeds fails and holds', () => {
    const startup = new ProbeTracker('Startup', { failureThreshold: 2 });
    startup.containerStarted(T0);
    assert.equal(startup.observe('failure', s(0)), false);
    assert.equal(startup.observe('failure', s(10)), true);
    assert.equal(startup.result, 'failure');
    assert.equal(startup.nextRunAt(s(20)), undefined);
    startup.containerStarted(s(30));
    assert.equal(startup.result, 'unknown');
  });

  it('reads failure while the container is not running', () => {
    const t = new ProbeTracker('Liveness', {});
    t.containerStarted(T0, true);
    assert.equal(t.containerStopped(), true);
    assert.equal(t.result, 'failure');
    assert.equal(t.nextRunAt(s(100)), undefined);
    assert.equal(t.observe('success', s(100)), false);
  });

  it('quiets liveness and startup while the pod terminates, not readiness', () => {
    const startup = new ProbeTracker('Startup', {});
    startup.containerStarted(T0);
    assert.equal(startup.podTerminating(), true);
    assert.equal(startup.result, 'success');
    assert.equal(startup.nextRunAt(s(10)), undefined);

    const liveness = new ProbeTracker('Liveness', {});
    liveness.containerStarted(T0, true);
    assert.equal(liveness.podTerminating(), false); // already success
    assert.equal(liveness.nextRunAt(s(10)), undefined);

    const failed = new ProbeTracker('Liveness', { failureThreshold: 1 });
    failed.containerStarted(T0, true);
    failed.observe('failure', s(0));
    assert.equal(failed.podTerminating(), false); // on hold: keeps its failure
    assert.equal(failed.result, 'failure');

    const readiness = new ProbeTracker('Readiness', {});
    readiness.containerStarted(T0, true);
    assert.equal(readiness.podTerminating(), false);
    assert.equal(readiness.nextRunAt(s(0)), s(0));
  });
});
