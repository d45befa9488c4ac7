/**
 * What the node agent does next for a pod, as pure decisions over the runtime's view of it.
 * Follows the kubelet's kuberuntime_manager.go computePodActions and kuberuntime_container.go
 * computeInitContainerActions (v1.32, with native sidecars: the code path every pod takes once the
 * legacy one is gone), kubecontainer.ShouldContainerBeRestarted and
 * kuberuntime/util.PodSandboxChanged; podDeletionActions follows killContainersWithSyncResult's
 * termination ordering (regular containers first, then sidecars in reverse order).
 *
 * Crash-loop back-off is not decided here: the caller checks it (./backoff.ts) before starting each
 * container, as SyncPod does.
 */
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import type { ContainerState, ContainerStatus, PodSandboxStatus } from '../runtime/runtime.js';

export type RestartPolicy = 'Always' | 'OnFailure' | 'Never';

export interface PodActionsInput {
  pod: Pod;
  /** This pod's sandboxes, newest first. */
  sandboxes: PodSandboxStatus[];
  /** Every attempt of this pod's containers, in any order. */
  containers: ContainerStatus[];
  /** Liveness results of the running containers, by container name; no entry: no result yet. */
  liveness: Map<string, 'success' | 'failure'>;
  /** Startup results of the running containers, by container name; no entry: no result yet. */
  startup: Map<string, 'success' | 'failure' | 'unknown'>;
  now: number;
}

export interface ContainerToKill {
  id: string;
  name: string;
  /** The message of the `Killing` event, e.g. `Container c failed liveness probe, will be restarted`. */
  reason: string;
  /** The grace period to stop it with (setTerminationGracePeriod). */
  gracePeriodSeconds: number;
}

export interface PodActions {
  /** Stop every container and sandbox of the pod first. */
  killPod: boolean;
  createSandbox: boolean;
  /** The newest existing sandbox (the one to use when not creating one). */
  sandboxId?: string;
  /** The attempt number of the sandbox to create. */
  attempt: number;
  /**
   * Kept for the shape of the kubelet's legacy path and never set: every init container to start,
   * regular or sidecar, is in initContainersToStart.
   */
  nextInitContainerToStart?: string;
  /** Init containers to start now, in spec order: the next regular one and (re)started sidecars. */
  initContainersToStart: string[];
  /** Ephemeral containers never started yet. */
  ephemeralContainersToStart: string[];
  /** Regular containers to start now, in spec order. */
  containersToStart: string[];
  containersToKill: ContainerToKill[];
}

/** The pod's restart policy, defaulted as the API does. */
export function restartPolicyOf(pod: Pod): RestartPolicy {
  const p = pod.spec?.restartPolicy;
  return p === 'OnFailure' || p === 'Never' ? p : 'Always';
}

/** A native sidecar: an init container with `restartPolicy: Always`. */
export const isSidecar = (c: Container): boolean => c.restartPolicy === 'Always';

const specInit = (pod: Pod): Container[] => pod.spec?.initContainers ?? [];
const specRegular = (pod: Pod): Container[] => pod.spec?.containers ?? [];
const shouldRestartOnFailure = (pod: Pod): boolean => restartPolicyOf(pod) !== 'Never';

/** Newest first, as the kubelet's PodStatus lists container attempts. */
export function newestFirst(containers: readonly ContainerStatus[]): ContainerStatus[] {
  return [...containers].sort((a, b) => b.createdAt - a.createdAt || b.metadata.attempt - a.metadata.attempt);
}

/** The newest attempt of each container name (FindContainerStatusByName). */
export function latestByName(containers: readonly ContainerStatus[]): Map<string, ContainerStatus> {
  const out = new Map<string, ContainerStatus>();
  for (const c of newestFirst(containers)) if (!out.has(c.metadata.name)) out.set(c.metadata.name, c);
  return out;
}

/** The kubelet's lower-case state names, used in its messages. */
export function stateName(state: ContainerState): string {
  switch (state) {
    case 'CONTAINER_CREATED':
      return 'created';
    case 'CONTAINER_RUNNING':
      return 'running';
    case 'CONTAINER_EXITED':
      return 'exited';
    default:
      return 'unknown';
  }
}

/** PodSandboxChanged: whether a new sandbox is needed, its attempt, and the newest sandbox. */
export function sandboxChanged(sandboxes: readonly PodSandboxStatus[]): { createSandbox: boolean; attempt: number; sandboxId?: string } {
  if (sandboxes.length === 0) return { createSandbox: true, attempt: 0 };
  const newest = [...sandboxes].sort((a, b) => b.createdAt - a.createdAt || b.metadata.attempt - a.metadata.attempt)[0]!;
  const ready = sandboxes.filter((s) => s.state === 'SANDBOX_READY').length;
  if (ready > 1 || newest.state !== 'SANDBOX_READY') return { createSandbox: true, attempt: newest.metadata.attempt + 1, sandboxId: newest.id };
  return { createSandbox: false, attempt: newest.metadata.attempt, sandboxId: newest.id };
}

/** isInitContainerFailed: exited non-zero, OOM-killed, or in an unknown state. */
export function isInitContainerFailed(s: ContainerStatus): boolean {
  if (s.reason === 'OOMKilled') return true;
  if (s.state === 'CONTAINER_EXITED' && s.exitCode !== 0) return true;
  return s.state === 'CONTAINER_UNKNOWN';
}

/**
 * ShouldContainerBeRestarted: whether a container not running should be (re)started, given its
 * newest attempt. Never after the pod was marked for deletion; always when it never ran, or is
 * created or unknown; otherwise per the restart policy (sidecars always restart).
 */
export function shouldContainerBeRestarted(container: Container, pod: Pod, latest: ContainerStatus | undefined, sidecar = false): boolean {
  if (pod.metadata?.deletionTimestamp) return false;
  if (!latest) return true;
  if (latest.state === 'CONTAINER_RUNNING') return false;
  if (latest.state === 'CONTAINER_UNKNOWN' || latest.state === 'CONTAINER_CREATED') return true;
  const policy = sidecar ? 'Always' : restartPolicyOf(pod);
  if (policy === 'Never') return false;
  if (policy === 'OnFailure' && latest.exitCode === 0) return false;
  return true;
}

/** Whether a regular container has been created in any sandbox (hasAnyRegularContainerCreated). */
function hasAnyRegularContainerCreated(pod: Pod, latest: Map<string, ContainerStatus>): boolean {
  return specRegular(pod).some((c) => {
    const s = latest.get(c.name);
    return s !== undefined && s.state !== 'CONTAINER_UNKNOWN';
  });
}

/**
 * The grace period for killing one container (setTerminationGracePeriod, then killContainer's
 * 2 s floor): the pod's deletion grace period if set, else a probe's own grace period for probe
 * kills, else the pod's (30 s when unset, the API default).
 */
export function killGracePeriodSeconds(pod: Pod, container: Container | undefined, reason: 'liveness' | 'startup' | 'other'): number {
  let grace = pod.metadata?.deletionGracePeriodSeconds;
  if (grace === undefined || grace === null) {
    const probe = reason === 'liveness' ? container?.livenessProbe : reason === 'startup' ? container?.startupProbe : undefined;
    grace = probe?.terminationGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
  }
  return Math.max(grace, 2);
}

/** computePodActions: what to kill, create and start for the pod now. */
export function computePodActions(input: PodActionsInput): PodActions {
  const { pod } = input;
  const latest = latestByName(input.containers);
  const sb = sandboxChanged(input.sandboxes);
  const actions: PodActions = {
    // Killing is only worth asking for when something exists to kill.
    killPod: sb.createSandbox && (input.sandboxes.length > 0 || input.containers.length > 0),
    createSandbox: sb.createSandbox,
    ...(sb.sandboxId !== undefined ? { sandboxId: sb.sandboxId } : {}),
    attempt: sb.attempt,
    initContainersToStart: [],
    ephemeralContainersToStart: [],
    containersToStart: [],
    containersToKill: [],
  };

  if (sb.createSandbox) return sandboxActions(pod, latest, input, actions);

  // Ephemeral containers run once and may start before initialization completes.
  for (const e of pod.spec?.ephemeralContainers ?? []) if (!latest.has(e.name)) actions.ephemeralContainersToStart.push(e.name);

  const initialized = computeInitContainerActions(pod, currentInitView(pod, input.containers, latest, sb.sandboxId), input, actions);
  if (actions.killPod || !initialized) return actions;

  let keep = 0;
  for (const c of specRegular(pod)) {
    const s = latest.get(c.name);
    if (!s || s.state !== 'CONTAINER_RUNNING') {
      if (shouldContainerBeRestarted(c, pod, s)) {
        actions.containersToStart.push(c.name);
        // An unknown container may still be running: kill it so two never run at once.
        if (s && s.state === 'CONTAINER_UNKNOWN') {
          kill(actions, s, `Container is in "${stateName(s.state)}" state, try killing it before restart`, killGracePeriodSeconds(pod, c, 'other'));
        }
      }
      continue;
    }
    let message: string;
    let why: 'liveness' | 'startup' | 'other' = 'other';
    let restart = shouldRestartOnFailure(pod);
    if (definitionChanged(c, s)) {
      message = `Container ${c.name} definition changed`;
      restart = true;
    } else if (input.liveness.get(c.name) === 'failure') {
      message = `Container ${c.name} failed liveness probe`;
      why = 'liveness';
    } else if (input.startup.get(c.name) === 'failure') {
      message = `Container ${c.name} failed startup probe`;
      why = 'startup';
    } else {
      keep++;
      continue;
    }
    if (restart) {
      message = `${message}, will be restarted`;
      actions.containersToStart.push(c.name);
    }
    kill(actions, s, message, killGracePeriodSeconds(pod, c, why));
  }

  // Nothing runs and nothing will: stop the pod, and do not let sidecars keep it alive.
  if (keep === 0 && actions.containersToStart.length === 0) {
    actions.killPod = true;
    actions.initContainersToStart = [];
  }
  return actions;
}

/** The actions when a (new) sandbox is needed: everything starts over from the first init container. */
function sandboxActions(pod: Pod, latest: Map<string, ContainerStatus>, input: PodActionsInput, actions: PodActions): PodActions {
  // A pod that never restarts and already ran stays down; with no container ever created, retry.
  if (!shouldRestartOnFailure(pod) && actions.attempt !== 0 && input.containers.length !== 0) {
    actions.createSandbox = false;
    return actions;
  }
  const toStart = specRegular(pod)
    .filter((c) => !(restartPolicyOf(pod) === 'OnFailure' && succeeded(latest.get(c.name))))
    .map((c) => c.name);
  if (toStart.length === 0 && hasAnyRegularContainerCreated(pod, latest)) {
    actions.createSandbox = false;
    return actions;
  }
  const init = specInit(pod);
  if (init.length > 0) {
    actions.initContainersToStart = [init[0]!.name];
    return actions;
  }
  actions.containersToStart = toStart;
  return actions;
}

/**
 * The newest attempts with init containers taken from the current sandbox only: the kubelet
 * purges init containers whenever it creates a new sandbox, so that initialization runs again;
 * ignoring older sandboxes' init containers has the same effect without the removal.
 */
function currentInitView(pod: Pod, containers: readonly ContainerStatus[], latest: Map<string, ContainerStatus>, sandboxId: string | undefined): Map<string, ContainerStatus> {
  const view = new Map(latest);
  const current = latestByName(containers.filter((c) => c.sandboxId === sandboxId));
  for (const c of specInit(pod)) {
    const s = current.get(c.name);
    if (s) view.set(c.name, s);
    else view.delete(c.name);
  }
  return view;
}

const succeeded = (s: ContainerStatus | undefined): boolean => s !== undefined && s.state === 'CONTAINER_EXITED' && s.exitCode === 0;

/**
 * The runtime cannot hash a container spec as the kubelet does, but the only field of a running
 * pod's container that may change is its image: a different image means a new definition.
 */
function definitionChanged(c: Container, s: ContainerStatus): boolean {
  return c.image !== undefined && s.image !== '' && c.image !== s.image;
}

function kill(actions: PodActions, s: ContainerStatus, reason: string, gracePeriodSeconds: number): void {
  if (actions.containersToKill.some((k) => k.id === s.id)) return;
  actions.containersToKill.push({ id: s.id, name: s.metadata.name, reason, gracePeriodSeconds });
}

/**
 * computeInitContainerActions: walks the init containers from the last one back to find the next
 * to start and the sidecars to (re)start or kill; returns whether the pod has been initialized.
 * Walking backwards relies on the fewest statuses: completed init containers may have been
 * removed from the runtime.
 */
function computeInitContainerActions(pod: Pod, latest: Map<string, ContainerStatus>, input: PodActionsInput, actions: PodActions): boolean {
  const init = specInit(pod);
  if (init.length === 0) return true;

  // A regular container created or running means initialization finished at some point; only
  // sidecars need to be kept running then. (An exited one may belong to a sandbox from before a
  // reboot, so it proves nothing.)
  let podHasInitialized = specRegular(pod).some((c) => {
    const s = latest.get(c.name);
    return s !== undefined && (s.state === 'CONTAINER_CREATED' || s.state === 'CONTAINER_RUNNING');
  });
  let previouslyInitialized = podHasInitialized;
  const restartOnFailure = shouldRestartOnFailure(pod);
  const starts: number[] = [];

  for (let i = init.length - 1; i >= 0; i--) {
    const c = init[i]!;
    const sidecar = isSidecar(c);
    const s = latest.get(c.name);
    if (!s) {
      // Its status is gone after initialization: a sidecar must run again.
      if (previouslyInitialized && sidecar) starts.push(i);
      continue;
    }
    if (previouslyInitialized && !sidecar) continue;

    switch (s.state) {
      case 'CONTAINER_CREATED':
        // Created but never started: the runtime likely failed to start it; try again.
        starts.push(i);
        break;
      case 'CONTAINER_RUNNING': {
        if (!sidecar) break; // a regular init container: wait for it to finish
        if (c.startupProbe) {
          const startup = input.startup.get(c.name);
          if (startup === undefined) break; // no result yet: wait
          if (startup !== 'success') {
            if (startup === 'failure') {
              kill(actions, s, `Init container ${c.name} failed startup probe`, killGracePeriodSeconds(pod, c, 'startup'));
              starts.push(i);
            }
            break;
          }
        }
        if (i === init.length - 1) podHasInitialized = true;
        else if (!previouslyInitialized) starts.push(i + 1); // started for the first time: on to the next
        if (definitionChanged(c, s)) {
          kill(actions, s, `Init container ${c.name} definition changed`, killGracePeriodSeconds(pod, c, 'other'));
          starts.push(i);
          break;
        }
        // A sidecar's liveness does not hold up the next init container, but a failure restarts it.
        if (c.livenessProbe && input.liveness.get(c.name) === 'failure') {
          kill(actions, s, `Init container ${c.name} failed liveness probe`, killGracePeriodSeconds(pod, c, 'liveness'));
          starts.push(i);
        }
        break;
      }
      case 'CONTAINER_EXITED':
        if (sidecar) {
          starts.push(i);
        } else if (isInitContainerFailed(s)) {
          if (!restartOnFailure) {
            actions.killPod = true;
            actions.initContainersToStart = [];
            return false;
          }
          starts.push(i);
        } else if (i === init.length - 1) {
          podHasInitialized = true;
        } else {
          starts.push(i + 1);
        }
        break;
      default: {
        // Unknown: it may still be running, so kill it before starting it again.
        const message = `Init container is in "${stateName(s.state)}" state, try killing it before restart`;
        if (!sidecar && !restartOnFailure) {
          actions.killPod = true;
          actions.initContainersToStart = [];
          return false;
        }
        kill(actions, s, message, killGracePeriodSeconds(pod, c, 'other'));
        starts.push(i);
      }
    }
    previouslyInitialized = true;
  }

  // No init container has run yet: start with the first.
  if (!previouslyInitialized) starts.push(0);
  actions.initContainersToStart = [...new Set(starts.reverse())].map((i) => init[i]!.name);
  return podHasInitialized;
}

/**
 * Whether the pod's restart policy says nothing more will run in it: a failed init container
 * under `Never`, or every regular container exited for good (`Never`: any exit; `OnFailure`:
 * exit 0; or not restarted because the pod is being deleted).
 */
export function isPodTerminal(pod: Pod, containers: readonly ContainerStatus[]): boolean {
  const latest = latestByName(containers);
  if (restartPolicyOf(pod) === 'Never') {
    for (const c of specInit(pod)) {
      const s = latest.get(c.name);
      if (!isSidecar(c) && s && s.state === 'CONTAINER_EXITED' && isInitContainerFailed(s)) return true;
    }
  }
  const regular = specRegular(pod);
  if (regular.length === 0) return false;
  return regular.every((c) => {
    const s = latest.get(c.name);
    if (!s) return pod.metadata?.deletionTimestamp != null;
    return s.state === 'CONTAINER_EXITED' && !shouldContainerBeRestarted(c, pod, s);
  });
}

export interface PodDeletionActions {
  /** The grace period to stop containers with (the pod's deletion grace period, at least 1 s). */
  gracePeriodSeconds: number;
  /**
   * Containers to stop, in stages: all of a stage are stopped together, and a stage starts once the
   * previous one has exited. Regular, init and ephemeral containers first, then each sidecar in
   * reverse spec order.
   */
  stages: { id: string; name: string }[][];
  /** Ready sandboxes to stop once every container has exited. */
  sandboxesToStop: string[];
  /** Nothing is left running: the pod may be reported terminated. */
  done: boolean;
}

/** How to stop a pod marked for deletion (syncTerminatingPod → killPod). */
export function podDeletionActions(pod: Pod, containers: readonly ContainerStatus[], sandboxes: readonly PodSandboxStatus[]): PodDeletionActions {
  let grace = pod.metadata?.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
  if (grace < 1) grace = 1;
  const alive = containers.filter((c) => c.state === 'CONTAINER_RUNNING' || c.state === 'CONTAINER_CREATED' || c.state === 'CONTAINER_UNKNOWN');
  const sidecars = specInit(pod).filter(isSidecar).map((c) => c.name);
  const sidecarSet = new Set(sidecars);
  const ref = (c: ContainerStatus) => ({ id: c.id, name: c.metadata.name });
  const stages = [alive.filter((c) => !sidecarSet.has(c.metadata.name)).map(ref)];
  for (const name of [...sidecars].reverse()) stages.push(alive.filter((c) => c.metadata.name === name).map(ref));
  const nonEmpty = stages.filter((s) => s.length > 0);
  const sandboxesToStop = sandboxes.filter((s) => s.state === 'SANDBOX_READY').map((s) => s.id);
  return { gracePeriodSeconds: grace, stages: nonEmpty, sandboxesToStop, done: nonEmpty.length === 0 && sandboxesToStop.length === 0 };
}
