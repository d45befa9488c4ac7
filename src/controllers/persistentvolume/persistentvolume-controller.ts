/**
 * The PersistentVolume binder (kube-controller-manager's `persistentvolume-binder`,
 * pkg/controller/volume/persistentvolume/pv_controller_base.go): binds claims to volumes, keeps
 * both phases, marks claims of a provisioner's class for that (external) provisioner, and
 * reclaims volumes whose claim is gone. The decisions are in sync.ts; this file reads the caches,
 * applies one write per pass and records the events.
 *
 * Keys: `claim/<namespace>/<name>` and `volume/<name>`. Unbound claims are looked at again every
 * 15 s (upstream's --pvclaimbinder-sync-period), and whenever a volume or class appears.
 */
import type { PersistentVolume, PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1.js';
import type { StorageClass } from 'kubernetes-types/storage/v1.js';
import { isStatusError } from '../../api/errors.js';
import type { ApiObject } from '../../api/object.js';
import { builtinRefs } from '../../client/builtin-refs.js';
import { namespaceIndex } from '../../client/cache.js';
import type { ResourceRef } from '../../client/resource-path.js';
import type { ControllerContext, RunnableController } from '../context.js';
import { Controller, type ReconcileResult } from '../controller.js';
import { annBindCompleted, defaultClass } from './matching.js';
import { type SyncResult, syncClaim, syncVolume } from './sync.js';

export const persistentVolumesResource: ResourceRef = { group: '', version: 'v1', plural: 'persistentvolumes', namespaced: false };
export const storageClassesResource: ResourceRef = { group: 'storage.k8s.io', version: 'v1', plural: 'storageclasses', namespaced: false };
const claimsResource: ResourceRef = builtinRefs.persistentvolumeclaims;
const podsResource: ResourceRef = builtinRefs.pods;

/** --pvclaimbinder-sync-period. */
export const claimResyncMs = 15_000;

/** Names of the unscheduled pods in `pods` that use the claim (findNonScheduledPodsByPVC). */
export function unscheduledPodsOfClaim(pods: readonly Pod[], claim: PersistentVolumeClaim): string[] {
  const out: string[] = [];
  for (const p of pods) {
    if (p.spec?.nodeName || p.metadata?.namespace !== claim.metadata?.namespace) continue;
    const uses = (p.spec?.volumes ?? []).some(
      (v) => v.persistentVolumeClaim?.claimName === claim.metadata?.name || (v.ephemeral && `${p.metadata?.name}-${v.name}` === claim.metadata?.name),
    );
    if (uses) out.push(p.metadata?.name ?? '');
  }
  return out.sort();
}

export function createPersistentVolumeController(ctx: ControllerContext): RunnableController {
  const claims = ctx.informers.informerFor<ApiObject>(claimsResource);
  const volumes = ctx.informers.informerFor<ApiObject>(persistentVolumesResource);
  const classes = ctx.informers.informerFor<ApiObject>(storageClassesResource);
  const pods = ctx.informers.informerFor<ApiObject>(podsResource);

  const claimKey = (ns: string | undefined, name: string | undefined) => `claim/${ns}/${name}`;
  const enqueuePendingClaims = () => {
    for (const c of claims.list()) if (!Object.hasOwn(c.metadata.annotations ?? {}, annBindCompleted)) controller.enqueue(claimKey(c.metadata.namespace, c.metadata.name));
  };

  const record = (result: SyncResult, claim: PersistentVolumeClaim | undefined, volume: PersistentVolume | undefined) => {
    for (const e of result.events) {
      const obj = e.on === 'claim' ? claim : volume;
      if (obj) ctx.recorder.event(obj as ApiObject, e.type, e.reason, e.message);
    }
  };

  /** Applies the write (and nothing else: the write's informer event brings the next pass). */
  const apply = async (result: SyncResult, signal: AbortSignal): Promise<void> => {
    const w = result.write;
    switch (w.kind) {
      case 'none':
        return;
      case 'enqueueClaim':
        controller.enqueue(claimKey(w.namespace, w.name));
        return;
      case 'updateClaim':
        await ctx.client.update(claimsResource, w.pvc as ApiObject, { signal });
        return;
      case 'updateClaimStatus':
        await ctx.client.updateStatus(claimsResource, w.pvc as ApiObject, { signal });
        return;
      case 'updateVolume':
        await ctx.client.update(persistentVolumesResource, w.pv as ApiObject, { signal });
        return;
      case 'updateVolumeStatus':
        await ctx.client.updateStatus(persistentVolumesResource, w.pv as ApiObject, { signal });
        return;
      case 'releaseVolume': {
        // The claim may exist but not have reached the cache yet (a volume made by a provisioner or
        // pre-bound by the scheduler): ask the API server before releasing.
        const ref = w.pv.spec!.claimRef!;
        try {
          const live = await ctx.client.get<ApiObject>(claimsResource, ref.name ?? '', { namespace: ref.namespace, signal });
          if (live.metadata.uid === ref.uid) return;
        } catch (e) {
          if (!(isStatusError(e) && e.code === 404)) throw e;
        }
        await ctx.client.updateStatus(persistentVolumesResource, w.pv as ApiObject, { signal });
        return;
      }
    }
  };

  const syncClaimKey = async (ns: string, name: string, signal: AbortSignal): Promise<ReconcileResult | void> => {
    const claim = claims.get(`${ns}/${name}`) as PersistentVolumeClaim | undefined;
    if (!claim || claim.metadata?.deletionTimestamp) return;
    const allClasses = classes.list() as unknown as StorageClass[];
    const result = syncClaim({
      claim,
      volumes: volumes.list() as unknown as PersistentVolume[],
      storageClass: (n) => classes.get(n) as unknown as StorageClass | undefined,
      defaultClass: defaultClass(allClasses),
      unscheduledPods: unscheduledPodsOfClaim(pods.byIndex(namespaceIndex, ns) as unknown as Pod[], claim),
    });
    if (result.error) throw new Error(result.error);
    await apply(result, signal);
    const volume = claim.spec?.volumeName ? (volumes.get(claim.spec.volumeName) as PersistentVolume | undefined) : undefined;
    record(result, claim, volume);
    if (!Object.hasOwn(claim.metadata?.annotations ?? {}, annBindCompleted) && result.write.kind === 'none') return { requeueAfterMs: claimResyncMs };
  };

  const syncVolumeKey = async (name: string, signal: AbortSignal): Promise<void> => {
    const pv = volumes.get(name) as PersistentVolume | undefined;
    if (!pv) return;
    const ref = pv.spec?.claimRef;
    const claim = ref ? (claims.get(`${ref.namespace}/${ref.name}`) as PersistentVolumeClaim | undefined) : undefined;
    const result = syncVolume(pv, claim);
    if (result.error) throw new Error(result.error);
    await apply(result, signal);
    record(result, claim, pv);
  };

  const controller = new Controller({
    name: 'persistentvolume-binder',
    informers: [claims, volumes, classes, pods],
    workers: 1,
    clock: ctx.clock,
    logger: ctx.logger,
    async reconcile(key, signal) {
      try {
        if (key.startsWith('volume/')) return await syncVolumeKey(key.slice(7), signal);
        const [ns, name] = key.slice(6).split('/');
        return await syncClaimKey(ns!, name!, signal);
      } catch (e) {
        // Another writer got there first: the informer event brings the object back.
        if (isStatusError(e) && (e.code === 404 || e.code === 409)) return { requeueAfterMs: 100 };
        throw e;
      }
    },
  });

  const onClaim = (o: ApiObject) => {
    controller.enqueue(claimKey(o.metadata.namespace, o.metadata.name));
    const volumeName = (o as unknown as PersistentVolumeClaim).spec?.volumeName;
    if (volumeName) controller.enqueue(`volume/${volumeName}`);
  };
  claims.addEventHandler({
    onAdd: onClaim,
    onUpdate: (_old, o) => onClaim(o),
    onDelete: (o) => {
      // Every volume that pointed at the claim is to be released.
      for (const v of volumes.list() as unknown as PersistentVolume[]) {
        const ref = v.spec?.claimRef;
        if (ref && ref.namespace === o.metadata.namespace && ref.name === o.metadata.name) controller.enqueue(`volume/${v.metadata?.name}`);
      }
    },
  });
  const onVolume = (o: ApiObject) => {
    controller.enqueue(`volume/${o.metadata.name}`);
    const ref = (o as unknown as PersistentVolume).spec?.claimRef;
    if (ref?.name) controller.enqueue(claimKey(ref.namespace, ref.name));
    else enqueuePendingClaims();
  };
  volumes.addEventHandler({ onAdd: onVolume, onUpdate: (_old, o) => onVolume(o), onDelete: onVolume });
  classes.addEventHandler({ onAdd: () => enqueuePendingClaims(), onUpdate: () => enqueuePendingClaims() });

  return { start: (signal) => controller.start(signal) };
}
