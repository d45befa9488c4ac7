/**
 * The DefaultIngressClass admission plugin (plugin/pkg/admission/network/defaultingressclass):
 * a new Ingress that names no class, neither in `spec.ingressClassName` nor with the legacy
 * `kubernetes.io/ingress.class` annotation, gets the class annotated
 * `ingressclass.kubernetes.io/is-default-class: "true"`. Updates are left alone. With several
 * default classes the newest wins (ties by name), as upstream has done since v1.25; with none
 * the Ingress stays without a class.
 */
import type { Ingress, IngressClass } from 'kubernetes-types/networking/v1.js';
import type { ApiObject } from '../../api/object.js';
import type { ResourceDef } from '../../api/resource.js';
import type { Admission, Operation } from '../registry/services.js';

export const isDefaultIngressClassAnnotation = 'ingressclass.kubernetes.io/is-default-class';
export const ingressClassAnnotation = 'kubernetes.io/ingress.class';

/** The name of the default IngressClass among `classes`: the newest annotated one, the smaller name on a tie. */
export function defaultIngressClassName(classes: readonly IngressClass[]): string | undefined {
  const created = (c: IngressClass) => Date.parse(c.metadata?.creationTimestamp ?? '') || 0;
  const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0); // byte order, as Go compares strings
  const defaults = classes
    .filter((c) => c.metadata?.annotations?.[isDefaultIngressClassAnnotation] === 'true')
    .sort((a, b) => created(b) - created(a) || byName(a.metadata?.name ?? '', b.metadata?.name ?? ''));
  return defaults[0]?.metadata?.name;
}

/** True when the Ingress already says which class it belongs to (an empty name or annotation counts). */
export function ingressNamesClass(ing: Ingress): boolean {
  const name = ing.spec?.ingressClassName;
  return (name !== undefined && name !== null) || Object.hasOwn(ing.metadata?.annotations ?? {}, ingressClassAnnotation);
}

export class DefaultIngressClass implements Admission {
  /** `listClasses` returns every IngressClass (a small set), possibly from a cache. */
  constructor(private readonly listClasses: () => Promise<IngressClass[]>) {}

  async admit(op: Operation, def: ResourceDef, obj: ApiObject, _old: ApiObject | undefined, opts: { subresource?: string }): Promise<void> {
    if (op !== 'CREATE' || def.group !== 'networking.k8s.io' || def.plural !== 'ingresses' || opts.subresource) return;
    const ing = obj as unknown as Ingress;
    if (ingressNamesClass(ing)) return;
    const name = defaultIngressClassName(await this.listClasses());
    if (name) (obj as { spec?: Ingress['spec'] }).spec = { ...ing.spec, ingressClassName: name };
  }
}
