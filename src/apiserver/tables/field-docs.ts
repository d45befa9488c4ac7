/**
 * Column descriptions are API field docs, as kube-apiserver takes them from the types'
 * SwaggerDoc(). Printers name a field by a key `<group>.<Type>.<field>` (e.g. `core.PodSpec.nodeName`);
 * the text comes from the API schema at serving time, so the project holds no copy of it.
 */
import type { SchemaResolver } from '../../api/schema/schema-types.js';

/** Schema definition prefix of each printer group key. */
const packages: Record<string, string> = {
  meta: 'io.k8s.apimachinery.pkg.apis.meta.v1',
  core: 'io.k8s.api.core.v1',
  apps: 'io.k8s.api.apps.v1',
  batch: 'io.k8s.api.batch.v1',
  autoscaling: 'io.k8s.api.autoscaling.v2',
  coordination: 'io.k8s.api.coordination.v1',
  discovery: 'io.k8s.api.discovery.v1',
  networking: 'io.k8s.api.networking.v1',
  policy: 'io.k8s.api.policy.v1',
  rbac: 'io.k8s.api.rbac.v1',
  scheduling: 'io.k8s.api.scheduling.v1',
  storage: 'io.k8s.api.storage.v1',
  events: 'io.k8s.api.events.v1',
};

const keyPattern = /^([a-z]+)\.([A-Z]\w*)\.(\w+)$/;

export const isFieldDocKey = (s: string): boolean => keyPattern.test(s);

/** The schema's description of the field a key names; undefined when the key is not one or is unknown. */
export function fieldDoc(key: string, resolver: Pick<SchemaResolver, 'definition'>): string | undefined {
  const m = keyPattern.exec(key);
  if (!m) return undefined;
  const pkg = packages[m[1]];
  if (!pkg) return undefined;
  return resolver.definition(`${pkg}.${m[2]}`)?.properties?.[m[3]]?.description;
}

/** A column description with a field-doc key replaced by the field's doc (literal text is kept). */
export function describeColumn(description: string, resolver: Pick<SchemaResolver, 'definition'>): string {
  return isFieldDocKey(description) ? (fieldDoc(description, resolver) ?? description) : description;
}
