/**
 * The built-in local-path provisioner, run by the controller manager as an external provisioner
 * would run beside it: it keeps the default StorageClass `local-path` (provisioner
 * `capstan.io/local-path`, WaitForFirstConsumer, Delete), makes a `local` PersistentVolume under
 * `<dataDir>/local-path/<pv>` on the node the scheduler selected for each claim the PV controller
 * handed to it, pre-bound to the claim (the PV controller completes the binding), and deletes the
 * volumes the PV controller released. The node agent creates the directory on first use and
 * removes directories whose volume no longer exists.
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
import type { StorageClass } from 'kubernetes-types/storage/v1.js';
import { type ClaimAction, claimAction, claimClassName, defaultStorageClass, localPathProvisionerName, shouldDeleteVolume, volumeNameForClaim } from './decisions.js';

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
  const classes = ctx.informers.informerFor<ApiObject>(storageClassesResource);

  const provision = async (pvc: PersistentVolumeClaim, action: ClaimAction, signal: AbortSignal): Promise<void> => {
    if (action.kind !== 'createVolume') return;
    const claim = pvc as ApiObject;
    ctx.recorder.event(claim, 'Normal', 'Provisioning', `External provisioner is provisioning volume for claim "${pvc.metadata?.namespace}/${pvc.metadata?.name}"`);
    try {
      await ctx.client.create(persistentVolumesResource, action.pv as ApiObject, { signal });
    } catch (e) {
      if (isStatusError(e) && e.code === 409) return; // made by an earlier pass
      ctx.recorder.event(claim, 'Warning', 'ProvisioningFailed', `failed to provision volume with StorageClass "${action.pv.spec?.storageClassName}": ${(e as Error).message}`);
      throw e;
    }
    ctx.recorder.event(claim, 'Normal', 'ProvisioningSucceeded', `Successfully provisioned volume ${action.pv.metadata?.name}`);
  };

  const controller = new Controller({
    name: 'local-path-provisioner',
    informers: [claims, volumes, classes],
    workers: 1,
    clock: ctx.clock,
    logger: ctx.logger,
    async reconcile(key, signal) {
      try {
        if (key.startsWith('pv/')) {
          const pv = volumes.get(key.slice(3)) as PersistentVolume | undefined;
          if (!pv) return;
          if (shouldDeleteVolume(pv)) await ctx.client.delete(persistentVolumesResource, pv.metadata!.name!, { signal });
          return;
        }
        const pvc = claims.get(key.slice(4)) as PersistentVolumeClaim | undefined;
        if (!pvc) return;
        const pv = volumes.get(volumeNameForClaim(pvc)) as PersistentVolume | undefined;
        const className = claimClassName(pvc);
        const sc = className ? (classes.get(className) as unknown as StorageClass | undefined) : undefined;
        if (sc && sc.provisioner !== localPathProvisionerName) return;
        await provision(pvc, claimAction(pvc, pv, opts.dataDir, sc?.reclaimPolicy ?? 'Delete'), signal);
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
