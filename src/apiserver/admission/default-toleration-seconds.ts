/**
 * The DefaultTolerationSeconds admission plugin (plugin/pkg/admission/defaulttolerationseconds):
 * every new pod that does not already tolerate the `node.kubernetes.io/not-ready` or
 * `node.kubernetes.io/unreachable` NoExecute taint gets a toleration of it for
 * `defaultTolerationSeconds` (300 s upstream), so pods leave a failed node after five minutes.
 */
import type { Pod, Toleration } from 'kubernetes-types/core/v1.js';
import type { ApiObject } from '../../api/object.js';
import type { ResourceDef } from '../../api/resource.js';
import type { Admission, Operation } from '../registry/services.js';

export const defaultTolerationSecondsDefault = 300;
const notReadyKey = 'node.kubernetes.io/not-ready';
const unreachableKey = 'node.kubernetes.io/unreachable';

/** True when one of `tolerations` already covers `key`'s NoExecute taint (by key or as a wildcard). */
const covers = (tolerations: readonly Toleration[], key: string): boolean =>
  tolerations.some((t) => (t.key === key || !t.key) && (t.effect === 'NoExecute' || !t.effect));

export class DefaultTolerationSeconds implements Admission {
  constructor(
    private readonly notReadySeconds = defaultTolerationSecondsDefault,
    private readonly unreachableSeconds = defaultTolerationSecondsDefault,
  ) {}

  async admit(op: Operation, def: ResourceDef, obj: ApiObject, _old: ApiObject | undefined, opts: { subresource?: string }): Promise<void> {
    if (op !== 'CREATE' || def.group || def.kind !== 'Pod' || opts.subresource) return;
    const pod = obj as unknown as Pod;
    if (!pod.spec) return;
    const tolerations = pod.spec.tolerations ?? [];
    const added: Toleration[] = [];
    if (!covers(tolerations, notReadyKey)) added.push({ key: notReadyKey, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: this.notReadySeconds });
    if (!covers(tolerations, unreachableKey)) added.push({ key: unreachableKey, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: this.unreachableSeconds });
    if (added.length) pod.spec.tolerations = [...tolerations, ...added];
  }
}
