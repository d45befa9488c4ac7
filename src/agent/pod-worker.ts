/**
 * One pod's worker (the kubelet's podWorkers + syncPod): every change to the pod, every container
 * exit and every due timer triggers a sync, and syncs of one pod never overlap. A sync reads the
 * runtime's view of the pod, decides with computePodActions, acts (sandbox, init containers,
 * containers, kills), and writes the status it then computes. A pod being deleted is stopped with
 * its grace period and removed from the API; a pod gone from the API is torn down.
 */
import type { ConfigMap, Container, Pod, Secret, Service } from 'kubernetes-types/core/v1.js';
import { isStatusError } from '../api/errors.js';
import type { ApiObject } from '../api/object.js';
import type { ApiClient } from '../client/api-client.js';
import { builtinRefs } from '../client/builtin-refs.js';
import type { ResourceRef } from '../client/resource-path.js';
import type { Clock, TimerHandle } from '../client/clock.js';
import type { EventRecorder } from '../controllers/events.js';
import type { Logger } from '../util/logger.js';
import { type CrashLoopBackoff, backoffEventMessage } from './pod/backoff.js';
import { makeEnvironment, expandCommandAndArgs } from './pod/env.js';
import { computePodActions, podDeletionActions } from './pod/pod-actions.js';
import { generatePodStatus } from './pod/pod-status.js';
import type { PodProbes } from './pod-probes.js';
import { containerConfig, sandboxConfig } from './runtime-config.js';
import type { PodStatusWriter } from './pod-status-writer.js';
import { type ContainerRuntime, type ContainerStatus, type PodSandboxStatus, RuntimeError } from './runtime/runtime.js';

export interface PodWorkerDeps {
  runtime: ContainerRuntime;
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
  newProbes: (worker: { kick: () => void; pod: () => Pod }) => PodProbes;
  /** Called once the pod is gone from the API and the runtime. */
  onFinished: (uid: string) => void;
}

/** With nothing else due, look again this often (the kubelet's resync is about a minute). */
const resyncMs = 10_000;
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

  constructor(
    private readonly deps: PodWorkerDeps,
    pod: Pod,
  ) {
    this.current = pod;
    this.probes = deps.newProbes({ kick: () => this.kick(), pod: () => this.current });
  }

  get uid(): string {
    return this.current.metadata?.uid ?? '';
  }

  /** A newer version of the pod, or undefined when it left the API. */
  update(pod: Pod | undefined): void {
    if (pod) this.current = pod;
    else this.gone = true;
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

  stop(): void {
    this.finished = true;
    this.timer?.cancel();
    this.probes.stop();
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
    return { sandboxes, containers };
  }

  /** One pass; returns when to look again (undefined: only on events). */
  private async sync(): Promise<number | undefined> {
    const { runtime } = this.deps;
    const signal = this.ac.signal;
    const pod = this.current;
    const { sandboxes, containers } = await this.observe();

    if (this.gone) {
      await this.killContainers(pod, containers, 0);
      for (const s of sandboxes) {
        await runtime.stopPodSandbox(s.id);
        await runtime.removePodSandbox(s.id);
      }
      this.deps.statusWriter.forget(this.uid);
      this.stop();
      this.deps.onFinished(this.uid);
      return undefined;
    }

    if (pod.metadata?.deletionTimestamp) {
      this.probes.stop();
      const plan = podDeletionActions(pod, containers, sandboxes);
      for (const stage of plan.stages) {
        await Promise.all(
          stage.map(async (c) => {
            this.event('Normal', 'Killing', `Stopping container ${c.name}`);
            await runtime.stopContainer(c.id, plan.gracePeriodSeconds);
          }),
        );
      }
      for (const id of plan.sandboxesToStop) await runtime.stopPodSandbox(id);
      const after = await this.observe();
      await this.deps.statusWriter.write(pod, this.status(pod, after.sandboxes, after.containers), signal);
      await this.deps.statusWriter.deleteFinished(pod, signal);
      return 1000;
    }

    if (isTerminalPhase(pod)) {
      this.probes.stop();
      const running = containers.filter((c) => c.state === 'CONTAINER_RUNNING');
      if (running.length) await this.killContainers(pod, running, pod.spec?.terminationGracePeriodSeconds ?? 30);
      for (const s of sandboxes) if (s.state === 'SANDBOX_READY') await runtime.stopPodSandbox(s.id);
      return undefined;
    }

    const now = this.deps.clock.now();
    const actions = computePodActions({ pod, sandboxes, containers, liveness: this.probes.liveness(), startup: this.probes.startup(), now });
    let sandboxId = actions.sandboxId;
    if (actions.killPod) {
      await this.killContainers(pod, containers.filter((c) => c.state === 'CONTAINER_RUNNING'), pod.spec?.terminationGracePeriodSeconds ?? 30);
      for (const s of sandboxes) if (s.state === 'SANDBOX_READY') await runtime.stopPodSandbox(s.id);
    }
    if (actions.createSandbox) {
      sandboxId = await runtime.runPodSandbox(sandboxConfig(pod, this.deps.logRoot, actions.attempt));
    }
    for (const k of actions.containersToKill) {
      this.event('Normal', 'Killing', k.reason);
      await runtime.stopContainer(k.id, k.gracePeriodSeconds);
      this.probes.forget(k.name);
    }
    let wakeIn: number | undefined;
    if (sandboxId) {
      const toStart = [...actions.initContainersToStart, ...actions.containersToStart];
      const fresh = toStart.length ? (await this.observe()).containers : containers;
      for (const name of toStart) {
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
    return Math.min(wakeIn ?? resyncMs, probeDue ?? resyncMs, resyncMs);
  }

  private status(pod: Pod, sandboxes: PodSandboxStatus[], containers: ContainerStatus[]) {
    const sandbox = sandboxes[0];
    const hostIPs = this.deps.hostIPs();
    const podIPs = sandbox?.ips.length ? sandbox.ips : hostIPs;
    return generatePodStatus({
      pod,
      sandbox,
      containers,
      waiting: this.waiting,
      readiness: this.probes.readiness(containers),
      started: this.probes.started(containers),
      hostIPs,
      podIPs: sandbox ? podIPs : [],
      now: this.deps.clock.now(),
      previous: pod.status,
      runtimeName: this.deps.runtime.name,
    });
  }

  /** Creates and starts one container; returns when to try again if it could not start yet. */
  private async startContainer(pod: Pod, spec: Container, sandboxId: string, containers: ContainerStatus[]): Promise<number | undefined> {
    const { runtime, backoff, clock } = this.deps;
    const previous = containers.filter((c) => c.metadata.name === spec.name).sort((a, b) => b.metadata.attempt - a.metadata.attempt);
    const attempt = previous.length ? previous[0]!.metadata.attempt + 1 : 0;
    const key = `${pod.metadata?.uid}_${spec.name}`;
    const now = clock.now();
    const last = previous[0];
    if (last && last.state === 'CONTAINER_EXITED') {
      const target = { container: spec.name, pod: { name: pod.metadata?.name ?? '', namespace: pod.metadata?.namespace ?? '', uid: pod.metadata?.uid ?? '' } };
      const b = backoff.inBackoff(key, last.finishedAt, now, target);
      if (b.waiting) {
        this.waiting.set(spec.name, { reason: 'CrashLoopBackOff', message: b.message });
        this.event('Warning', 'BackOff', backoffEventMessage(target));
        return Math.max(b.remainingMs, 100);
      }
      backoff.next(key, now, last.finishedAt);
    }
    const env = await this.environment(pod, spec);
    if ('error' in env) {
      this.waiting.set(spec.name, { reason: env.error.reason, message: env.error.message });
      this.event('Warning', 'Failed', `Error: ${env.error.message}`);
      return 2000;
    }
    const resolved = expandCommandAndArgs(spec, env.env);
    const config = containerConfig(pod, spec, attempt, { ...resolved, env: env.env });
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
    return undefined;
  }

  private startFailed(spec: Container, e: unknown, fallback: string): number {
    const reason = e instanceof RuntimeError && e.reason !== 'NotFound' && e.reason !== 'Unavailable' ? e.reason : fallback;
    const message = (e as Error).message;
    this.waiting.set(spec.name, { reason, message });
    this.event('Warning', 'Failed', `Error: ${message}`);
    return 5000;
  }

  /** Resolves the container's environment, reading the ConfigMaps and Secrets it names. */
  private async environment(pod: Pod, spec: Container) {
    const ns = pod.metadata?.namespace ?? '';
    const configMaps = new Map<string, ConfigMap | undefined>();
    const secrets = new Map<string, Secret | undefined>();
    const fetch = async <T>(ref: ResourceRef, name: string, into: Map<string, T | undefined>) => {
      if (into.has(name)) return;
      try {
        into.set(name, await this.deps.client.get<T>(ref, name, { namespace: ns, signal: this.ac.signal }));
      } catch (e) {
        if (isStatusError(e) && e.code === 404) into.set(name, undefined);
        else throw e;
      }
    };
    for (const e of spec.env ?? []) {
      if (e.valueFrom?.configMapKeyRef?.name) await fetch(builtinRefs.configmaps, e.valueFrom.configMapKeyRef.name, configMaps);
      if (e.valueFrom?.secretKeyRef?.name) await fetch(builtinRefs.secrets, e.valueFrom.secretKeyRef.name, secrets);
    }
    for (const f of spec.envFrom ?? []) {
      if (f.configMapRef?.name) await fetch(builtinRefs.configmaps, f.configMapRef.name, configMaps);
      if (f.secretRef?.name) await fetch(builtinRefs.secrets, f.secretRef.name, secrets);
    }
    return makeEnvironment({
      pod,
      container: spec,
      lookup: { configMap: (_ns, name) => configMaps.get(name), secret: (_ns, name) => secrets.get(name) },
      services: this.deps.services(),
      nodeAllocatable: this.deps.nodeAllocatable(),
      hostIPs: this.deps.hostIPs(),
      podIPs: this.deps.hostIPs(),
    });
  }

  /** Stops containers with the grace period: regular containers first, then init/sidecar ones. */
  private async killContainers(pod: Pod, containers: ContainerStatus[], graceSeconds: number): Promise<void> {
    const running = containers.filter((c) => c.state === 'CONTAINER_RUNNING' || c.state === 'CONTAINER_CREATED');
    const initNames = new Set((pod.spec?.initContainers ?? []).map((c) => c.name));
    const regular = running.filter((c) => !initNames.has(c.metadata.name));
    const sidecars = running.filter((c) => initNames.has(c.metadata.name));
    for (const group of [regular, sidecars]) {
      await Promise.all(
        group.map(async (c) => {
          if (c.state === 'CONTAINER_RUNNING') this.event('Normal', 'Killing', `Stopping container ${c.metadata.name}`);
          await this.deps.runtime.stopContainer(c.id, graceSeconds);
        }),
      );
    }
  }
}
