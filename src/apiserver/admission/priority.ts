/**
 * The Priority admission plugin (plugin/pkg/admission/priority): resolves a pod's
 * priorityClassName (or the cluster's globalDefault class) into spec.priority and
 * spec.preemptionPolicy, and keeps PriorityClasses to at most one global default.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { PriorityClass } from 'kubernetes-types/scheduling/v1.js';
import { StatusError } from '../../api/errors.js';
import type { ApiObject } from '../../api/object.js';
import type { ResourceDef } from '../../api/resource.js';
import type { Admission, Operation } from '../registry/services.js';

const forbidden = (def: ResourceDef, name: string, message: string) =>
  new StatusError(403, 'Forbidden', `${def.group ? `${def.plural}.${def.group}` : def.plural} "${name}" is forbidden: ${message}`, { name, group: def.group || undefined, kind: def.plural });

export class PriorityAdmission implements Admission {
  /**
   * `listClasses` returns every PriorityClass (a small set), possibly from a cache that trails the
   * newest writes (as upstream's lister does); `fresh` asks for a read of storage.
   */
  constructor(private readonly listClasses: (fresh: boolean) => Promise<PriorityClass[]>) {}

  async admit(op: Operation, def: ResourceDef, obj: ApiObject): Promise<void> {
    if (op !== 'CREATE') return;
    if (!def.group && def.kind === 'Pod') return this.admitPod(def, obj as unknown as Pod);
    if (def.group === 'scheduling.k8s.io' && def.kind === 'PriorityClass' && (obj as unknown as PriorityClass).globalDefault) {
      const other = (await this.listClasses(true)).find((pc) => pc.globalDefault && pc.metadata?.name !== obj.metadata.name);
      if (other) throw forbidden(def, obj.metadata.name ?? '', `PriorityClass ${other.metadata?.name} is already marked as default. Only one default can exist`);
    }
  }

  private async admitPod(def: ResourceDef, pod: Pod): Promise<void> {
    const spec = (pod.spec ?? {}) as NonNullable<Pod['spec']> & { priority?: number; preemptionPolicy?: string };
    let classes = await this.listClasses(false);
    let value = 0;
    let policy: string | undefined;
    if (spec.priorityClassName) {
      const named = (cs: PriorityClass[]) => cs.find((c) => c.metadata?.name === spec.priorityClassName);
      // A class created a moment ago may not be in the cache yet.
      const pc = named(classes) ?? named((classes = await this.listClasses(true)));
      if (!pc) throw forbidden(def, pod.metadata?.name ?? '', `no PriorityClass with name ${spec.priorityClassName} was found`);
      value = pc.value;
      policy = pc.preemptionPolicy;
    } else {
      const dflt = classes.filter((c) => c.globalDefault).sort((a, b) => a.value - b.value)[0];
      if (dflt) {
        spec.priorityClassName = dflt.metadata?.name;
        value = dflt.value;
        policy = dflt.preemptionPolicy;
      }
    }
    if (spec.priority !== undefined && spec.priority !== null && spec.priority !== value)
      throw forbidden(def, pod.metadata?.name ?? '', `the integer value of priority (${spec.priority}) must not be provided in pod spec; priority admission controller computed ${value} from the given PriorityClass name`);
    spec.priority = value;
    const effective = policy ?? 'PreemptLowerPriority';
    if (spec.preemptionPolicy && spec.preemptionPolicy !== effective)
      throw forbidden(def, pod.metadata?.name ?? '', `the string value of PreemptionPolicy (${spec.preemptionPolicy}) must not be provided in pod spec; priority admission controller computed ${effective} from the given PriorityClass name`);
    spec.preemptionPolicy = effective;
  }
}
