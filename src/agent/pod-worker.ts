/**
 * One pod's worker (the kubelet's podWorkers + syncPod): every change to the pod, every container
 * exit and every due timer triggers a sync, and syncs of one pod never overlap. A sync reads the
 * runtime's view of the pod, decides with computePodActions, acts (sandbox, init containers,
 * containers, kills), and writes the status it then computes. A pod being deleted is stopped with
 * its grace period and removed from the API; a pod gone from the API is torn down.
 *
 * Before its first start a pod is admitted against the node (./pod/admission.ts) and given its
 * GPUs; a rejected pod is failed. A pod past spec.activeDeadlineSeconds is failed and stopped.
 * Containers run their postStart hook after starting and their preStop hook before being stopped
 * (./pod/lifecycle-hooks.ts); a container that failed under FallbackToLogsOnError reports the
 * tail of its log as its termination message. Volumes are set up before the sandbox starts and
 * torn down once the pod is finished (./pod-volumes.ts).
 */
import type { Container, Node, Pod, PodStatus, Service } from 'kubernetes-types/core/v1.js';
import type { ApiObject } from '../api/object.js';
import type { ApiClient } from '../client/api-client.js';
import { type Clock, type TimerHandle, sleep } from '../client/clock.js';
import type { EventRecorder } from '../controllers/events.js';
import type { Logger } from '../util/logger.js';
import type { GpuAllocator } from './node/gpus.js';
import { activeDeadline, deadlineExceededMessage, deadlineExceededReason } from './pod/active-deadline.js';
import { type AdmitResult, admitPod, allocationFailure, rejectedPodStatus } from './pod/admission.js';
import { type CrashLoopBackoff, backoffEventMessage } from './pod/backoff.js';
import { expandCommandAndArgs } from './pod/env.js';
import { containerEnvironment } from './container-environment.js';
import { TerminationMessages } from './termination-messages.js';
import { allocatePodGpus, containerGpuCount, gpuAnnotations, gpuDeviceNodes, gpuEnvVars } from './pod/gpu-assignment.js';
import {
  failedPostStartHookEvent,
  failedPreStopHookEvent,
  gracePeriodAfterPreStop,
  type HookContext,
  postStartHookErrorReason,
  postStartKillMessage,
  preStopFailedMessage,
  runLifecycleHandler,
  shouldRunPreStop,
} from './pod/lifecycle-hooks.js';
import { computePodActions, isSidecar, killGracePeriodSeconds, podDeletionActions } from './pod/pod-actions.js';
import { generatePodStatus } from './pod/pod-status.js';
import { containerLimitsNotEnforcedMessage, limitsNotEnforcedReason } from './pod/resource-enforcement.js';
import { dnsConfigFormingReason } from './pod/pod-dns.js';
import type { PodProbes } from './pod-probes.js';
import type { AgentVolumes, PodVolumes } from './pod-volumes.js';
import { containerConfig, sandboxConfig } from './runtime-config.js';
import { effectiveUser, runtimeUser, verifyRunAsNonRoot } from './pod/security.js';
import type { PodStatusWriter } from './pod-status-writer.js';
import { type ContainerRuntime, type ContainerStatus, type PodSandboxConfig, type PodSandboxStatus, RuntimeError } from './runtime/runtime.js';

export interface PodWorkerDeps {
  runtime: ContainerRuntime;
  /** The pod's sandbox DNS settings and the kubelet's DNSConfigForming warnings; none: the runtime's default. */
  podDns?: (pod: Pod) => { config: NonNullable<PodSandboxConfig['dns']>; warnings: string[] };
  /** The cluster domain (--cluster-domain): a pod with spec.subdomain finds its FQDN in its /etc/hosts. */
  clusterDomain?: string;
  client: ApiClient;
  statusWriter: PodStatusWriter;
  recorder: EventRecorder;
  backoff: CrashLoopBackoff;
  logger: Logger;
  clock: Clock;
  logRoot: string;
  hostIPs: () => string[];
  services: () => Service[];
  nodeAllocatable: () => Record<string, string>;
  /** The Node as the API has it now: admission reads its labels, taints and allocatable. */
  getNode: (signal: AbortSignal) => Promise<Node>;
  /** The pods on this node that hold resources (every worker whose `isActive()`). */
  activePods: () => Pod[];
  /** The node's GPU assignments, shared by all workers. */
  gpus: GpuAllocator;
  newProbes: (worker: { kick: () => void; pod: () => Pod; podIPs: () => string[] }) => PodProbes;
  /** Called once the pod is gone from the API and the runtime. */
  onFinished: (uid: string) => void;
  /** The node's volumes; without it volumeMounts stay unprepared (and no runtime accepts them). */
  volumes?: AgentVolumes;
}

/** With nothing else due, look again this often (the kubelet's resync is about a minute). */
const resyncMs = 10_000;
/** Upstream gives a postStart hook unlimited time; here it may block the pod's syncs for this long at most. */
const postStartTimeoutMs = 10 * 60_000;
const isTerminalPhase = (p: Pod) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';
const allContainers = (pod: Pod): Container[] => [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];

export class PodWorker {
  private current: Pod;
  private gone = false;
  private finished = false;
  private syncing = false;
  private again = false;
  private timer?: TimerHandle;
  private readonly waiting = new Map<string, { reason: string; message?: string }>();
  private readonly probes: PodProbes;
  private readonly ac = new AbortController();
  /** The newest sandbox's IPs at the last look (empty: it shares the node's network). */
  private sandboxIPs: string[] = [];
  /** Admitted to the node (or found running, admitted before a restart). */
  private admitted = false;
  /** Why admission turned the pod away; kept so that a failed status write is retried as is. */
  private rejection?: Exclude<AdmitResult, { admit: true }>;
  /** The agent failed the pod (active deadline): the phase, reason and message it reports. */
  private failure?: { reason: string; message: string };
  /** Nothing of the pod runs any more and nothing will: it no longer holds node resources. */
  private done = false;
  /** The start time of the last status computed (the status manager's cache). */
  private startTime?: string;
  /** Termination messages read from logs, by container id (an exited container never changes). */
  private readonly terminationMessages = new TerminationMessages();
  /** Cuts a running postStart hook short when the pod is deleted or the worker stops. */
  private hookAbort?: AbortController;
  private readonly volumes?: PodVolumes;
  /** The grace period an eviction stops the containers with (instead of the pod's own). */
  private failureGrace?: number;

  constructor(
    private readonly deps: PodWorkerDeps,
    pod: Pod,
  ) {
    this.current = pod;
    this.probes = deps.newProbes({ kick: () => this.kick(), pod: () => this.current, podIPs: () => this.podIPs() });
    this.volumes = deps.volumes?.forPod({ pod: () => this.current, event: (t, r, m) => this.event(t, r, m), evict: (r, m, g) => this.evict(r, m, g), kick: () => this.kick() });
  }

  get uid(): string {
    return this.current.metadata?.uid ?? '';
  }

  get pod(): Pod {
    return this.current;
  }

  /**
   * Whether the pod counts against the node's resources when another pod is admitted (the
   * kubelet's active pods): admitted, or started by an agent before a restart, and not finished.
   */
  isActive(): boolean {
    if (this.finished || this.gone || this.done || this.rejection || isTerminalPhase(this.current)) return false;
    return this.admitted || !!this.current.status?.startTime;
  }

  /** A newer version of the pod, or undefined when it left the API. */
  update(pod: Pod | undefined): void {
    if (pod) {
      this.volumes?.podUpdated(this.current, pod);
      this.current = pod;
    } else this.gone = true;
    if (!pod || pod.metadata?.deletionTimestamp) this.hookAbort?.abort();
    this.kick();
  }

  /** Syncs soon (coalescing requests that arrive during a sync). */
  kick(delayMs = 0): void {
    if (this.finished) return;
    if (delayMs > 0) {
      this.timer?.cancel();
      this.timer = this.deps.clock.setTimer(() => this.kick(), delayMs);
      return;
    }
    if (this.syncing) {
      this.again = true;
      return;
    }
    void this.loop();
  }

  /** The agent fails the pod (eviction): it is stopped within `gracePeriodSeconds` and reports phase Failed with `reason`. */
  evict(reason: string, message: string, gracePeriodSeconds?: number): void {
    if (this.failure || this.done || this.gone) return;
    this.failure = { reason, message };
    this.failureGrace = gracePeriodSeconds;
    this.event('Warning', reason, message);
    this.kick();
  }

  stop(): void {
    this.finished = true;
    this.timer?.cancel();
    this.probes.stop();
    this.hookAbort?.abort();
    this.ac.abort();
  }

  private async loop(): Promise<void> {
    this.syncing = true;
    try {
      do {
        this.again = false;
        let next: number | undefined = resyncMs;
        try {
          next = await this.sync();
        } catch (e) {
          if (this.ac.signal.aborted) return;
          this.deps.logger.warn('pod sync failed', { pod: this.ref(), error: (e as Error).message });
          next = 1000;
        }
        if (next !== undefined && !this.finished) {
          this.timer?.cancel();
          this.timer = this.deps.clock.setTimer(() => this.kick(), next);
        }
      } while (this.again && !this.finished);
    } finally {
      this.syncing = false;
    }
  }

  private ref(): string {
    return `${this.current.metadata?.namespace}/${this.current.metadata?.name}`;
  }

  private event(type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.deps.recorder.event(this.current as unknown as ApiObject, type, reason, message);
  }

  private async observe(): Promise<{ sandboxes: PodSandboxStatus[]; containers: ContainerStatus[] }> {
    const uid = this.uid;
    const sandboxes = (await this.deps.runtime.listPodSandboxes()).filter((s) => s.metadata.uid === uid).sort((a, b) => b.createdAt - a.createdAt || b.metadata.attempt - a.metadata.attempt);
    const ids = new Set(sandboxes.map((s) => s.id));
    const containers = (await this.deps.runtime.listContainers()).filter((c) => ids.has(c.sandboxId));
    this.sandboxIPs = sandboxes[0]?.ips ?? [];
    return { sandboxes, containers: await this.terminationMessages.apply(containers) };
  }

  /** The pod's own IPs (bridge mode), else the node's: what probes, hooks and the downward API use. */
  podIPs(): string[] {
    return this.sandboxIPs.length ? this.sandboxIPs : this.deps.hostIPs();
  }

  /** One pass; returns when to look again (undefined: only on events). */
  private async sync(): Promise<number | undefined> {
    const { runtime } = this.deps;
    const signal = this.ac.signal;
    const pod = this.current;
    const { sandboxes, containers } = await this.observe();

    if (this.gone) {
      this.deps.logger.debug('pod gone from the API: stopping it', { pod: `${pod.metadata?.namespace}/${pod.metadata?.name}`, uid: this.uid });
      await this.killContainers(pod, containers, 0);
      for (const s of sandboxes) {
        await runtime.stopPodSandbox(s.id);
        await runtime.removePodSandbox(s.id);
      }
      await this.volumes?.tearDown();
      this.deps.gpus.release(this.uid);
      this.deps.statusWriter.forget(this.uid);
      this.stop();
      this.deps.onFinished(this.uid);
      return undefined;
    }

    if (pod.metadata?.deletionTimestamp) {
      this.probes.stop();
      const plan = podDeletionActions(pod, containers, sandboxes);
      for (const stage of plan.stages) {
        await Promise.all(stage.map((c) => this.stopContainer(pod, c, plan.gracePeriodSeconds, { running: containers.find((x) => x.id === c.id)?.state === 'CONTAINER_RUNNING', event: true })));
      }
      for (const id of plan.sandboxesToStop) await runtime.stopPodSandbox(id);
      const after = await this.observe();
      await this.deps.statusWriter.write(pod, this.status(pod, after.sandboxes, after.containers), signal);
      this.done = true;
      this.deps.gpus.release(this.uid);
      // As the kubelet: the pod's volumes are reclaimed before its object is removed.
      await this.volumes?.tearDown();
      this.deps.logger.debug('pod stopped and its volumes removed: deleting it', { pod: `${pod.metadata?.namespace}/${pod.metadata?.name}`, uid: this.uid });
      await this.deps.statusWriter.deleteFinished(pod, signal);
      return 1000;
    }

    if (isTerminalPhase(pod)) {
      this.probes.stop();
      const running = containers.filter((c) => c.state === 'CONTAINER_RUNNING');
      if (running.length) await this.killContainers(pod, running, pod.spec?.terminationGracePeriodSeconds ?? 30);
      for (const s of sandboxes) if (s.state === 'SANDBOX_READY') await runtime.stopPodSandbox(s.id);
      if (running.length) {
        // Report how the containers ended (SyncTerminatingPod's final status).
        const after = await this.observe();
        await this.deps.statusWriter.write(pod, this.status(pod, after.sandboxes, after.containers, true), signal);
      }
      this.done = true;
      this.deps.gpus.release(this.uid);
      await this.volumes?.tearDown();
      return undefined;
    }

    if (!this.admitted && !(await this.admit(pod, sandboxes))) return undefined;

    const now = this.deps.clock.now();
    const deadline = activeDeadline(pod, this.startTime ?? pod.status?.startTime, now);
    if (deadline.exceeded && !this.failure) {
      this.failure = { reason: deadlineExceededReason, message: deadlineExceededMessage };
      this.event('Normal', deadlineExceededReason, deadlineExceededMessage);
    }
    if (this.failure) {
      await this.terminate(pod, sandboxes, containers);
      await this.volumes?.tearDown();
      return undefined;
    }

    // Containers wait (ContainerCreating) until the pod's volumes are ready.
    const volumesIn = await this.volumes?.prepare(signal);
    if (volumesIn !== undefined) {
      await this.deps.statusWriter.write(pod, this.status(pod, sandboxes, containers), signal);
      return Math.min(volumesIn, resyncMs);
    }

    const actions = computePodActions({ pod, sandboxes, containers, liveness: this.probes.liveness(), startup: this.probes.startup(), now });
    let sandboxId = actions.sandboxId;
    if (actions.killPod) {
      await this.killContainers(pod, containers.filter((c) => c.state === 'CONTAINER_RUNNING'), pod.spec?.terminationGracePeriodSeconds ?? 30);
      for (const s of sandboxes) if (s.state === 'SANDBOX_READY') await runtime.stopPodSandbox(s.id);
    }
    if (actions.createSandbox) {
      try {
        const dns = this.deps.podDns?.(pod);
        for (const w of dns?.warnings ?? []) this.event('Warning', dnsConfigFormingReason, w);
        sandboxId = await runtime.runPodSandbox(sandboxConfig(pod, this.deps.logRoot, actions.attempt, dns?.config, this.deps.clusterDomain));
      } catch (e) {
        this.event('Warning', 'FailedCreatePodSandBox', `Failed to create pod sandbox: ${(e as Error).message}`);
        throw e;
      }
      this.sandboxIPs = (await runtime.podSandboxStatus(sandboxId))?.ips ?? [];
    }
    for (const k of actions.containersToKill) {
      await this.stopContainer(pod, k, k.gracePeriodSeconds, { running: true, event: true, message: k.reason });
      this.probes.forget(k.name);
    }
    let wakeIn: number | undefined;
    if (sandboxId) {
      const toStart = [...actions.initContainersToStart, ...actions.containersToStart];
      const fresh = toStart.length ? (await this.observe()).containers : containers;
      for (const name of toStart) {
        if (this.gone || this.current.metadata?.deletionTimestamp) break; // deleted meanwhile (a hook ran)
        const spec = allContainers(pod).find((c) => c.name === name);
        if (!spec) continue;
        const retryIn = await this.startContainer(pod, spec, sandboxId, fresh);
        if (retryIn !== undefined) wakeIn = Math.min(wakeIn ?? retryIn, retryIn);
      }
    }
    const after = await this.observe();
    this.probes.track(after.containers);
    await this.deps.statusWriter.write(pod, this.status(pod, after.sandboxes, after.containers), signal);
    const probeDue = this.probes.nextDueInMs();
    // The start time may have been set by this very pass: look again when the deadline falls.
    const due = activeDeadline(pod, this.startTime, this.deps.clock.now());
    const deadlineIn = due.exceeded ? 0 : due.remainingMs;
    return Math.min(wakeIn ?? resyncMs, probeDue ?? resyncMs, deadlineIn ?? resyncMs, resyncMs);
  }

  /**
   * Node admission (canAdmitPod) and device allocation; false when the pod was rejected and failed.
   * Between reading the other pods and recording the verdict nothing awaits, so two pods are never
   * admitted against the same free resources.
   */
  private async admit(pod: Pod, sandboxes: PodSandboxStatus[]): Promise<boolean> {
    // A sandbox means an agent before a restart admitted the pod already.
    if (sandboxes.length > 0) {
      this.admitted = true;
      return true;
    }
    if (!this.rejection) {
      const node = await this.deps.getNode(this.ac.signal);
      const otherPods = this.deps.activePods().filter((p) => p.metadata?.uid !== this.uid);
      let verdict = admitPod({ pod, node, otherPods });
      if (verdict.admit) {
        const err = allocatePodGpus(this.deps.gpus, pod);
        if (err) verdict = allocationFailure(err);
      }
      if (verdict.admit) {
        this.admitted = true;
        return true;
      }
      this.rejection = verdict;
      this.event('Warning', verdict.reason, verdict.message);
    }
    this.probes.stop();
    await this.deps.statusWriter.write(pod, rejectedPodStatus(pod, this.rejection.reason, this.rejection.message, this.deps.clock.now()), this.ac.signal);
    return false;
  }

  /** Fails the pod the agent gave up on: Failed first, then its containers stopped, then their final state. */
  private async terminate(pod: Pod, sandboxes: PodSandboxStatus[], containers: ContainerStatus[]): Promise<void> {
    const signal = this.ac.signal;
    this.probes.stop();
    await this.deps.statusWriter.write(pod, this.status(pod, sandboxes, containers, true), signal);
    await this.killContainers(pod, containers, this.failureGrace ?? pod.spec?.terminationGracePeriodSeconds ?? 30);
    for (const s of sandboxes) if (s.state === 'SANDBOX_READY') await this.deps.runtime.stopPodSandbox(s.id);
    const after = await this.observe();
    await this.deps.statusWriter.write(pod, this.status(pod, after.sandboxes, after.containers, true), signal);
    this.done = true;
    this.deps.gpus.release(this.uid);
  }

  private status(pod: Pod, sandboxes: PodSandboxStatus[], containers: ContainerStatus[], podIsTerminal = false) {
    const sandbox = sandboxes[0];
    const hostIPs = this.deps.hostIPs();
    const podIPs = sandbox?.ips.length ? sandbox.ips : hostIPs;
    // A pod the agent failed keeps that phase, reason and message whatever its containers say.
    const previous: PodStatus | undefined = this.failure ? { ...(pod.status ?? {}), phase: 'Failed', ...this.failure } : pod.status;
    const status = generatePodStatus({
      pod,
      sandbox,
      containers,
      waiting: this.waiting,
      readiness: this.probes.readiness(containers),
      started: this.probes.started(containers),
      hostIPs,
      podIPs: sandbox ? podIPs : [],
      now: this.deps.clock.now(),
      previous,
      runtimeName: this.deps.runtime.name,
      podIsTerminal: podIsTerminal || this.failure !== undefined,
    });
    this.startTime ??= status.startTime;
    return status;
  }

  /** Creates and starts one container; returns when to try again if it could not start yet. */
  private async startContainer(pod: Pod, spec: Container, sandboxId: string, containers: ContainerStatus[]): Promise<number | undefined> {
    const { runtime, backoff, clock, gpus } = this.deps;
    const previous = containers.filter((c) => c.metadata.name === spec.name).sort((a, b) => b.metadata.attempt - a.metadata.attempt);
    const attempt = previous.length ? previous[0]!.metadata.attempt + 1 : 0;
    const uid = pod.metadata?.uid ?? '';
    const key = `${uid}_${spec.name}`;
    const now = clock.now();
    const last = previous[0];
    if (last && last.state === 'CONTAINER_EXITED') {
      const target = { container: spec.name, pod: { name: pod.metadata?.name ?? '', namespace: pod.metadata?.namespace ?? '', uid } };
      const b = backoff.inBackoff(key, last.finishedAt, now, target);
      if (b.waiting) {
        this.waiting.set(spec.name, { reason: 'CrashLoopBackOff', message: b.message });
        this.event('Warning', 'BackOff', backoffEventMessage(target));
        return Math.max(b.remainingMs, 100);
      }
      backoff.next(key, now, last.finishedAt);
    }
    // Neither runtime runs an image: without runAsUser a sandbox container runs as root (its root
    // filesystem is the host's), a process-runtime container as the agent does.
    const nonRoot = verifyRunAsNonRoot(pod, spec, runtime.name === 'sandbox' ? 0 : process.getuid?.());
    if (nonRoot) {
      this.waiting.set(spec.name, { reason: 'CreateContainerConfigError', message: nonRoot });
      this.event('Warning', 'Failed', `Error: ${nonRoot}`);
      return 5000;
    }
    const env = await containerEnvironment(this.deps, pod, spec, this.podIPs(), this.ac.signal);
    if ('error' in env) {
      this.waiting.set(spec.name, { reason: env.error.reason, message: env.error.message });
      this.event('Warning', 'Failed', `Error: ${env.error.message}`);
      return 2000;
    }
    // Devices were allocated at admission; this finds them again (or, after a restart, anew).
    const init = (pod.spec?.initContainers ?? []).some((c) => c.name === spec.name) && !isSidecar(spec);
    let deviceIds: string[] = [];
    const gpuCount = containerGpuCount(spec);
    if (gpuCount > 0 && gpus.devices.length > 0) {
      try {
        deviceIds = gpus.allocate(uid, spec.name, gpuCount, { init });
      } catch (e) {
        const message = (e as Error).message;
        this.waiting.set(spec.name, { reason: 'CreateContainerConfigError', message });
        this.event('Warning', 'Failed', `Error: ${message}`);
        return 5000;
      }
    }
    const fullEnv = [...gpuEnvVars(gpus.devices.length > 0, deviceIds), ...env.env];
    const resolved = expandCommandAndArgs(spec, fullEnv);
    const mounts = await this.volumes?.mounts(spec, fullEnv);
    if (mounts && 'error' in mounts) {
      this.waiting.set(spec.name, { reason: mounts.error.reason, message: mounts.error.message });
      this.event('Warning', 'Failed', `Error: ${mounts.error.message}`);
      return 2000;
    }
    const config = containerConfig(pod, spec, attempt, { ...resolved, env: fullEnv, mounts: mounts?.mounts });
    Object.assign(config.annotations, gpuAnnotations(deviceIds, init));
    const devices = gpuDeviceNodes(gpus.devices, deviceIds);
    if (devices.length) config.devices = devices;
    const user = runtimeUser(effectiveUser(pod, spec), process.getuid?.());
    if (user) config.user = user;
    const sandbox = sandboxConfig(pod, this.deps.logRoot, 0);
    let id: string;
    try {
      id = await runtime.createContainer(sandboxId, config, sandbox);
    } catch (e) {
      return this.startFailed(spec, e, 'CreateContainerError');
    }
    this.event('Normal', 'Created', `Created container: ${spec.name}`);
    try {
      await runtime.startContainer(id);
    } catch (e) {
      return this.startFailed(spec, e, 'RunContainerError');
    }
    this.waiting.delete(spec.name);
    this.event('Normal', 'Started', `Started container ${spec.name}`);
    const unenforced = runtime.enforcesResources === false ? containerLimitsNotEnforcedMessage(spec, runtime.name) : undefined;
    if (unenforced) this.event('Warning', limitsNotEnforcedReason, unenforced);
    const postStart = spec.lifecycle?.postStart;
    if (postStart) {
      const failure = await this.runPostStart(pod, spec, id);
      if (failure !== undefined) {
        this.event('Warning', failedPostStartHookEvent, failure);
        await this.stopContainer(pod, { id, name: spec.name }, killGracePeriodSeconds(pod, spec, 'other'), { running: true, event: true, message: postStartKillMessage });
        this.waiting.set(spec.name, { reason: postStartHookErrorReason, message: failure });
        return 1000;
      }
    }
    return undefined;
  }

  private startFailed(spec: Container, e: unknown, fallback: string): number {
    const reason = e instanceof RuntimeError && e.reason !== 'NotFound' && e.reason !== 'Unavailable' ? e.reason : fallback;
    const message = (e as Error).message;
    this.waiting.set(spec.name, { reason, message });
    this.event('Warning', 'Failed', `Error: ${message}`);
    return 5000;
  }

  private hookContext(pod: Pod, spec: Container, containerId: string, timeoutMs: number, signal: AbortSignal): HookContext {
    return {
      pod,
      container: spec,
      podIP: this.podIPs()[0] ?? '127.0.0.1',
      exec: (cmd, t) => this.deps.runtime.execSync(containerId, cmd, t),
      sleep: (ms, s) => sleep(this.deps.clock, ms, s),
      timeoutMs,
      signal,
    };
  }

  /** Runs the postStart hook; the failure message, or undefined when it succeeded or was cut short by deletion. */
  private async runPostStart(pod: Pod, spec: Container, containerId: string): Promise<string | undefined> {
    const ac = new AbortController();
    this.hookAbort = ac;
    try {
      const aborted = new Promise<'aborted'>((resolve) => ac.signal.addEventListener('abort', () => resolve('aborted'), { once: true }));
      const outcome = await Promise.race([runLifecycleHandler(spec.lifecycle!.postStart!, this.hookContext(pod, spec, containerId, postStartTimeoutMs, ac.signal)), aborted]);
      return outcome === 'aborted' ? undefined : outcome;
    } finally {
      if (this.hookAbort === ac) this.hookAbort = undefined;
    }
  }

  /** Runs the preStop hook for at most `graceSeconds`; a failure within that time is recorded. */
  private async runPreStop(pod: Pod, spec: Container, containerId: string, graceSeconds: number): Promise<void> {
    const ac = new AbortController();
    let timer: TimerHandle | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => (timer = this.deps.clock.setTimer(() => resolve('timeout'), graceSeconds * 1000)));
    try {
      const outcome = await Promise.race([runLifecycleHandler(spec.lifecycle!.preStop!, this.hookContext(pod, spec, containerId, graceSeconds * 1000, ac.signal)), timedOut]);
      if (outcome === 'timeout') this.deps.logger.info('preStop hook not completed in grace period', { pod: this.ref(), container: spec.name, gracePeriod: graceSeconds });
      else if (outcome !== undefined) {
        this.deps.logger.warn('preStop hook failed', { pod: this.ref(), container: spec.name, error: outcome });
        this.event('Warning', failedPreStopHookEvent, preStopFailedMessage);
      }
    } finally {
      timer?.cancel();
      ac.abort();
    }
  }

  /**
   * killContainer: the `Killing` event, the preStop hook within the grace period, then SIGTERM
   * with what is left of it.
   */
  private async stopContainer(pod: Pod, c: { id: string; name: string }, graceSeconds: number, opts: { running: boolean; event: boolean; message?: string }): Promise<void> {
    if (opts.event) this.event('Normal', 'Killing', opts.message ?? `Stopping container ${c.name}`);
    const spec = allContainers(pod).find((x) => x.name === c.name);
    let timeout = graceSeconds;
    if (shouldRunPreStop(spec, opts.running, graceSeconds)) {
      const started = this.deps.clock.now();
      await this.runPreStop(pod, spec!, c.id, graceSeconds);
      timeout = gracePeriodAfterPreStop(graceSeconds, this.deps.clock.now() - started);
    }
    await this.deps.runtime.stopContainer(c.id, timeout);
  }

  /** Stops containers with the grace period: regular containers first, then init/sidecar ones. */
  private async killContainers(pod: Pod, containers: ContainerStatus[], graceSeconds: number): Promise<void> {
    const alive = containers.filter((c) => c.state === 'CONTAINER_RUNNING' || c.state === 'CONTAINER_CREATED');
    const initNames = new Set((pod.spec?.initContainers ?? []).map((c) => c.name));
    const regular = alive.filter((c) => !initNames.has(c.metadata.name));
    const sidecars = alive.filter((c) => initNames.has(c.metadata.name));
    for (const group of [regular, sidecars]) {
      await Promise.all(
        group.map((c) => {
          const running = c.state === 'CONTAINER_RUNNING';
          return this.stopContainer(pod, { id: c.id, name: c.metadata.name }, graceSeconds, { running, event: running });
        }),
      );
    }
  }
}
