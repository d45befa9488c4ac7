/**
 * The built-in local-path provisioner, run by the controller manager: it keeps the default
 * StorageClass `local-path` (provisioner `capstan.io/local-path`, WaitForFirstConsumer, Delete),
 * makes a `local` PersistentVolume under `<dataDir>/local-path/<pv>` on the node the scheduler
 * selected for each claim of that class, binds claim and volume as the PV controller would, and
 * deletes the volume when its claim is gone. The node agent creates the directory on first use
 * and removes directories whose volume no longer exists.
 *
 * Keys: `pvc/<namespace>/<name>` for claims, `pv/<name>` for volumes.
 */
import type { PersistentVolume, PersistentVolumeClaim } from 'kubernetes-types/core/v1.js';
import { isStatusError } from '../../api/errors.js';
import type { ApiObject } from '../../api/object.js';
import { builtinRefs } from '../../client/builtin-refs.js';
import type { ResourceRef } from '../../client/resource-path.js';
import type { ControllerContext, RunnableController } from '../context.js';
import { Controller } from '../controller.js';
import { type ClaimAction, claimAction, defaultStorageClass, shouldDeleteVolume, volumeNameForClaim } from './decisions.js';

export const persistentVolumesResource: ResourceRef = { group: '', version: 'v1', plural: 'persistentvolumes', namespaced: false };
export const storageClassesResource: ResourceRef = { group: 'storage.k8s.io', version: 'v1', plural: 'storageclasses', namespaced: false };
const claimsResource: ResourceRef = builtinRefs.persistentvolumeclaims;

export interface LocalPathOptions {
  /** The nodes' data dir, as written into volume paths (every node is assumed to share it). */
  dataDir: string;
}

export function createLocalPathProvisioner(ctx: ControllerContext, opts: LocalPathOptions): RunnableController {
  const claims = ctx.informers.informerFor<ApiObject>(claimsResource);
  const volumes = ctx.informers.informerFor<ApiObject>(persistentVolumesResource);

  const apply = async (action: ClaimAction, signal: AbortSignal): Promise<void> => {
    switch (action.kind) {
      case 'none':
        return;
      case 'createVolume':
        await ctx.client.create(persistentVolumesResource, action.pv as ApiObject, { signal });
        return;
      case 'volumeStatus':
        await ctx.client.updateStatus(persistentVolumesResource, action.pv as ApiObject, { signal });
        return;
      case 'bindClaim':
        await ctx.client.update(claimsResource, action.pvc as ApiObject, { signal });
        return;
      case 'claimStatus':
        await ctx.client.updateStatus(claimsResource, action.pvc as ApiObject, { signal });
    }
  };

  const controller = new Controller({
    name: 'local-path-provisioner',
    informers: [claims, volumes],
    workers: 1,
    clock: ctx.clock,
    logger: ctx.logger,
    async reconcile(key, signal) {
      try {
        if (key.startsWith('pv/')) {
          const pv = volumes.get(key.slice(3)) as PersistentVolume | undefined;
          if (!pv) return;
          const ref = pv.spec?.claimRef;
          const claim = ref ? (claims.get(`${ref.namespace}/${ref.name}`) as PersistentVolumeClaim | undefined) : undefined;
          if (shouldDeleteVolume(pv, claim)) await ctx.client.delete(persistentVolumesResource, pv.metadata!.name!, { signal });
          else if (claim) controller.enqueue(`pvc/${ref!.namespace}/${ref!.name}`);
          return;
        }
        const pvc = claims.get(key.slice(4)) as PersistentVolumeClaim | undefined;
        if (!pvc) return;
        const pv = volumes.get(volumeNameForClaim(pvc)) as PersistentVolume | undefined;
        const action = claimAction(pvc, pv, opts.dataDir);
        await apply(action, signal);
        // One step per pass; the informer event of the write brings the next one.
      } catch (e) {
        if (isStatusError(e) && (e.code === 404 || e.code === 409)) {
          controller.enqueueAfter(key, 200);
          return;
        }
        throw e;
      }
    },
  });

  claims.addEventHandler({
    onAdd: (o) => controller.enqueue(`pvc/${o.metadata.namespace}/${o.metadata.name}`),
    onUpdate: (_old, o) => controller.enqueue(`pvc/${o.metadata.namespace}/${o.metadata.name}`),
    onDelete: (o) => {
      // The claim's volume is found by name, so a deleted claim leads straight to it.
      controller.enqueue(`pv/${volumeNameForClaim(o as PersistentVolumeClaim)}`);
    },
  });
  volumes.addEventHandler({
    onAdd: (o) => controller.enqueue(`pv/${o.metadata.name}`),
    onUpdate: (_old, o) => controller.enqueue(`pv/${o.metadata.name}`),
  });

  return {
    async start(signal: AbortSignal): Promise<void> {
      await ensureDefaultStorageClass(ctx, signal);
      await controller.start(signal);
    },
  };
}

/** Creates the `local-path` StorageClass unless it exists (an edited one is left alone). */
async function ensureDefaultStorageClass(ctx: ControllerContext, signal: AbortSignal): Promise<void> {
  try {
    await ctx.client.create(storageClassesResource, defaultStorageClass() as unknown as ApiObject, { signal });
  } catch (e) {
    if (isStatusError(e) && e.code === 409) return;
    if (signal.aborted) return;
    ctx.logger.warn(`could not create the local-path StorageClass: ${(e as Error).message}`);
  }
}
