/** REST paths of the Kubernetes API (k8s.io/client-go/rest's URL layout). */

/** Enough of a resource to address it; a registry `ResourceDef` satisfies it. */
export interface ResourceRef {
  /** '' for the core group. */
  group: string;
  version: string;
  plural: string;
  namespaced: boolean;
}

/** `/api/v1` or `/apis/<group>/<version>`. */
export const groupVersionPath = (r: { group: string; version: string }): string => (r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`);

const seg = (s: string): string => encodeURIComponent(s);

/**
 * The path of a collection (no `name`) or one object, optionally a subresource of it.
 * A namespaced resource without a namespace addresses all namespaces (list/watch only).
 */
export function resourcePath(r: ResourceRef, opts: { namespace?: string; name?: string; subresource?: string } = {}): string {
  let p = groupVersionPath(r);
  if (r.namespaced && opts.namespace) p += `/namespaces/${seg(opts.namespace)}`;
  p += `/${r.plural}`;
  if (opts.name !== undefined) {
    if (!opts.name) throw new Error(`resource name may not be empty (${r.plural})`);
    p += `/${seg(opts.name)}`;
    if (opts.subresource) p += `/${opts.subresource}`;
  }
  return p;
}

/** `namespace/name` for namespaced objects, `name` for cluster-scoped ones (client-go MetaNamespaceKeyFunc). */
export function objectKey(obj: { metadata?: { namespace?: string; name?: string } }): string {
  const ns = obj.metadata?.namespace;
  const name = obj.metadata?.name ?? '';
  return ns ? `${ns}/${name}` : name;
}

/** The inverse of `objectKey`. */
export function splitKey(key: string): { namespace?: string; name: string } {
  const i = key.indexOf('/');
  return i < 0 ? { name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}
