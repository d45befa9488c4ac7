/**
 * The other core/v1 kinds with printers: Namespace, Secret, ServiceAccount, ConfigMap,
 * PersistentVolume, PersistentVolumeClaim, ResourceQuota, PodTemplate and
 * ReplicationController, following pkg/printers/internalversion/printers.go (v1.32).
 */
import type {
  ConfigMap,
  Namespace,
  PersistentVolume,
  PersistentVolumeClaim,
  PodTemplate,
  ReplicationController,
  ResourceQuota,
  Secret,
  ServiceAccount,
} from 'kubernetes-types/core/v1.js';
import { accessModesString, ageColumn, column, containersColumn, formatLabels, imagesColumn, int, layoutContainerCells, nameColumn, quantityString, wide } from './format.js';
import { translateTimestampSince } from './duration.js';
import type { Printer } from './printer.js';

const age = (o: { metadata?: { creationTimestamp?: string } }, now: Date): string => translateTimestampSince(o.metadata?.creationTimestamp, now);
const name = (o: { metadata?: { name?: string } }): string => o.metadata?.name ?? '';
const count = (o: object | undefined): number => Object.keys(o ?? {}).length;

/** The pre-storageClassName annotation that still wins over the field (helper.GetPersistentVolumeClass). */
const betaStorageClassAnnotation = 'volume.beta.kubernetes.io/storage-class';

export const namespacePrinter: Printer<Namespace> = {
  columns: [nameColumn(), column('Status', 'string', 'The status of the namespace'), ageColumn()],
  cells: (ns, now) => [name(ns), ns.status?.phase ?? '', age(ns, now)],
};

export const secretPrinter: Printer<Secret> = {
  columns: [nameColumn(), column('Type', 'string', 'core.Secret.type'), column('Data', 'string', 'core.Secret.data'), ageColumn()],
  cells: (s, now) => [name(s), s.type ?? '', count(s.data), age(s, now)],
};

export const serviceAccountPrinter: Printer<ServiceAccount> = {
  columns: [nameColumn(), column('Secrets', 'string', 'core.ServiceAccount.secrets'), ageColumn()],
  cells: (sa, now) => [name(sa), (sa.secrets ?? []).length, age(sa, now)],
};

export const configMapPrinter: Printer<ConfigMap> = {
  columns: [nameColumn(), column('Data', 'string', 'core.ConfigMap.data'), ageColumn()],
  cells: (cm, now) => [name(cm), count(cm.data) + count(cm.binaryData), age(cm, now)],
};

export const persistentVolumePrinter: Printer<PersistentVolume> = {
  columns: [
    nameColumn(),
    column('Capacity', 'string', 'core.PersistentVolumeSpec.capacity'),
    column('Access Modes', 'string', 'core.PersistentVolumeSpec.accessModes'),
    column('Reclaim Policy', 'string', 'core.PersistentVolumeSpec.persistentVolumeReclaimPolicy'),
    column('Status', 'string', 'core.PersistentVolumeStatus.phase'),
    column('Claim', 'string', 'core.PersistentVolumeSpec.claimRef'),
    column('StorageClass', 'string', 'StorageClass of the pv'),
    column('VolumeAttributesClass', 'string', 'VolumeAttributesClass of the pv'),
    column('Reason', 'string', 'core.PersistentVolumeStatus.reason'),
    ageColumn(),
    column('VolumeMode', 'string', 'core.PersistentVolumeSpec.volumeMode', { priority: wide }),
  ],
  cells(pv, now) {
    const spec = pv.spec ?? {};
    const claim = spec.claimRef ? `${spec.claimRef.namespace ?? ''}/${spec.claimRef.name ?? ''}` : '';
    const phase = pv.metadata?.deletionTimestamp ? 'Terminating' : (pv.status?.phase ?? '');
    const storageClass = pv.metadata?.annotations?.[betaStorageClassAnnotation] ?? spec.storageClassName ?? '';
    return [
      name(pv),
      quantityString(spec.capacity?.['storage']),
      accessModesString(spec.accessModes),
      spec.persistentVolumeReclaimPolicy ?? '',
      phase,
      claim,
      storageClass,
      spec.volumeAttributesClassName ?? '<unset>',
      pv.status?.reason ?? '',
      age(pv, now),
      spec.volumeMode ?? '<unset>',
    ];
  },
};

export const persistentVolumeClaimPrinter: Printer<PersistentVolumeClaim> = {
  columns: [
    nameColumn(),
    column('Status', 'string', 'core.PersistentVolumeClaimStatus.phase'),
    column('Volume', 'string', 'core.PersistentVolumeClaimSpec.volumeName'),
    column('Capacity', 'string', 'core.PersistentVolumeClaimStatus.capacity'),
    column('Access Modes', 'string', 'core.PersistentVolumeClaimStatus.accessModes'),
    column('StorageClass', 'string', 'StorageClass of the pvc'),
    column('VolumeAttributesClass', 'string', 'VolumeAttributesClass of the pvc'),
    ageColumn(),
    column('VolumeMode', 'string', 'core.PersistentVolumeClaimSpec.volumeMode', { priority: wide }),
  ],
  cells(pvc, now) {
    const spec = pvc.spec ?? {};
    const phase = pvc.metadata?.deletionTimestamp ? 'Terminating' : (pvc.status?.phase ?? '');
    // Capacity and access modes are those of the bound volume, so only shown once bound.
    const bound = !!spec.volumeName;
    const storageClass = pvc.metadata?.annotations?.[betaStorageClassAnnotation] ?? spec.storageClassName ?? '';
    return [
      name(pvc),
      phase,
      spec.volumeName ?? '',
      bound ? quantityString(pvc.status?.capacity?.['storage']) : '',
      bound ? accessModesString(pvc.status?.accessModes) : '',
      storageClass,
      spec.volumeAttributesClassName ?? '<unset>',
      age(pvc, now),
      spec.volumeMode ?? '<unset>',
    ];
  },
};

export const resourceQuotaPrinter: Printer<ResourceQuota> = {
  columns: [
    nameColumn(),
    column('Request', 'string', 'Request represents a minimum amount of cpu/memory that a container may consume.'),
    column('Limit', 'string', 'Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.'),
    ageColumn(),
  ],
  cells(rq, now) {
    const hard = rq.status?.hard ?? {};
    const used = rq.status?.used ?? {};
    const requests: string[] = [];
    const limits: string[] = [];
    for (const resource of Object.keys(hard).sort()) {
      // Resources named `limits.*` go to LIMIT; everything else (requests.*, pods, ...) to REQUEST.
      const target = resource.split('.').length > 1 && resource.split('.')[0] === 'limits' ? limits : requests;
      target.push(`${resource}: ${quantityString(used[resource])}/${quantityString(hard[resource])}`);
    }
    return [name(rq), requests.join(', '), limits.join(', '), age(rq, now)];
  },
};

export const podTemplatePrinter: Printer<PodTemplate> = {
  columns: [
    nameColumn(),
    containersColumn(0),
    imagesColumn(0),
    column('Pod Labels', 'string', 'The labels for the pod template.'),
  ],
  cells(pt) {
    const [names, images] = layoutContainerCells(pt.template?.spec?.containers);
    return [name(pt), names, images, formatLabels(pt.template?.metadata?.labels)];
  },
};

export const replicationControllerPrinter: Printer<ReplicationController> = {
  columns: [
    nameColumn(),
    column('Desired', 'integer', 'core.ReplicationControllerSpec.replicas'),
    column('Current', 'integer', 'core.ReplicationControllerStatus.replicas'),
    column('Ready', 'integer', 'core.ReplicationControllerStatus.readyReplicas'),
    ageColumn(),
    containersColumn(),
    imagesColumn(),
    column('Selector', 'string', 'core.ReplicationControllerSpec.selector', { priority: wide }),
  ],
  cells(rc, now) {
    const [names, images] = layoutContainerCells(rc.spec?.template?.spec?.containers);
    return [
      name(rc),
      rc.spec?.replicas ?? 1, // defaulted to 1
      int(rc.status?.replicas),
      int(rc.status?.readyReplicas),
      age(rc, now),
      names,
      images,
      formatLabels(rc.spec?.selector),
    ];
  },
};
