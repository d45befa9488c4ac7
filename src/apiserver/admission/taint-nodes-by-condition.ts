/**
 * The TaintNodesByCondition admission plugin (plugin/pkg/admission/nodetaint): a new Node starts
 * with the `node.kubernetes.io/not-ready:NoSchedule` taint, so nothing is scheduled onto it before
 * the node lifecycle controller has seen it report Ready and removed the taint.
 */
import type { Node } from 'kubernetes-types/core/v1.js';
import type { ApiObject } from '../../api/object.js';
import type { ResourceDef } from '../../api/resource.js';
import type { Admission, Operation } from '../registry/services.js';

const notReadyTaint = { key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' } as const;

export class TaintNodesByCondition implements Admission {
  async admit(op: Operation, def: ResourceDef, obj: ApiObject, _old: ApiObject | undefined, opts: { subresource?: string }): Promise<void> {
    if (op !== 'CREATE' || def.group || def.kind !== 'Node' || opts.subresource) return;
    const node = obj as unknown as Node;
    const spec = (node.spec ??= {});
    const taints = spec.taints ?? [];
    if (taints.some((t) => t.key === notReadyTaint.key && t.effect === notReadyTaint.effect)) return;
    spec.taints = [...taints, { ...notReadyTaint }];
  }
}
