/**
 * The node agent's volume orchestration around the volume manager (./volumes/): `AgentVolumes` is
 * the node's share (the manager, the informers volumes read, the service account token cache, the
 * periodic token refresh and emptyDir limit checks, orphan cleanup); `PodVolumes` is one pod
 * worker's: it sets the pod's volumes up before its sandbox starts, retrying with back-off and
 * posting the kubelet's `FailedMount` events while that fails, turns volumeMounts into runtime
 * mounts, rewrites file volumes when their ConfigMaps, Secrets or the pod's own metadata change,
 * and tears everything down when the pod is finished.
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { Container, PersistentVolume, PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1.js';
import type { ApiClient } from '../client/api-client.js';
import { type Clock, sleep } from '../client/clock.js';
import type { Logger } from '../util/logger.js';
import type { ResolvedEnvVar } from './pod/env.js';
import { emptyDirLimitEviction } from './volumes/empty-dir.js';
import { downwardAPIChanged, hasDownwardAPIVolume, hasTokenVolume, markOptionalMounts, mountRetryDelayMs, summaryEventDue, unpreparedMounts, volumesToSetUp } from './volumes/mount-plan.js';
import { TokenManager } from './volumes/service-account-token.js';
import { type MountsResult, type PreparedVolume, containerMounts } from './volumes/subpath.js';
import { type VolumeLookups, VolumeManager, type VolumeError, unableToMountMessage } from './volumes/volume-manager.js';
import { type SourceKind, VolumeSources, volumeReferences } from './volumes/volume-sources.js';

/** How often tokens due for renewal and emptyDir size limits are looked at (the eviction manager's 10 s). */
const housekeepingMs = 10_000;
/** An emptyDir limit eviction stops the pod at once (the eviction manager's immediateEvictionGracePeriodSeconds). */
const evictionGracePeriodSeconds = 1;

export interface AgentVolumesOptions {
  client: ApiClient;
  /** The agent's volume root (the kubelet's --root-dir). */
  root: string;
  clock: Clock;
  logger: Logger;
  /** The agent's lifetime. */
  signal: AbortSignal;
  /** Whether the runtime mounts volumes (ContainerRuntime.honoursMounts). */
  honoursMounts: boolean;
  nodeAllocatable: () => Record<string, string>;
  /** For tests: the manager to use. */
  manager?: VolumeManager;
}

/** What a pod worker lends its PodVolumes. */
export interface PodVolumesHost {
  pod(): Pod;
  event(type: 'Normal' | 'Warning', reason: string, message: string): void;
  /** The pod is over an emptyDir size limit: fail it with this reason and message, stopping it within the grace period. */
  evict(reason: string, message: string, gracePeriodSeconds: number): void;
  /** Sync the pod soon. */
  kick(): void;
}

export class AgentVolumes {
  readonly manager: VolumeManager;
  readonly tokens: TokenManager;
  readonly sources: VolumeSources;
  /** The pods whose volumes are set up, by uid. */
  private readonly ready = new Map<string, PodVolumes>();
  /** The pods waiting for volumes that failed to set up, by uid. */
  private readonly waiting = new Map<string, PodVolumes>();

  constructor(readonly opts: AgentVolumesOptions) {
    this.manager = opts.manager ?? new VolumeManager({ root: opts.root, now: () => new Date(opts.clock.now()) });
    this.tokens = new TokenManager({ request: (path, body) => opts.client.request('POST', path, { body, signal: opts.signal }), now: () => opts.clock.now() });
    this.sources = new VolumeSources(opts.client, { clock: opts.clock, logger: opts.logger, signal: opts.signal, onChange: (kind, key) => this.sourceChanged(kind, key) });
  }

  /** VolumeLookups over the informers' caches and the token cache. */
  lookups(): VolumeLookups {
    const s = this.sources;
    return {
      configMap: (ns, name) => s.get('configmaps', `${ns}/${name}`),
      secret: (ns, name) => s.get('secrets', `${ns}/${name}`),
      persistentVolumeClaim: (ns, name) => s.get<PersistentVolumeClaim>('persistentvolumeclaims', `${ns}/${name}`),
      persistentVolume: (name) => s.get<PersistentVolume>('persistentvolumes', name),
      nodeAllocatable: this.opts.nodeAllocatable(),
      serviceAccountToken: (req) => this.tokens.get(req),
    };
  }

  forPod(host: PodVolumesHost): PodVolumes {
    return new PodVolumes(this, host);
  }

  /** @internal */
  setState(uid: string, pv: PodVolumes, state: 'ready' | 'waiting' | 'gone'): void {
    if (state === 'ready') this.ready.set(uid, pv);
    else this.ready.delete(uid);
    if (state === 'waiting') this.waiting.set(uid, pv);
    else this.waiting.delete(uid);
  }

  /**
   * An object volumes read changed: volumes built from a ConfigMap or Secret are rewritten, and
   * pods waiting on one (or on a claim) try again at once rather than at their next back-off.
   */
  private sourceChanged(kind: SourceKind, key: string): void {
    const uses = (pod: Pod) => {
      if (kind === 'persistentvolumeclaims' || kind === 'persistentvolumes') return (pod.spec?.volumes ?? []).some((v) => v.persistentVolumeClaim);
      return volumeReferences(pod.metadata?.namespace ?? '', pod.spec?.volumes ?? []).some((r) => r.kind === kind && r.key === key);
    };
    if (kind === 'configmaps' || kind === 'secrets') for (const pv of this.ready.values()) if (uses(pv.host.pod())) pv.refresh();
    for (const pv of this.waiting.values()) if (uses(pv.host.pod())) pv.retryNow();
  }

  /** Renews tokens that are due and evicts pods over an emptyDir size limit, until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await sleep(this.opts.clock, housekeepingMs, signal).catch(() => undefined);
      if (signal.aborted) break;
      for (const [uid, pv] of [...this.ready]) {
        const pod = pv.host.pod();
        if (hasTokenVolume(pod) && this.tokens.dueFor(uid)) pv.refresh();
        if (!(pod.spec?.volumes ?? []).some((v) => v.emptyDir?.sizeLimit)) continue;
        try {
          const message = emptyDirLimitEviction(await this.manager.emptyDirUsageBytes(uid));
          if (message) pv.host.evict('Evicted', message, evictionGracePeriodSeconds);
        } catch (e) {
          this.opts.logger.warn('emptyDir usage check failed', { pod: uid, error: (e as Error).message });
        }
      }
    }
    await this.sources.stopped();
  }

  /** Removes the volume directories of pods that are not `known` (never hostPath or claim directories). */
  async cleanupOrphans(known: (uid: string) => boolean): Promise<void> {
    const podsDir = join(this.opts.root, 'pods');
    const uids = await fs.readdir(podsDir).catch(() => [] as string[]);
    for (const uid of uids) {
      if (known(uid)) continue;
      try {
        await this.manager.tearDown(uid);
        this.opts.logger.info('removed the volumes of a pod no longer bound here', { uid });
      } catch (e) {
        this.opts.logger.warn('orphaned pod volumes not removed', { uid, error: (e as Error).message });
      }
    }
  }
}

export class PodVolumes {
  private prepared?: Map<string, PreparedVolume>;
  private failures = 0;
  private nextTryAt = 0;
  private waitingSince?: number;
  private lastSummaryAt?: number;
  private tornDown = false;
  /** Refreshes and the teardown run one after another. */
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly shared: AgentVolumes,
    readonly host: PodVolumesHost,
  ) {}

  private get uid(): string {
    return this.host.pod().metadata?.uid ?? '';
  }

  /**
   * Sets up the volumes the pod's containers will use. Resolves undefined once they are ready,
   * else the milliseconds until the next try (failures are reported as `FailedMount` events).
   */
  async prepare(signal: AbortSignal): Promise<number | undefined> {
    if (this.prepared) return undefined;
    const now = this.shared.opts.clock.now();
    if (now < this.nextTryAt) return this.nextTryAt - now;
    const pod = this.host.pod();
    const volumes = volumesToSetUp(pod, this.shared.opts.honoursMounts);
    if (volumes.length === 0) {
      this.prepared = new Map();
      return undefined;
    }
    const subject: Pod = { ...pod, spec: { ...pod.spec!, volumes } };
    if (!(await this.shared.sources.ensure(subject, signal))) {
      this.shared.opts.logger.warn('the objects pod volumes read are not listed yet', { pod: this.uid });
      return 1000;
    }
    this.tornDown = false;
    const r = await this.shared.manager.setUp(subject, this.shared.lookups());
    if (r.ok) {
      this.prepared = r.volumes;
      this.failures = 0;
      this.waitingSince = this.lastSummaryAt = undefined;
      this.shared.setState(this.uid, this, 'ready');
      return undefined;
    }
    this.failures++;
    this.shared.setState(this.uid, this, 'waiting');
    for (const e of r.errors) this.host.event('Warning', 'FailedMount', e.message);
    this.waitingSince ??= now;
    if (summaryEventDue(this.waitingSince, this.lastSummaryAt, now)) {
      this.lastSummaryAt = now;
      this.host.event('Warning', 'FailedMount', summaryMessage(r.errors));
    }
    const delay = mountRetryDelayMs(this.failures);
    this.nextTryAt = now + delay;
    return delay;
  }

  /** Something the volumes wait for changed: try again at the next sync, which starts now. */
  retryNow(): void {
    this.nextTryAt = 0;
    this.host.kick();
  }

  /** A new version of the pod arrived: downwardAPI files follow its labels and annotations. */
  podUpdated(before: Pod, after: Pod): void {
    if (this.prepared && hasDownwardAPIVolume(after) && downwardAPIChanged(before, after)) this.refresh();
  }

  /** The runtime mounts of `container` (its resolved environment expands subPathExpr). */
  async mounts(container: Container, env: readonly ResolvedEnvVar[]): Promise<MountsResult> {
    const pod = this.host.pod();
    if (!this.shared.opts.honoursMounts) return { mounts: unpreparedMounts(pod, container) };
    const r = await containerMounts(container, this.prepared ?? new Map(), env);
    if ('error' in r) return r;
    return { mounts: markOptionalMounts(pod, container, r.mounts) };
  }

  /** Rewrites the pod's file volumes whose content changed (queued behind any running refresh). */
  refresh(): void {
    this.chain = this.chain.then(async () => {
      if (!this.prepared || this.tornDown) return;
      try {
        const r = await this.shared.manager.refresh(this.host.pod(), this.shared.lookups());
        for (const e of r.errors) this.host.event('Warning', 'FailedMount', e.message);
      } catch (e) {
        this.shared.opts.logger.warn('volume refresh failed', { pod: this.uid, error: (e as Error).message });
      }
    });
  }

  /** Unmounts and removes the pod's volumes (idempotent). */
  async tearDown(): Promise<void> {
    const uid = this.uid;
    this.prepared = undefined;
    this.tornDown = true;
    this.shared.setState(uid, this, 'gone');
    const done = this.chain.then(async () => {
      await this.shared.manager.tearDown(uid);
      this.shared.tokens.forgetPod(uid);
    });
    this.chain = done.catch(() => undefined);
    await done;
  }
}

/** The summary event: SetUp failures are unmounted volumes, the others could not be processed. */
function summaryMessage(errors: readonly VolumeError[]): string {
  const notProcessed = errors.filter((e) => !e.message.startsWith('MountVolume.SetUp failed')).map((e) => e.volume);
  return unableToMountMessage(errors, notProcessed);
}
