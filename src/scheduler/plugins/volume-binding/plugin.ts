/**
 * The VolumeBinding plugin (after pkg/scheduler/framework/plugins/volumebinding/volume_binding.go).
 * PreFilter rejects pods whose claims are missing or unbound with Immediate binding. Filter keeps
 * the nodes that bound volumes admit and where every WaitForFirstConsumer claim finds a static
 * volume or can be provisioned. Reserve assumes the node's choice (PV claimRefs, the claims'
 * selected-node) in the plugin's assume caches; PreBind writes it and waits, up to
 * bindTimeoutSeconds (600 s), until the PV controller (and provisioner) have bound every claim;
 * Unreserve drops the assumptions. Scores are not computed.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { PersistentVolume, PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1.js';
import {
  type ClusterEvent,
  type CycleState,
  type EnqueueExtensions,
  type FilterPlugin,
  type FrameworkHandle,
  type PreBindPlugin,
  type PreFilterPlugin,
  type ReservePlugin,
  Status,
} from '../../framework/interface.js';
import type { NodeInfo } from '../../framework/node-info.js';
import { AssumeCache, olderVersion } from './assume-cache.js';
import { type PodVolumes, checkBindings, claimKey, findPodVolumes } from './binder.js';
import { type PodVolumeClaims, errReasonUnboundImmediate, getPodVolumeClaims } from './claims.js';

export const name = 'VolumeBinding';
const claimsKey = name;
const byNodeKey = `${name}/podVolumesByNode`;
const reservedKey = `${name}/reserved`;

export interface VolumeBindingOptions {
  /** How long PreBind waits for the claims to be bound (upstream bindTimeoutSeconds, default 600 s). */
  bindTimeoutMs?: number;
  /** Interval between checks while waiting (default 100 ms). */
  pollIntervalMs?: number;
  /** Injectable wait (tests). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

interface Reserved {
  allBound: boolean;
  podVolumes?: PodVolumes;
}

const realSleep = async (ms: number, signal?: AbortSignal): Promise<void> => {
  await sleep(ms, undefined, { signal }).catch(() => undefined);
};

export class VolumeBinding implements PreFilterPlugin, FilterPlugin, ReservePlugin, PreBindPlugin, EnqueueExtensions {
  readonly name = name;
  private readonly pvCache: AssumeCache<PersistentVolume>;
  private readonly pvcCache: AssumeCache<PersistentVolumeClaim>;
  private readonly bindTimeoutMs: number;
  private readonly pollIntervalMs: number;
  private readonly wait: (ms: number, signal?: AbortSignal) => Promise<void>;

  constructor(
    private readonly handle: FrameworkHandle,
    opts: VolumeBindingOptions = {},
  ) {
    const listers = handle.listers;
    this.pvCache = new AssumeCache((n) => listers.persistentVolume(n));
    this.pvcCache = new AssumeCache((key) => {
      const i = key.indexOf('/');
      return listers.persistentVolumeClaim(key.slice(0, i), key.slice(i + 1));
    });
    this.bindTimeoutMs = opts.bindTimeoutMs ?? 600_000;
    this.pollIntervalMs = opts.pollIntervalMs ?? 100;
    this.wait = opts.sleep ?? realSleep;
  }

  preFilter(state: CycleState, pod: Pod): { status: Status } {
    const r = getPodVolumeClaims(pod, this.handle.listers);
    if (!r.ok) return { status: r.unresolvable ? Status.unresolvable(r.message) : Status.error(r.message) };
    if (!r.claims) return { status: Status.skip() };
    if (r.claims.unboundImmediate.length) return { status: Status.unresolvable(errReasonUnboundImmediate) };
    state.write(claimsKey, r.claims);
    state.write(byNodeKey, new Map<string, PodVolumes>());
    return { status: Status.success() };
  }

  filter(state: CycleState, _pod: Pod, nodeInfo: NodeInfo): Status {
    const claims = state.read<PodVolumeClaims>(claimsKey);
    if (!claims) return Status.success();
    const volumes = this.pvCache.overlay(this.handle.listers.persistentVolumes?.() ?? [], (v) => v.metadata?.name ?? '');
    const found = findPodVolumes(claims, nodeInfo.node, volumes, (n) => this.pvCache.get(n));
    if ('error' in found) return Status.error(found.error);
    if (found.reasons.length) return new Status('UnschedulableAndUnresolvable', found.reasons);
    state.read<Map<string, PodVolumes>>(byNodeKey)?.set(nodeInfo.name, found.podVolumes);
    return Status.success();
  }

  /** AssumePodVolumes: the node's choice becomes visible to the next cycles. */
  reserve(state: CycleState, _pod: Pod, nodeName: string): Status {
    const podVolumes = state.read<Map<string, PodVolumes>>(byNodeKey)?.get(nodeName);
    if (!podVolumes) return Status.success();
    const allBound = podVolumes.staticBindings.length === 0 && podVolumes.dynamicProvisions.length === 0;
    for (const { pv } of podVolumes.staticBindings) this.pvCache.assume(pv.metadata?.name ?? '', pv);
    for (const pvc of podVolumes.dynamicProvisions) this.pvcCache.assume(claimKey(pvc), pvc);
    state.write(reservedKey, { allBound, podVolumes } satisfies Reserved);
    return Status.success();
  }

  /** RevertAssumedPodVolumes. */
  unreserve(state: CycleState): void {
    const reserved = state.read<Reserved>(reservedKey);
    if (!reserved?.podVolumes) return;
    for (const { pv } of reserved.podVolumes.staticBindings) this.pvCache.restore(pv.metadata?.name ?? '');
    for (const pvc of reserved.podVolumes.dynamicProvisions) this.pvcCache.restore(claimKey(pvc));
  }

  /** BindPodVolumes: write the choice, then wait until every claim is bound. */
  async preBind(state: CycleState, _pod: Pod, nodeName: string): Promise<Status> {
    const reserved = state.read<Reserved>(reservedKey);
    if (!reserved?.podVolumes || reserved.allBound) return Status.success();
    const { podVolumes } = reserved;
    const effects = this.handle.effects;
    if (!effects.updatePersistentVolume || !effects.updatePersistentVolumeClaim) return Status.error('volume binding writes are not available');
    const written = new Map<string, string>();
    try {
      for (const { pv } of podVolumes.staticBindings) {
        const stored = await effects.updatePersistentVolume(pv);
        written.set(`pv/${pv.metadata?.name}`, stored.metadata?.resourceVersion ?? '');
      }
      for (const pvc of podVolumes.dynamicProvisions) {
        const stored = await effects.updatePersistentVolumeClaim(pvc);
        written.set(`pvc/${claimKey(pvc)}`, stored.metadata?.resourceVersion ?? '');
      }
    } catch (e) {
      return Status.error(e as Error);
    }
    const node = this.handle.snapshot().nodeInfos().get(nodeName)?.node;
    const view = {
      claim: (key: string) => this.pvcCache.getAPIObject(key),
      volume: (n: string) => this.pvCache.getAPIObject(n),
      stale: (obj: { metadata?: { resourceVersion?: string } } | undefined, w: string | undefined) => olderVersion(obj?.metadata?.resourceVersion, w),
    };
    const deadline = this.handle.now().getTime() + this.bindTimeoutMs;
    const signal = this.handle.stopSignal;
    for (;;) {
      const r = checkBindings(podVolumes, written, node, view);
      if ('error' in r) return Status.error(`binding volumes: ${r.error}`);
      if (r.done) return Status.success();
      if (signal?.aborted) return Status.error('binding volumes: context canceled');
      if (this.handle.now().getTime() >= deadline) return Status.error('binding volumes: context deadline exceeded');
      await this.wait(this.pollIntervalMs, signal);
    }
  }

  eventsToRegister(): readonly ClusterEvent[] {
    return ['PVCAdd', 'PVCUpdate', 'PVAdd', 'PVUpdate', 'StorageClassAdd', 'NodeAdd', 'NodeUpdate'];
  }
}
