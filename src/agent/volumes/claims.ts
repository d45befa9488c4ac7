/**
 * persistentVolumeClaim volumes: the bound PersistentVolume behind a pod's claim, checked the way
 * the kubelet's desired-state populator does (pkg/kubelet/volumemanager/populator, v1.32), and
 * the host path of the volume types this agent can mount (`local` and `hostPath`).
 */
import type { PersistentVolume, PersistentVolumeClaim } from 'kubernetes-types/core/v1.js';

/** The annotation a dynamic provisioner sets on the volumes it made. */
export const annProvisionedBy = 'pv.kubernetes.io/provisioned-by';

export interface ClaimLookups {
  persistentVolumeClaim(namespace: string, name: string): PersistentVolumeClaim | undefined;
  persistentVolume(name: string): PersistentVolume | undefined;
}

export interface ResolvedClaim {
  pv: PersistentVolume;
  hostPath: string;
  /** The hostPath volume's declared type, checked before use. */
  hostPathType?: string;
  readOnly: boolean;
}

/** The claim's volume, or the populator's error text (`error processing PVC ns/name: ...`). */
export function resolveClaim(namespace: string, claimName: string, readOnly: boolean | undefined, lookups: ClaimLookups): ResolvedClaim | { error: string } {
  const fail = (why: string) => ({ error: `error processing PVC ${namespace}/${claimName}: ${why}` });
  const pvc = lookups.persistentVolumeClaim(namespace, claimName);
  if (!pvc) return fail(`failed to fetch PVC from API server: persistentvolumeclaims "${claimName}" not found`);
  if (pvc.metadata?.deletionTimestamp) return fail('PVC is being deleted');
  if (pvc.status?.phase !== 'Bound') return fail('PVC is not bound');
  const pvName = pvc.spec?.volumeName ?? '';
  if (!pvName) return fail('PVC has empty pvc.Spec.VolumeName');
  const pv = lookups.persistentVolume(pvName);
  if (!pv) return fail(`failed to fetch PV ${pvName} from API server: persistentvolumes "${pvName}" not found`);
  const claimRef = pv.spec?.claimRef;
  if (!claimRef) return fail(`found PV object ${pvName} but it has a nil pv.Spec.ClaimRef indicating it is not yet bound to the claim`);
  if ((claimRef.uid ?? '') !== (pvc.metadata?.uid ?? '')) return fail(`found PV object ${pvName} but its pv.Spec.ClaimRef.UID ${claimRef.uid ?? ''} does not point to claim.UID ${pvc.metadata?.uid ?? ''}`);
  if (pv.spec?.volumeMode === 'Block') return fail(`volume ${pvName} has volumeMode "Block", which this node cannot mount as a filesystem`);
  const ro = !!readOnly;
  if (pv.spec?.local) return { pv, hostPath: pv.spec.local.path, readOnly: ro };
  if (pv.spec?.hostPath) return { pv, hostPath: pv.spec.hostPath.path, hostPathType: pv.spec.hostPath.type, readOnly: ro };
  return fail(`no volume plugin matched persistentvolume "${pvName}" (this node mounts local and hostPath volumes only)`);
}
