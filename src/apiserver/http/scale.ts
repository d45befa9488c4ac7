/**
 * The /scale subresource (autoscaling/v1 Scale) over a resource's replicas, as upstream's
 * ScaleREST for Deployments, ReplicaSets, StatefulSets and ReplicationControllers.
 */
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import { badRequest, invalidError } from '../../api/errors.js';
import { type ApiObject, deepCopy, isPlainObject } from '../../api/object.js';
import type { ResourceDef } from '../../api/resource.js';
import type { UpdateTransform } from '../registry/generic-store.js';

function selectorString(sel: LabelSelector | Record<string, string> | undefined, rc: boolean): string {
  if (!sel) return '';
  if (rc) return Object.entries(sel as Record<string, string>).map(([k, v]) => `${k}=${v}`).join(',');
  const ls = sel as LabelSelector;
  const parts = Object.entries(ls.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of ls.matchExpressions ?? []) {
    switch (e.operator) {
      case 'In':
        parts.push(`${e.key} in (${[...(e.values ?? [])].sort().join(',')})`);
        break;
      case 'NotIn':
        parts.push(`${e.key} notin (${[...(e.values ?? [])].sort().join(',')})`);
        break;
      case 'Exists':
        parts.push(e.key);
        break;
      case 'DoesNotExist':
        parts.push(`!${e.key}`);
        break;
    }
  }
  return parts.sort().join(',');
}

export function getScale(def: ResourceDef, obj: ApiObject): ApiObject {
  const spec = (obj.spec ?? {}) as { replicas?: number; selector?: LabelSelector };
  const status = (obj.status ?? {}) as { replicas?: number };
  const m = obj.metadata;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion, creationTimestamp: m.creationTimestamp },
    spec: { replicas: spec.replicas ?? 0 },
    status: { replicas: status.replicas ?? 0, selector: selectorString(spec.selector, def.kind === 'ReplicationController') },
  };
}

/** Turns a change to the Scale view into a change of the owning object's spec.replicas. */
export function scaleTransform(def: ResourceDef, change: (scale: ApiObject) => ApiObject): UpdateTransform {
  return (cur) => {
    if (!cur) return undefined;
    const scale = change(getScale(def, cur));
    if (!isPlainObject(scale) || !isPlainObject(scale.spec)) throw badRequest('the scale object has no spec');
    const replicas = (scale.spec as { replicas?: unknown }).replicas;
    if (replicas !== undefined && (typeof replicas !== 'number' || !Number.isInteger(replicas)))
      throw badRequest(`Scale in version "v1" cannot be handled as a Scale: json: cannot unmarshal ${typeof replicas} into Go struct field ScaleSpec.spec.replicas of type int32`);
    if (typeof replicas === 'number' && replicas < 0)
      throw invalidError({ group: 'autoscaling', kind: 'Scale' }, cur.metadata.name ?? '', [{ type: 'FieldValueInvalid', field: 'spec.replicas', value: replicas, detail: 'must be greater than or equal to 0' }]);
    const next = deepCopy(cur);
    (next.spec as { replicas?: number }).replicas = (replicas as number | undefined) ?? 0;
    const rv = scale.metadata?.resourceVersion;
    if (rv && rv !== cur.metadata.resourceVersion) next.metadata.resourceVersion = rv;
    return next;
  };
}
