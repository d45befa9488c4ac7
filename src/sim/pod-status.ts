/**
 * What a simulated kubelet does with a pod bound to its node, as a pure function of the pod, the
 * time and the node (after pkg/kubelet/kubelet_pods.go generateAPIPodStatus and getPhase, and
 * pkg/kubelet/status/generate.go for the conditions):
 *
 *   - a pod not yet started starts at once: phase Running, init containers Completed (sidecars
 *     running), containers running; Ready/ContainersReady turn True `readyAfterMs` after start;
 *   - a Never/OnFailure pod with the run-seconds annotation ends that long after it started:
 *     containers terminated with the exit-code annotation (default 0): 0 → Succeeded
 *     (reason Completed), otherwise Failed (reason Error). An OnFailure container is not restarted
 *     (a simplification). Always pods run until deleted;
 *   - a pod being deleted stops: its containers exit `stop-seconds` (default 0) after the delete
 *     request, or are killed (exit 137) at the end of the grace period, whichever comes first; then
 *     the terminal status is written and the pod deleted with grace 0, as the kubelet's status
 *     manager does. A shorter grace period given later shortens the wait.
 *
 * Durations are measured from `startTime`, which (like every status time) has second precision
 * and so lies up to a second before the real start: a duration is counted from the second after
 * it, so that nothing happens earlier than asked.
 */
import type { Container, ContainerState, ContainerStatus, Pod, PodCondition, PodStatus } from 'kubernetes-types/core/v1.js';
import { rfc3339 } from './node-object.js';
import { simAnnotations } from './sim-options.js';

export interface PodContext {
  now: number;
  /** The node's InternalIP: status.hostIP, and podIP of host-network pods. */
  hostIP: string;
  /** Allocates the pod's IP; called only when the pod starts and has none. */
  allocatePodIP: () => string;
  readyAfterMs: number;
  runSecondsAnnotation: string;
}

export interface PodDecision {
  /** The complete status to write (replacing conditions and container statuses). */
  status?: PodStatus;
  /** After writing `status` (if any), delete the pod with grace 0. */
  deleteNow?: boolean;
  /** Something is due then: look at the pod again after this long. */
  recheckAfterMs?: number;
}

type Finish = { exitCode: number; reason: string };

/** When a duration `ms` counted from the second-precision start `startedAt` has surely passed. */
const after = (startedAt: number, ms: number): number => (ms > 0 ? startedAt + 1000 + ms : startedAt);

const isTerminal = (phase: string | undefined): boolean => phase === 'Succeeded' || phase === 'Failed';
const parseTime = (t: string | undefined | null): number | undefined => (t ? Date.parse(t) : undefined);

export function decidePod(pod: Pod, ctx: PodContext): PodDecision {
  const status = pod.status ?? {};
  if (pod.metadata?.deletionTimestamp) return decideTermination(pod, ctx);
  if (isTerminal(status.phase)) return {};
  const startedAt = parseTime(status.startTime);
  if (startedAt === undefined || status.phase !== 'Running') {
    const next = startedStatus(pod, ctx);
    return { status: next, recheckAfterMs: nextDue(pod, ctx, parseTime(next.startTime)!, ctx.readyAfterMs === 0) };
  }
  const runMs = runDurationMs(pod, ctx.runSecondsAnnotation);
  if (runMs !== undefined && ctx.now >= after(startedAt, runMs)) {
    const exitCode = exitCodeOf(pod);
    return { status: finishedStatus(pod, ctx.now, { exitCode, reason: exitCode === 0 ? 'Completed' : 'Error' }) };
  }
  const ready = containersReady(status);
  if (!ready && ctx.now >= after(startedAt, ctx.readyAfterMs)) {
    return { status: runningStatus(pod, ctx.now, true), recheckAfterMs: nextDue(pod, ctx, startedAt, true) };
  }
  return { recheckAfterMs: nextDue(pod, ctx, startedAt, ready) };
}

/** How long after start a pod's containers exit; undefined when they run until stopped. */
export function runDurationMs(pod: Pod, annotation: string): number | undefined {
  const policy = pod.spec?.restartPolicy ?? 'Always';
  if (policy === 'Always') return undefined;
  const v = pod.metadata?.annotations?.[annotation];
  if (v === undefined) return undefined;
  const s = Number(v);
  return Number.isFinite(s) && s >= 0 ? s * 1000 : undefined;
}

function exitCodeOf(pod: Pod): number {
  const v = Number(pod.metadata?.annotations?.[simAnnotations.exitCode] ?? 0);
  return Number.isInteger(v) && v >= 0 && v <= 255 ? v : 1;
}

/** The earliest future moment something changes for a running pod (ready, or finished). */
function nextDue(pod: Pod, ctx: PodContext, startedAt: number, ready: boolean): number | undefined {
  const dues: number[] = [];
  if (!ready) dues.push(after(startedAt, ctx.readyAfterMs));
  const runMs = runDurationMs(pod, ctx.runSecondsAnnotation);
  if (runMs !== undefined) dues.push(after(startedAt, runMs));
  const future = dues.map((d) => d - ctx.now).filter((d) => d >= 0);
  return future.length ? Math.max(Math.min(...future), 1) : undefined;
}

function decideTermination(pod: Pod, ctx: PodContext): PodDecision {
  const status = pod.status ?? {};
  // Never started, or already finished: nothing to stop.
  if (isTerminal(status.phase) || !status.startTime) return { deleteNow: true };
  const deadline = Date.parse(pod.metadata!.deletionTimestamp!);
  const grace = pod.metadata?.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
  const requestedAt = deadline - grace * 1000;
  const stopSeconds = Number(pod.metadata?.annotations?.[simAnnotations.stopSeconds] ?? 0);
  const exitAt = requestedAt + (Number.isFinite(stopSeconds) && stopSeconds > 0 ? stopSeconds * 1000 : 0);
  const stopAt = Math.min(exitAt, deadline);
  if (ctx.now < stopAt) return { recheckAfterMs: stopAt - ctx.now };
  const killed = exitAt > deadline;
  return { status: finishedStatus(pod, ctx.now, killed ? { exitCode: 137, reason: 'Error' } : { exitCode: 0, reason: 'Completed' }), deleteNow: true };
}

function containersReady(status: PodStatus): boolean {
  return (status.conditions ?? []).some((c) => c.type === 'ContainersReady' && c.status === 'True');
}

const imageID = (image: string | undefined): string => `sim://${image ?? ''}`;
const containerID = (pod: Pod, name: string): string => `sim://${(pod.metadata?.uid ?? pod.metadata?.name ?? '').replace(/-/g, '')}-${name}`;
const isSidecar = (c: Container): boolean => c.restartPolicy === 'Always';

function containerStatus(pod: Pod, c: Container, state: ContainerState, ready: boolean): ContainerStatus {
  return {
    name: c.name,
    image: c.image ?? '',
    imageID: imageID(c.image),
    containerID: containerID(pod, c.name),
    ready,
    started: !!state.running,
    restartCount: 0,
    state,
  };
}

/** The status of a pod whose containers have just started (ready when `readyAfterMs` is 0). */
function startedStatus(pod: Pod, ctx: PodContext): PodStatus {
  const t = rfc3339(ctx.now);
  const status = pod.status ?? {};
  const hostNetwork = !!pod.spec?.hostNetwork;
  const podIP = status.podIP ?? (hostNetwork ? ctx.hostIP : ctx.allocatePodIP());
  const started: PodStatus = {
    ...status,
    phase: 'Running',
    hostIP: ctx.hostIP,
    hostIPs: [{ ip: ctx.hostIP }],
    podIP,
    podIPs: [{ ip: podIP }],
    startTime: t,
  };
  const initStatuses = (pod.spec?.initContainers ?? []).map((c) =>
    isSidecar(c)
      ? containerStatus(pod, c, { running: { startedAt: t } }, true)
      : containerStatus(pod, c, { terminated: { exitCode: 0, reason: 'Completed', startedAt: t, finishedAt: t, containerID: containerID(pod, c.name) } }, false),
  );
  if (initStatuses.length) started.initContainerStatuses = initStatuses;
  return withRunningContainers(pod, started, ctx.now, ctx.readyAfterMs === 0);
}

function runningStatus(pod: Pod, now: number, ready: boolean): PodStatus {
  return withRunningContainers(pod, { ...(pod.status ?? {}) }, now, ready);
}

function withRunningContainers(pod: Pod, status: PodStatus, now: number, ready: boolean): PodStatus {
  const startedAt = status.startTime ?? rfc3339(now);
  const containers = pod.spec?.containers ?? [];
  status.containerStatuses = containers.map((c) => {
    const old = pod.status?.containerStatuses?.find((s) => s.name === c.name);
    const state = old?.state?.running ? old.state : { running: { startedAt } };
    return containerStatus(pod, c, state, ready);
  });
  const unready = ready ? [] : containers.map((c) => c.name);
  status.conditions = podConditions(pod, now, {
    readyToStart: true,
    containersReady: ready ? { status: 'True' } : { status: 'False', reason: 'ContainersNotReady', message: `containers with unready status: [${unready.join(' ')}]` },
  });
  return status;
}

/** Every container terminated with `finish`; the phase follows from the exit codes (getPhase). */
function finishedStatus(pod: Pod, now: number, finish: Finish): PodStatus {
  const t = rfc3339(now);
  const status: PodStatus = { ...(pod.status ?? {}) };
  const terminate = (c: Container, previous: ContainerStatus[] | undefined): ContainerStatus => {
    const old = previous?.find((s) => s.name === c.name);
    if (old?.state?.terminated) return { ...old, ready: false, started: false };
    const startedAt = old?.state?.running?.startedAt ?? status.startTime ?? t;
    const terminated = { exitCode: finish.exitCode, reason: finish.reason, startedAt, finishedAt: t, containerID: containerID(pod, c.name) };
    return { ...containerStatus(pod, c, { terminated }, false), restartCount: old?.restartCount ?? 0 };
  };
  if (status.initContainerStatuses?.length) status.initContainerStatuses = (pod.spec?.initContainers ?? []).map((c) => terminate(c, pod.status?.initContainerStatuses));
  status.containerStatuses = (pod.spec?.containers ?? []).map((c) => terminate(c, pod.status?.containerStatuses));
  const failed = status.containerStatuses.some((s) => (s.state?.terminated?.exitCode ?? 0) !== 0);
  status.phase = failed ? 'Failed' : 'Succeeded';
  status.conditions = podConditions(pod, now, {
    readyToStart: false,
    containersReady: { status: 'False', reason: 'PodCompleted', message: '' },
  });
  return status;
}

type CondState = Pick<PodCondition, 'status' | 'reason' | 'message'>;

/**
 * The kubelet-owned conditions in its order (PodReadyToStartContainers, Initialized, Ready,
 * ContainersReady, PodScheduled), keeping transition times of unchanged ones and every condition
 * other writers own (readiness gates, DisruptionTarget, …). Ready also needs the readiness gates.
 */
function podConditions(pod: Pod, now: number, s: { readyToStart: boolean; containersReady: CondState }): PodCondition[] {
  const t = rfc3339(now);
  const previous = pod.status?.conditions ?? [];
  let ready: CondState = s.containersReady;
  if (ready.status === 'True') {
    const missing = (pod.spec?.readinessGates ?? []).filter((g) => !previous.some((c) => c.type === g.conditionType && c.status === 'True'));
    if (missing.length) {
      const g = missing[0].conditionType;
      const exists = previous.some((c) => c.type === g);
      ready = { status: 'False', reason: 'ReadinessGatesNotReady', message: exists ? `the status of pod readiness gate "${g}" is not "True", but False` : `corresponding condition of pod readiness gate "${g}" does not exist.` };
    }
  }
  const want: [string, CondState][] = [
    ['PodReadyToStartContainers', { status: s.readyToStart ? 'True' : 'False' }],
    ['Initialized', { status: 'True' }],
    ['Ready', ready],
    ['ContainersReady', s.containersReady],
    ['PodScheduled', { status: 'True' }],
  ];
  const ours = want.map(([type, c]): PodCondition => {
    const old = previous.find((p) => p.type === type);
    const cond: PodCondition = { type, status: c.status, lastTransitionTime: old && old.status === c.status && old.lastTransitionTime ? old.lastTransitionTime : t };
    if (c.reason) cond.reason = c.reason;
    if (c.message) cond.message = c.message;
    return cond;
  });
  return [...ours, ...previous.filter((p) => !want.some(([type]) => type === p.type))];
}
