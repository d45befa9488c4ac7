/**
 * The API PodStatus the node agent reports, as a pure function of the pod, the runtime's view of
 * it and the agent's probe results. Follows the kubelet's kubelet_pods.go (generateAPIPodStatus,
 * convertToAPIContainerStatuses, getPhase), status/generate.go (the Initialized, Ready,
 * ContainersReady and PodReadyToStartContainers conditions), the probe manager's
 * UpdatePodStatus (ready, started) and the status manager's bookkeeping (lastTransitionTime kept
 * while a condition's status stays the same, startTime kept once set), v1.32 with default
 * feature gates.
 */
import type {
  Container,
  ContainerStateTerminated,
  ContainerStatus as ApiContainerStatus,
  Pod,
  PodCondition,
  PodStatus,
  VolumeMountStatus,
} from 'kubernetes-types/core/v1.js';
import { computeQOSClass } from '../../api/strategies/workloads/qos.js';
import type { ContainerStatus, PodSandboxStatus } from '../runtime/runtime.js';
import { isSidecar, latestByName, newestFirst, restartPolicyOf, shouldContainerBeRestarted } from './pod-actions.js';

export interface PodStatusInput {
  pod: Pod;
  /** The pod's newest sandbox. */
  sandbox?: PodSandboxStatus;
  /** Every attempt of the pod's containers, in any order. */
  containers: ContainerStatus[];
  /**
   * Why a container that should be (re)started is not running, by container name: the reason of
   * the last failed start (CrashLoopBackOff, CreateContainerConfigError, RunContainerError, ...).
   */
  waiting: Map<string, { reason: string; message?: string }>;
  /** Readiness probe results of running containers; no entry: no result yet. */
  readiness: Map<string, boolean>;
  /** Startup probe results of running containers; no entry: no result yet. */
  started: Map<string, boolean>;
  /** The node's IPs, primary first. */
  hostIPs: string[];
  /** The sandbox's IPs (host-network pods get the node's when empty). */
  podIPs: string[];
  now: number;
  /** The status last reported (the status manager's cache); defaults to pod.status. */
  previous?: PodStatus;
  /** The runtime's name, the scheme of container IDs (`<runtime>://<id>`): `process` when unset. */
  runtimeName?: string;
  /** The pod worker is terminating the pod: containers stopped now will not restart. */
  podIsTerminal?: boolean;
}

/** The condition types the kubelet owns and recomputes; all others are kept from the pod. */
export const kubeletConditionTypes: ReadonlySet<string> = new Set(['PodScheduled', 'Ready', 'Initialized', 'ContainersReady', 'PodReadyToStartContainers']);

/** RFC 3339 at second precision, as metav1.Time serialises. */
export const rfc3339 = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

const terminalPhase = (p: string | undefined): p is 'Succeeded' | 'Failed' => p === 'Succeeded' || p === 'Failed';
const clone = <T>(v: T): T => structuredClone(v);

/** generateAPIPodStatus plus the status manager's merge with the previous status. */
export function generatePodStatus(input: PodStatusInput): PodStatus {
  const { pod } = input;
  const old: PodStatus = input.previous ?? pod.status ?? {};
  const ctx: Ctx = { input, old, latest: latestByName(input.containers), sorted: newestFirst(input.containers), runtime: input.runtimeName ?? 'process' };
  const initSpecs = pod.spec?.initContainers ?? [];
  const regularSpecs = pod.spec?.containers ?? [];

  const initStatuses = convertStatuses(ctx, initSpecs, old.initContainerStatuses ?? [], true);
  const containerStatuses = convertStatuses(ctx, regularSpecs, old.containerStatuses ?? [], false).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const ephemeralSpecs = (pod.spec?.ephemeralContainers ?? []) as Container[];
  const ephemeralStatuses = convertStatuses(ctx, ephemeralSpecs, old.ephemeralContainerStatuses ?? [], false).sort((a, b) => (a.name < b.name ? -1 : 1));
  applyProbeResults(input, initSpecs, initStatuses, true);
  applyProbeResults(input, regularSpecs, containerStatuses, false);

  // Phase, then the kubelet's three-way merge with the cached and the API status.
  const podHasInitialized = input.sandbox !== undefined && regularSpecs.some((c) => input.containers.some((s) => s.metadata.name === c.name && s.sandboxId === input.sandbox!.id));
  let phase = getPhase(pod, initStatuses, containerStatuses, input.podIsTerminal ?? false, podHasInitialized);
  const apiPhase = pod.status?.phase;
  if (!terminalPhase(phase)) {
    if (terminalPhase(old.phase)) phase = old.phase;
    else if (terminalPhase(apiPhase)) phase = apiPhase;
  }
  if (terminalPhase(apiPhase) && phase !== apiPhase) phase = apiPhase; // no way out of a terminal phase
  let reason: string | undefined;
  let message: string | undefined;
  if (phase === old.phase) {
    reason = old.reason || pod.status?.reason || undefined;
    message = old.message || pod.status?.message || undefined;
  }

  const conditions = generateConditions(ctx, phase, initStatuses, containerStatuses);
  const { podIPs, hostIPs } = addresses(input);

  const status: PodStatus = { phase, conditions };
  if (reason) status.reason = reason;
  if (message) status.message = message;
  if (hostIPs.length) {
    status.hostIP = hostIPs[0];
    status.hostIPs = hostIPs.map((ip) => ({ ip }));
  }
  if (podIPs.length) {
    status.podIP = podIPs[0];
    status.podIPs = podIPs.map((ip) => ({ ip }));
  }
  status.startTime = old.startTime ?? pod.status?.startTime ?? rfc3339(input.now);
  if (initStatuses.length) status.initContainerStatuses = initStatuses;
  status.containerStatuses = containerStatuses;
  if (ephemeralStatuses.length) status.ephemeralContainerStatuses = ephemeralStatuses;
  status.qosClass = computeQOSClass(pod);
  const nominated = pod.status?.nominatedNodeName;
  if (nominated) status.nominatedNodeName = nominated;
  return status;
}

interface Ctx {
  input: PodStatusInput;
  old: PodStatus;
  latest: Map<string, ContainerStatus>;
  sorted: ContainerStatus[];
  runtime: string;
}

/** The status of each spec container (convertToAPIContainerStatuses), in spec order. */
function convertStatuses(ctx: Ctx, specs: readonly Container[], previous: readonly ApiContainerStatus[], isInit: boolean): ApiContainerStatus[] {
  const { pod } = ctx.input;
  const hasInit = (pod.spec?.initContainers?.length ?? 0) > 0;
  const defaultReason = hasInit ? 'PodInitializing' : 'ContainerCreating';
  const olds = new Map(previous.map((s) => [s.name, s]));
  const statuses = new Map<string, ApiContainerStatus>();

  // Start from waiting, carrying the restart count and last state; a terminated one stays as it was.
  for (const c of specs) {
    const old = olds.get(c.name);
    let st: ApiContainerStatus = { name: c.name, image: c.image ?? '', imageID: '', state: { waiting: { reason: defaultReason } }, lastState: {}, ready: false, restartCount: 0 };
    if (old?.state?.terminated) st = clone(old);
    else if (old) {
      st.restartCount = old.restartCount ?? 0;
      st.lastState = clone(old.lastState ?? {});
    }
    statuses.set(c.name, st);
  }

  // A container that was running and is gone from the runtime did terminate, even if we cannot
  // say how: record that rather than report it as never started.
  for (const c of specs) {
    if (ctx.latest.has(c.name)) continue;
    const old = olds.get(c.name);
    if (!old || old.state?.terminated || !old.state?.running) continue;
    const st = statuses.get(c.name)!;
    if (st.state?.waiting?.reason !== defaultReason || st.lastState?.terminated) continue;
    st.lastState = {
      terminated: { exitCode: 137, reason: 'ContainerStatusUnknown', message: 'The container could not be located when the pod was deleted.  The container used to be Running' },
    };
    if (!pod.metadata?.deletionTimestamp) st.restartCount = (st.restartCount ?? 0) + 1;
  }

  // The newest attempt gives the state, the one before it the last state.
  const seen = new Map<string, number>();
  const attempts = new Map<string, number>();
  for (const cs of ctx.sorted) attempts.set(cs.metadata.name, (attempts.get(cs.metadata.name) ?? 0) + 1);
  for (const cs of ctx.sorted) {
    const name = cs.metadata.name;
    if (!statuses.has(name)) continue;
    const n = seen.get(name) ?? 0;
    if (n >= 2) continue;
    const converted = convertOne(ctx, cs, olds.get(name), (attempts.get(name) ?? 1) - 1);
    if (n === 0) statuses.set(name, converted);
    else statuses.get(name)!.lastState = converted.state;
    seen.set(name, n + 1);
  }

  // Containers to be (re)started are waiting, with the reason their last start failed.
  for (const c of specs) {
    const latest = ctx.latest.get(c.name);
    const st = statuses.get(c.name)!;
    if (isInit) {
      if (latest && latest.state === 'CONTAINER_EXITED' && latest.exitCode === 0) continue;
      // Removed from the runtime after initialization: it must have completed.
      if (!latest && !isSidecar(c) && anyRegularContainerCreated(ctx) && st.state?.waiting) {
        st.state = {
          terminated: { exitCode: 0, reason: 'Completed', message: 'Unable to get init container status from container runtime and pod has been initialized, treat it as exited normally' },
        };
        continue;
      }
    }
    if (!shouldContainerBeRestarted(c, pod, latest, isInit && isSidecar(c))) continue;
    const why = ctx.input.waiting.get(c.name);
    if (!why) continue;
    if (st.state?.terminated) st.lastState = st.state;
    st.state = { waiting: { reason: why.reason, ...(why.message ? { message: why.message } : {}) } };
  }

  for (const c of specs) {
    const mounts = volumeMountStatuses(c);
    if (mounts.length) statuses.get(c.name)!.volumeMounts = mounts;
  }
  return specs.map((c) => statuses.get(c.name)!);
}

function anyRegularContainerCreated(ctx: Ctx): boolean {
  return (ctx.input.pod.spec?.containers ?? []).some((c) => {
    const s = ctx.latest.get(c.name);
    return s !== undefined && s.state !== 'CONTAINER_UNKNOWN';
  });
}

/** One runtime attempt as an API container status (convertContainerStatus). */
function convertOne(ctx: Ctx, cs: ContainerStatus, old: ApiContainerStatus | undefined, earlierAttempts: number): ApiContainerStatus {
  const containerID = `${ctx.runtime}://${cs.id}`;
  const st: ApiContainerStatus = {
    name: cs.metadata.name,
    image: cs.image,
    imageID: cs.image,
    containerID,
    state: {},
    lastState: {},
    ready: false,
    restartCount: Math.max(cs.metadata.attempt, earlierAttempts),
  };
  switch (cs.state) {
    case 'CONTAINER_RUNNING':
      st.state = { running: cs.startedAt ? { startedAt: rfc3339(cs.startedAt) } : {} };
      break;
    case 'CONTAINER_CREATED':
      st.state = { waiting: {} };
      break;
    case 'CONTAINER_EXITED': {
      const t: ContainerStateTerminated = { exitCode: cs.exitCode };
      if (cs.reason) t.reason = cs.reason;
      if (cs.message) t.message = cs.message;
      if (cs.startedAt) t.startedAt = rfc3339(cs.startedAt);
      if (cs.finishedAt) t.finishedAt = rfc3339(cs.finishedAt);
      t.containerID = containerID;
      st.state = { terminated: t };
      break;
    }
    default:
      if (old?.state?.running) {
        // It was running and the runtime lost track of it: it ran and failed, which is not the same
        // as never having run (a run-once pod must not run twice).
        st.state = { terminated: { exitCode: 137, reason: 'ContainerStatusUnknown', message: 'The container could not be located when the pod was terminated' } };
        st.restartCount = (old.restartCount ?? 0) + 1;
      } else {
        st.state = { waiting: {} };
      }
  }
  return st;
}

/** status.volumeMounts: what each mount ended up as; recursive read-only is not supported here. */
function volumeMountStatuses(c: Container): VolumeMountStatus[] {
  return (c.volumeMounts ?? []).map((m) => ({
    name: m.name,
    mountPath: m.mountPath,
    ...(m.readOnly ? { readOnly: true, recursiveReadOnly: 'Disabled' } : {}),
  }));
}

/**
 * The probe manager's UpdatePodStatus: a running container is started once its startup probe
 * succeeded (at once without one), and ready once started and its readiness probe succeeded (at
 * once without one). A regular init container is ready when it completed successfully.
 */
function applyProbeResults(input: PodStatusInput, specs: readonly Container[], statuses: ApiContainerStatus[], isInit: boolean): void {
  specs.forEach((c, i) => {
    const st = statuses[i]!;
    const running = st.state?.running !== undefined;
    const started = running && (input.started.get(c.name) ?? !c.startupProbe);
    st.started = started;
    if (isInit && !isSidecar(c)) {
      st.ready = st.state?.terminated !== undefined && st.state.terminated.exitCode === 0;
      return;
    }
    st.ready = started && (input.readiness.get(c.name) ?? !c.readinessProbe);
  });
}

type Phase = 'Pending' | 'Running' | 'Succeeded' | 'Failed';

/**
 * getPhase: Pending while a regular init container has not completed, a sidecar has not started
 * (before initialization) or a container waits to start for the first time; Running while any
 * container runs and all have started; once all stopped, per the restart policy.
 */
export function getPhase(pod: Pod, initStatuses: readonly ApiContainerStatus[], statuses: readonly ApiContainerStatus[], podIsTerminal: boolean, podHasInitialized: boolean): Phase {
  const find = (list: readonly ApiContainerStatus[], name: string) => list.find((s) => s.name === name);
  const policy = restartPolicyOf(pod);
  let pendingInit = 0;
  let pendingSidecars = 0;
  let failedInit = 0;
  for (const c of pod.spec?.initContainers ?? []) {
    if (isSidecar(c)) continue;
    const s = find(initStatuses, c.name);
    if (!s || s.state?.running) pendingInit++;
    else if (s.state?.terminated) {
      if (s.state.terminated.exitCode !== 0) failedInit++;
    } else if (s.state?.waiting) {
      if (s.lastState?.terminated) {
        if (s.lastState.terminated.exitCode !== 0) failedInit++;
      } else pendingInit++;
    } else pendingInit++;
  }

  let unknown = 0;
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const c of pod.spec?.initContainers ?? []) {
    if (!isSidecar(c)) continue;
    const s = find(initStatuses, c.name);
    if (!s) {
      unknown++;
      continue;
    }
    if (s.state?.running) {
      if (!s.started) pendingSidecars++;
      running++;
    } else if (s.state?.terminated) {
      // a stopped sidecar does not count towards the phase
    } else if (s.state?.waiting) {
      if (!s.lastState?.terminated) {
        pendingSidecars++;
        waiting++;
      }
    } else {
      pendingSidecars++;
      unknown++;
    }
  }
  for (const c of pod.spec?.containers ?? []) {
    const s = find(statuses, c.name);
    if (!s) unknown++;
    else if (s.state?.running) running++;
    else if (s.state?.terminated) {
      stopped++;
      if (s.state.terminated.exitCode === 0) succeeded++;
    } else if (s.state?.waiting) {
      if (s.lastState?.terminated) stopped++;
      else waiting++;
    } else unknown++;
  }

  if (failedInit > 0 && policy === 'Never') return 'Failed';
  if (pendingInit > 0 || (pendingSidecars > 0 && !podHasInitialized) || waiting > 0) return 'Pending';
  if (running > 0 && unknown === 0) return 'Running';
  if (running === 0 && stopped > 0 && unknown === 0) {
    if (podIsTerminal) return stopped === succeeded ? 'Succeeded' : 'Failed';
    if (policy === 'Always') return 'Running'; // restarting
    if (stopped === succeeded) return 'Succeeded';
    if (policy === 'Never') return 'Failed';
    return 'Running'; // OnFailure: restarting the failed ones
  }
  return 'Pending';
}

/** The conditions: the pod's foreign ones kept, the kubelet's recomputed (status/generate.go). */
function generateConditions(ctx: Ctx, phase: Phase, initStatuses: ApiContainerStatus[], containerStatuses: ApiContainerStatus[]): PodCondition[] {
  const { pod, sandbox, now } = ctx.input;
  const conditions: PodCondition[] = (pod.status?.conditions ?? []).filter((c) => !kubeletConditionTypes.has(c.type)).map(clone);
  const disruption = ctx.old.conditions?.find((c) => c.type === 'DisruptionTarget');
  if (disruption) {
    const i = conditions.findIndex((c) => c.type === 'DisruptionTarget');
    if (i >= 0) conditions[i] = clone(disruption);
    else conditions.push(clone(disruption));
  }

  const all = [...initStatuses, ...containerStatuses];
  const own: PodCondition[] = [];
  own.push({ type: 'PodReadyToStartContainers', status: sandbox?.state === 'SANDBOX_READY' ? 'True' : 'False' });
  own.push(initializedCondition(pod, all, phase));
  const containersReady = containersReadyCondition(pod, all, phase);
  own.push(readyCondition(pod, [...conditions, ...own], containersReady));
  own.push(containersReady);
  own.push({ type: 'PodScheduled', status: 'True' });

  for (const c of own) {
    const prev = ctx.old.conditions?.find((o) => o.type === c.type);
    c.lastTransitionTime = prev && prev.status === c.status && prev.lastTransitionTime ? prev.lastTransitionTime : rfc3339(now);
    conditions.push(c);
  }
  return conditions;
}

/** Go's `%s` of a []string: `[a b]`. */
const goList = (names: string[]): string => `[${names.join(' ')}]`;

function containersReadyCondition(pod: Pod, statuses: readonly ApiContainerStatus[], phase: Phase): PodCondition {
  const unknown: string[] = [];
  const unready: string[] = [];
  const check = (name: string) => {
    const s = statuses.find((x) => x.name === name);
    if (!s) unknown.push(name);
    else if (!s.ready) unready.push(name);
  };
  for (const c of pod.spec?.initContainers ?? []) if (isSidecar(c)) check(c.name);
  for (const c of pod.spec?.containers ?? []) check(c.name);
  if ((phase === 'Succeeded' && unknown.length === 0) || phase === 'Failed') {
    return { type: 'ContainersReady', status: 'False', reason: phase === 'Failed' ? 'PodFailed' : 'PodCompleted' };
  }
  const messages: string[] = [];
  if (unknown.length) messages.push(`containers with unknown status: ${goList(unknown)}`);
  if (unready.length) messages.push(`containers with unready status: ${goList(unready)}`);
  if (messages.length) return { type: 'ContainersReady', status: 'False', reason: 'ContainersNotReady', message: messages.join(', ') };
  return { type: 'ContainersReady', status: 'True' };
}

function readyCondition(pod: Pod, conditions: readonly PodCondition[], containersReady: PodCondition): PodCondition {
  if (containersReady.status !== 'True') {
    return { type: 'Ready', status: containersReady.status, ...(containersReady.reason ? { reason: containersReady.reason } : {}), ...(containersReady.message ? { message: containersReady.message } : {}) };
  }
  const messages: string[] = [];
  for (const gate of pod.spec?.readinessGates ?? []) {
    const c = conditions.find((x) => x.type === gate.conditionType);
    if (!c) messages.push(`corresponding condition of pod readiness gate "${gate.conditionType}" does not exist.`);
    else if (c.status !== 'True') messages.push(`the status of pod readiness gate "${gate.conditionType}" is not "True", but ${c.status}`);
  }
  if (messages.length) return { type: 'Ready', status: 'False', reason: 'ReadinessGatesNotReady', message: messages.join(', ') };
  return { type: 'Ready', status: 'True' };
}

function initializedCondition(pod: Pod, statuses: readonly ApiContainerStatus[], phase: Phase): PodCondition {
  const unknown: string[] = [];
  const incomplete: string[] = [];
  for (const c of pod.spec?.initContainers ?? []) {
    const s = statuses.find((x) => x.name === c.name);
    if (!s) unknown.push(c.name);
    else if (isSidecar(c) ? !s.started : !s.ready) incomplete.push(c.name);
  }
  if (phase === 'Succeeded' && unknown.length === 0) return { type: 'Initialized', status: 'True', reason: 'PodCompleted' };
  // A regular container that ran means initialization happened, even if a sidecar now restarts.
  const regular = new Set((pod.spec?.containers ?? []).map((c) => c.name));
  if (statuses.some((s) => regular.has(s.name) && (s.state?.running || s.state?.terminated))) return { type: 'Initialized', status: 'True' };
  const messages: string[] = [];
  if (unknown.length) messages.push(`containers with unknown status: ${goList(unknown)}`);
  if (incomplete.length) messages.push(`containers with incomplete status: ${goList(incomplete)}`);
  if (messages.length) return { type: 'Initialized', status: 'False', reason: 'ContainersNotInitialized', message: messages.join(', ') };
  return { type: 'Initialized', status: 'True' };
}

/** Pod and host IPs: at most one of each family, the node's family first (sortPodIPs). */
function addresses(input: PodStatusInput): { podIPs: string[]; hostIPs: string[] } {
  const hostIPs = pickByFamily(input.hostIPs, input.hostIPs[0] === undefined || !isV6(input.hostIPs[0]));
  let podIPs = pickByFamily(input.podIPs, hostIPs[0] === undefined || !isV6(hostIPs[0]));
  if (podIPs.length === 0 && input.pod.spec?.hostNetwork) podIPs = hostIPs;
  return { podIPs, hostIPs };
}

const isV6 = (ip: string): boolean => ip.includes(':');

function pickByFamily(ips: readonly string[], v4First: boolean): string[] {
  const primary = ips.find((ip) => isV6(ip) !== v4First);
  const secondary = ips.find((ip) => isV6(ip) === v4First);
  return [primary, secondary].filter((ip): ip is string => ip !== undefined);
}
