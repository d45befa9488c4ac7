/**
 * The probes of one pod (the kubelet's prober manager and workers): a ProbeTracker per container
 * and probe kind, runs that fall due on the agent's clock, `Unhealthy` events for failures, and a
 * kick to the pod worker whenever an effective result changes (a failed liveness probe then
 * restarts the container; readiness flows into the pod's Ready condition).
 */
import type { Container, Pod, Probe } from 'kubernetes-types/core/v1.js';
import type { ApiObject } from '../api/object.js';
import type { Clock, TimerHandle } from '../client/clock.js';
import type { EventRecorder } from '../controllers/events.js';
import { probeEvent, runProbe } from './probes/handlers.js';
import { type ProbeKind, ProbeTracker, containerCountsAsStarted } from './probes/probe-state.js';
import type { ContainerRuntime, ContainerStatus } from './runtime/runtime.js';

export interface PodProbesDeps {
  runtime: ContainerRuntime;
  recorder: EventRecorder;
  clock: Clock;
  /** Asks the pod worker to sync. */
  kick: () => void;
  pod: () => Pod;
  /** Where the pod's ports are reached (host network: the node's IP). */
  hostIP: () => string;
}

interface Tracked {
  id: string;
  spec: Container;
  trackers: Map<ProbeKind, ProbeTracker>;
}

const kinds: [ProbeKind, keyof Container][] = [
  ['Startup', 'startupProbe'],
  ['Liveness', 'livenessProbe'],
  ['Readiness', 'readinessProbe'],
];

/** Containers that can have probes: regular ones and sidecars (restartable init containers). */
function probedContainers(pod: Pod): Container[] {
  return [...(pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always'), ...(pod.spec?.containers ?? [])];
}

export class PodProbes {
  private readonly tracked = new Map<string, Tracked>();
  private readonly inFlight = new Set<ProbeTracker>();
  private timer?: TimerHandle;
  private stopped = false;

  constructor(private readonly deps: PodProbesDeps) {}

  /** Follows the containers' current instances: new trackers for a new instance, stopped ones for exited. */
  track(containers: ContainerStatus[]): void {
    if (this.stopped) return;
    const now = this.deps.clock.now();
    for (const spec of probedContainers(this.deps.pod())) {
      const latest = containers.filter((c) => c.metadata.name === spec.name).sort((a, b) => b.metadata.attempt - a.metadata.attempt)[0];
      const running = latest?.state === 'CONTAINER_RUNNING' ? latest : undefined;
      let t = this.tracked.get(spec.name);
      if (running && t?.id !== running.id) {
        t = { id: running.id, spec, trackers: new Map() };
        for (const [kind, field] of kinds) {
          const probe = spec[field] as Probe | undefined;
          if (probe) t.trackers.set(kind, new ProbeTracker(kind, probe));
        }
        const countsAsStarted = !t.trackers.has('Startup');
        for (const tr of t.trackers.values()) tr.containerStarted(running.startedAt || now, countsAsStarted);
        this.tracked.set(spec.name, t);
      } else if (!running && t) {
        for (const tr of t.trackers.values()) tr.containerStopped();
      }
      if (t) {
        const started = containerCountsAsStarted(t.trackers.get('Startup'));
        for (const tr of t.trackers.values()) tr.setStarted(started, now);
      }
    }
    this.schedule();
  }

  private results(kind: ProbeKind): Map<string, 'success' | 'failure' | 'unknown'> {
    const out = new Map<string, 'success' | 'failure' | 'unknown'>();
    for (const [name, t] of this.tracked) {
      const tr = t.trackers.get(kind);
      if (tr) out.set(name, tr.result);
    }
    return out;
  }

  liveness(): Map<string, 'success' | 'failure'> {
    const out = new Map<string, 'success' | 'failure'>();
    for (const [name, r] of this.results('Liveness')) if (r !== 'unknown') out.set(name, r);
    return out;
  }

  startup(): Map<string, 'success' | 'failure' | 'unknown'> {
    return this.results('Startup');
  }

  /** Ready: running, and its readiness probe (if any) succeeds. */
  readiness(containers: ContainerStatus[]): Map<string, boolean> {
    const out = new Map<string, boolean>();
    for (const c of containers) {
      if (c.state !== 'CONTAINER_RUNNING') continue;
      const t = this.tracked.get(c.metadata.name);
      const tr = t?.id === c.id ? t.trackers.get('Readiness') : undefined;
      const started = t?.id === c.id ? containerCountsAsStarted(t.trackers.get('Startup')) : true;
      out.set(c.metadata.name, started && (tr ? tr.result === 'success' : true));
    }
    return out;
  }

  /** Started: running, and its startup probe (if any) succeeded. */
  started(containers: ContainerStatus[]): Map<string, boolean> {
    const out = new Map<string, boolean>();
    for (const c of containers) {
      if (c.state !== 'CONTAINER_RUNNING') continue;
      const t = this.tracked.get(c.metadata.name);
      out.set(c.metadata.name, t?.id === c.id ? containerCountsAsStarted(t.trackers.get('Startup')) : true);
    }
    return out;
  }

  forget(name: string): void {
    this.tracked.delete(name);
  }

  nextDueInMs(): number | undefined {
    const now = this.deps.clock.now();
    let next: number | undefined;
    for (const t of this.tracked.values())
      for (const tr of t.trackers.values()) {
        const at = tr.nextRunAt(now);
        if (at !== undefined) next = Math.min(next ?? at, at);
      }
    return next === undefined ? undefined : Math.max(0, next - now);
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer?.cancel();
    const due = this.nextDueInMs();
    if (due !== undefined) this.timer = this.deps.clock.setTimer(() => void this.runDue(), due);
  }

  private async runDue(): Promise<void> {
    if (this.stopped) return;
    const now = this.deps.clock.now();
    const runs: Promise<void>[] = [];
    for (const t of this.tracked.values())
      for (const tr of t.trackers.values()) {
        const at = tr.nextRunAt(now);
        if (at === undefined || at > now || this.inFlight.has(tr)) continue;
        runs.push(this.runOne(t, tr));
      }
    this.schedule();
    await Promise.all(runs);
    this.schedule();
  }

  private async runOne(t: Tracked, tr: ProbeTracker): Promise<void> {
    this.inFlight.add(tr);
    try {
      const probe = t.spec[kinds.find(([k]) => k === tr.kind)![1]] as Probe;
      const outcome = await runProbe(probe, {
        podIP: this.deps.hostIP(),
        container: t.spec,
        exec: (cmd, timeoutMs) => this.deps.runtime.execSync(t.id, cmd, timeoutMs),
      });
      if (this.stopped || this.tracked.get(t.spec.name) !== t) return;
      const ev = probeEvent(tr.kind, outcome);
      if (ev) this.deps.recorder.event(this.deps.pod() as unknown as ApiObject, ev.type, ev.reason, ev.message);
      if (tr.observe(outcome.result, this.deps.clock.now())) {
        if (tr.kind === 'Startup') {
          const started = containerCountsAsStarted(tr);
          for (const other of t.trackers.values()) other.setStarted(started, this.deps.clock.now());
        }
        this.deps.kick();
      }
    } finally {
      this.inFlight.delete(tr);
    }
  }
}
