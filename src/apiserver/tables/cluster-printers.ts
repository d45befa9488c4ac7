/**
 * Printers for autoscaling, policy, coordination, storage, scheduling and RBAC kinds:
 * HorizontalPodAutoscaler, PodDisruptionBudget, Lease, StorageClass, PriorityClass,
 * RoleBinding and ClusterRoleBinding. Follows pkg/printers/internalversion/printers.go (v1.32).
 */
import type { HorizontalPodAutoscaler, MetricSpec, MetricStatus } from 'kubernetes-types/autoscaling/v2.js';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { StorageClass } from 'kubernetes-types/storage/v1.js';
import type { PriorityClass } from 'kubernetes-types/scheduling/v1.js';
import type { ClusterRoleBinding, RoleBinding, Subject } from 'kubernetes-types/rbac/v1.js';
import { ageColumn, column, int, intOrString, nameColumn, quantityString, wide } from './format.js';
import { translateTimestampSince } from './duration.js';
import type { Printer } from './printer.js';

const age = (o: { metadata?: { creationTimestamp?: string } }, now: Date): string => translateTimestampSince(o.metadata?.creationTimestamp, now);
const name = (o: { metadata?: { name?: string } }): string => o.metadata?.name ?? '';

/** An autoscaling/v1 HPA's CPU target, in the v2 (internal) metric shape its conversion gives. */
interface HpaV1Fields {
  spec?: { targetCPUUtilizationPercentage?: number };
  status?: { currentCPUUtilizationPercentage?: number };
}

function hpaMetrics(hpa: HorizontalPodAutoscaler & HpaV1Fields): { specs: MetricSpec[]; statuses: MetricStatus[] } {
  if (hpa.spec?.metrics !== undefined || hpa.spec?.targetCPUUtilizationPercentage === undefined) {
    return { specs: hpa.spec?.metrics ?? [], statuses: hpa.status?.currentMetrics ?? [] };
  }
  const specs: MetricSpec[] = [
    { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: hpa.spec.targetCPUUtilizationPercentage } } },
  ];
  const current = hpa.status?.currentCPUUtilizationPercentage;
  const statuses: MetricStatus[] = current === undefined ? [] : [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: current } } }];
  return { specs, statuses };
}

/** formatHPAMetrics: at most two targets as `current/target`, then ` + N more...`. */
export function formatHPAMetrics(specs: readonly MetricSpec[], statuses: readonly MetricStatus[]): string {
  if (specs.length === 0) return '<none>';
  const list: string[] = [];
  const max = 2;
  specs.forEach((spec, i) => {
    const st = statuses[i];
    switch (spec.type) {
      case 'External': {
        const t = spec.external?.target;
        if (t?.averageValue !== undefined) {
          const cur = st?.external?.current?.averageValue !== undefined ? quantityString(st.external.current.averageValue) : '<unknown>';
          list.push(`${cur}/${quantityString(t.averageValue)} (avg)`);
        } else {
          const cur = st?.external ? quantityString(st.external.current?.value) : '<unknown>';
          list.push(`${cur}/${quantityString(t?.value)}`);
        }
        break;
      }
      case 'Pods': {
        const cur = st?.pods ? quantityString(st.pods.current?.averageValue) : '<unknown>';
        list.push(`${cur}/${quantityString(spec.pods?.target?.averageValue)}`);
        break;
      }
      case 'Object': {
        const t = spec.object?.target;
        if (t?.averageValue !== undefined) {
          const cur = st?.object?.current?.averageValue !== undefined ? quantityString(st.object.current.averageValue) : '<unknown>';
          list.push(`${cur}/${quantityString(t.averageValue)} (avg)`);
        } else {
          const cur = st?.object ? quantityString(st.object.current?.value) : '<unknown>';
          list.push(`${cur}/${quantityString(t?.value)}`);
        }
        break;
      }
      case 'Resource':
      case 'ContainerResource': {
        const src = spec.type === 'Resource' ? spec.resource : spec.containerResource;
        const cur = spec.type === 'Resource' ? st?.resource?.current : st?.containerResource?.current;
        const present = spec.type === 'Resource' ? !!st?.resource : !!st?.containerResource;
        if (src?.target?.averageValue !== undefined) {
          const c = present ? quantityString(cur?.averageValue) : '<unknown>';
          list.push(`${src.name}: ${c}/${quantityString(src.target.averageValue)}`);
        } else {
          const c = present && cur?.averageUtilization !== undefined ? `${cur.averageUtilization}%` : '<unknown>';
          const target = src?.target?.averageUtilization !== undefined ? `${src.target.averageUtilization}%` : '<auto>';
          list.push(`${src?.name ?? ''}: ${c}/${target}`);
        }
        break;
      }
      default:
        list.push('<unknown type>');
    }
  });
  const count = list.length;
  if (count > max) return `${list.slice(0, max).join(', ')} + ${count - max} more...`;
  return list.join(', ');
}

export const horizontalPodAutoscalerPrinter: Printer<HorizontalPodAutoscaler> = {
  columns: [
    nameColumn(),
    column('Reference', 'string', 'autoscaling.HorizontalPodAutoscalerSpec.scaleTargetRef'),
    column('Targets', 'string', 'autoscaling.HorizontalPodAutoscalerSpec.metrics'),
    column('MinPods', 'string', 'autoscaling.HorizontalPodAutoscalerSpec.minReplicas'),
    column('MaxPods', 'string', 'autoscaling.HorizontalPodAutoscalerSpec.maxReplicas'),
    column('Replicas', 'string', 'autoscaling.HorizontalPodAutoscalerStatus.currentReplicas'),
    ageColumn(),
  ],
  cells(hpa, now) {
    const ref = hpa.spec?.scaleTargetRef;
    const { specs, statuses } = hpaMetrics(hpa);
    const min = hpa.spec?.minReplicas;
    return [
      name(hpa),
      `${ref?.kind ?? ''}/${ref?.name ?? ''}`,
      formatHPAMetrics(specs, statuses),
      min === undefined || min === null ? '<unset>' : String(min),
      int(hpa.spec?.maxReplicas),
      int(hpa.status?.currentReplicas),
      age(hpa, now),
    ];
  },
};

export const podDisruptionBudgetPrinter: Printer<PodDisruptionBudget> = {
  columns: [
    nameColumn(),
    column('Min Available', 'string', 'The minimum number of pods that must be available.'),
    column('Max Unavailable', 'string', 'The maximum number of pods that may be unavailable.'),
    column('Allowed Disruptions', 'integer', 'Calculated number of pods that may be disrupted at this time.'),
    ageColumn(),
  ],
  cells: (pdb, now) => [
    name(pdb),
    pdb.spec?.minAvailable !== undefined ? intOrString(pdb.spec.minAvailable) : 'N/A',
    pdb.spec?.maxUnavailable !== undefined ? intOrString(pdb.spec.maxUnavailable) : 'N/A',
    int(pdb.status?.disruptionsAllowed),
    age(pdb, now),
  ],
};

export const leasePrinter: Printer<Lease> = {
  columns: [nameColumn(), column('Holder', 'string', 'coordination.LeaseSpec.holderIdentity'), ageColumn()],
  cells: (l, now) => [name(l), l.spec?.holderIdentity ?? '', age(l, now)],
};

/** storageutil.IsDefaultAnnotation: the GA or beta default-class annotation set to "true". */
function isDefaultStorageClass(annotations: Record<string, string> | undefined): boolean {
  return annotations?.['storageclass.kubernetes.io/is-default-class'] === 'true' || annotations?.['storageclass.beta.kubernetes.io/is-default-class'] === 'true';
}

export const storageClassPrinter: Printer<StorageClass> = {
  columns: [
    nameColumn(),
    column('Provisioner', 'string', 'storage.StorageClass.provisioner'),
    column('ReclaimPolicy', 'string', 'storage.StorageClass.reclaimPolicy'),
    column('VolumeBindingMode', 'string', 'storage.StorageClass.volumeBindingMode'),
    column('AllowVolumeExpansion', 'string', 'storage.StorageClass.allowVolumeExpansion'),
    ageColumn(),
  ],
  cells: (sc, now) => [
    name(sc) + (isDefaultStorageClass(sc.metadata?.annotations) ? ' (default)' : ''),
    sc.provisioner ?? '',
    sc.reclaimPolicy ?? 'Delete',
    sc.volumeBindingMode ?? 'Immediate',
    sc.allowVolumeExpansion ?? false,
    age(sc, now),
  ],
};

export const priorityClassPrinter: Printer<PriorityClass> = {
  columns: [
    nameColumn(),
    column('Value', 'integer', 'scheduling.PriorityClass.value'),
    column('Global-Default', 'boolean', 'scheduling.PriorityClass.globalDefault'),
    ageColumn(),
    // Upstream declares this column without a wide priority but fills it only when printing wide.
    column('PreemptionPolicy', 'string', 'scheduling.PriorityClass.preemptionPolicy'),
  ],
  cells: (pc, now) => [name(pc), int(pc.value), pc.globalDefault ?? false, age(pc, now), pc.preemptionPolicy ?? ''],
};

/** rbac.SubjectsStrings: users, groups and `namespace/name` service accounts. */
function subjectsStrings(subjects: readonly Subject[] | undefined): [string, string, string] {
  const users: string[] = [];
  const groups: string[] = [];
  const sas: string[] = [];
  for (const s of subjects ?? []) {
    if (s.kind === 'ServiceAccount') sas.push(`${s.namespace ?? ''}/${s.name}`);
    else if (s.kind === 'User') users.push(s.name);
    else if (s.kind === 'Group') groups.push(s.name);
  }
  return [users.join(', '), groups.join(', '), sas.join(', ')];
}

function bindingPrinter(scope: 'roleBinding' | 'clusterRoleBinding'): Printer<RoleBinding | ClusterRoleBinding> {
  return {
    columns: [
      nameColumn(),
      column('Role', 'string', scope === 'roleBinding' ? 'rbac.RoleBinding.roleRef' : 'rbac.ClusterRoleBinding.roleRef'),
      ageColumn(),
      column('Users', 'string', `Users in the ${scope}`, { priority: wide }),
      column('Groups', 'string', `Groups in the ${scope}`, { priority: wide }),
      column('ServiceAccounts', 'string', `ServiceAccounts in the ${scope}`, { priority: wide }),
    ],
    cells: (b, now) => [name(b), `${b.roleRef?.kind ?? ''}/${b.roleRef?.name ?? ''}`, age(b, now), ...subjectsStrings(b.subjects)],
  };
}

export const roleBindingPrinter = bindingPrinter('roleBinding');
export const clusterRoleBindingPrinter = bindingPrinter('clusterRoleBinding');
