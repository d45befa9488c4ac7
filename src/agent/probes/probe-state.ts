/**
 * The state of one probe of one container (pkg/kubelet/prober/worker.go, v1.32), as a pure
 * object: it says when the probe should next run and folds each result into the effective one
 * with the probe's thresholds. Timers and the running itself belong to the caller.
 *
 * Kubelet rules kept here:
 * - Each new container instance starts from the kind's initial result: readiness `failure`,
 *   liveness `success`, startup `unknown`; a container that is not running reads `failure`.
 * - Nothing runs before `initialDelaySeconds` have passed since the container started, and
 *   liveness/readiness wait until the container counts as started (no startup probe, or the
 *   startup probe succeeded); the startup probe stops once it has.
 * - A result changes the effective one only after `successThreshold` (default 1) or
 *   `failureThreshold` (default 3) equal results in a row. An `unknown` run (the probe errored)
 *   is thrown away.
 * - After a liveness or startup failure the probe holds until the next container instance.
 *
 * Scheduling differs slightly from the kubelet, whose worker ticks every period from its own
 * start: here the first run is due as soon as the initial delay has passed (and, for
 * liveness/readiness, the container counts as started), then every `periodSeconds` after the
 * previous run.
 */
import type { Probe } from 'kubernetes-types/core/v1.js';

export type ProbeKind = 'Liveness' | 'Readiness' | 'Startup';
export type ProbeResultValue = 'success' | 'failure' | 'unknown';

export interface ProbeTiming {
  initialDelaySeconds: number;
  periodSeconds: number;
  timeoutSeconds: number;
  successThreshold: number;
  failureThreshold: number;
}

/** The probe's timing with the API defaults applied (a zero counts as unset, as in SetDefaults_Probe). */
export function probeTiming(probe: Probe): ProbeTiming {
  const positive = (v: number | undefined, d: number) => (v !== undefined && v > 0 ? v : d);
  return {
    initialDelaySeconds: Math.max(0, probe.initialDelaySeconds ?? 0),
    periodSeconds: positive(probe.periodSeconds, 10),
    timeoutSeconds: positive(probe.timeoutSeconds, 1),
    successThreshold: positive(probe.successThreshold, 1),
    failureThreshold: positive(probe.failureThreshold, 3),
  };
}

/** The result a probe reports for a new container before it has run. */
export function initialProbeResult(kind: ProbeKind): ProbeResultValue {
  return kind === 'Readiness' ? 'failure' : kind === 'Liveness' ? 'success' : 'unknown';
}

export class ProbeTracker {
  readonly timing: ProbeTiming;
  private effective: ProbeResultValue;
  /** Unix ms the current container instance started running; undefined when none is running. */
  private startedAt: number | undefined;
  /** Whether the container counts as started; when that became true (for the first run). */
  private started = false;
  private startedSince = 0;
  private lastRunAt: number | undefined;
  private lastResult: ProbeResultValue | undefined;
  private run = 0;
  private onHold = false;
  private stopped = false;

  constructor(
    readonly kind: ProbeKind,
    probe: Probe,
  ) {
    this.timing = probeTiming(probe);
    this.effective = initialProbeResult(kind);
  }

  /** The effective result, as the kubelet's results manager holds it. */
  get result(): ProbeResultValue {
    return this.effective;
  }

  /**
   * A new container instance began running at `startedAt` (Unix ms): the result returns to the
   * initial one and counting starts over. `countsAsStarted` is true when the container has no
   * startup probe (else see `setStarted`). Returns whether the effective result changed.
   */
  containerStarted(startedAt: number, countsAsStarted = false): boolean {
    this.startedAt = startedAt;
    this.lastRunAt = undefined;
    this.lastResult = undefined;
    this.run = 0;
    this.onHold = false;
    this.stopped = false;
    this.started = countsAsStarted;
    this.startedSince = startedAt;
    return this.set(initialProbeResult(this.kind));
  }

  /** The container is not running (exited, or not yet created): the result reads `failure`. */
  containerStopped(): boolean {
    this.startedAt = undefined;
    return this.set('failure');
  }

  /**
   * Whether the container counts as started: true when it has no startup probe or its startup
   * probe has succeeded. Gates liveness and readiness, and ends the startup probe's runs.
   */
  setStarted(started: boolean, now: number): void {
    if (started && !this.started) this.startedSince = now;
    this.started = started;
  }

  /**
   * The pod is being deleted: liveness and startup report `success` and stop, so that shutdown is
   * quiet; readiness keeps running. Returns whether the effective result changed.
   */
  podTerminating(): boolean {
    // A probe on hold (its container failed it) keeps its failure, as the kubelet's worker
    // checks the hold before the deletion.
    if (this.kind === 'Readiness' || this.onHold || this.startedAt === undefined) return false;
    this.stopped = true;
    return this.set('success');
  }

  /** When the next run is due (Unix ms, never before `now`), or undefined when none is. */
  nextRunAt(now: number): number | undefined {
    if (this.startedAt === undefined || this.onHold || this.stopped) return undefined;
    if (this.kind === 'Startup' ? this.started : !this.started) return undefined;
    const earliest = this.startedAt + this.timing.initialDelaySeconds * 1000;
    const due =
      this.lastRunAt !== undefined
        ? this.lastRunAt + this.timing.periodSeconds * 1000
        : this.kind === 'Startup'
          ? earliest
          : Math.max(earliest, this.startedSince);
    return Math.max(due, earliest, now);
  }

  /** Folds one run's result in. Returns whether the effective result changed. */
  observe(result: ProbeResultValue, now: number): boolean {
    if (this.startedAt === undefined || this.onHold || this.stopped) return false;
    this.lastRunAt = now;
    if (result === 'unknown') return false; // the probe errored: the kubelet throws the run away
    if (this.lastResult === result) this.run++;
    else {
      this.lastResult = result;
      this.run = 1;
    }
    const threshold = result === 'success' ? this.timing.successThreshold : this.timing.failureThreshold;
    if (this.run < threshold) return false;
    const changed = this.set(result);
    if (result === 'failure' && this.kind !== 'Readiness') {
      // The container will be restarted; wait for the next instance.
      this.onHold = true;
      this.run = 0;
    }
    return changed;
  }

  private set(result: ProbeResultValue): boolean {
    const changed = this.effective !== result;
    this.effective = result;
    return changed;
  }
}

/** Whether a container counts as started, from its startup probe's tracker (none: started). */
export function containerCountsAsStarted(startup: ProbeTracker | undefined): boolean {
  return startup === undefined || startup.result === 'success';
}
