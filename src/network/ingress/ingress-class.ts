/**
 * The `capstan` IngressClass and which Ingresses belong to this controller: those naming a class
 * whose `spec.controller` is `capstan.io/ingress-controller` (in `spec.ingressClassName`, or the
 * deprecated `kubernetes.io/ingress.class` annotation), and those naming none while such a class
 * is the cluster's default (`ingressclass.kubernetes.io/is-default-class: "true"`).
 */
import type { IngressClass, Ingress } from 'kubernetes-types/networking/v1.js';
import { isStatusError } from '../../api/errors.js';
import type { ApiObject } from '../../api/object.js';
import type { ApiClient } from '../../client/api-client.js';
import type { ResourceRef } from '../../client/resource-path.js';
import type { Logger } from '../../util/logger.js';

export const ingressClassName = 'capstan';
export const ingressControllerName = 'capstan.io/ingress-controller';
export const defaultClassAnnotation = 'ingressclass.kubernetes.io/is-default-class';
const legacyClassAnnotation = 'kubernetes.io/ingress.class';

export const ingressRefs = {
  ingresses: { group: 'networking.k8s.io', version: 'v1', plural: 'ingresses', namespaced: true },
  ingressclasses: { group: 'networking.k8s.io', version: 'v1', plural: 'ingressclasses', namespaced: false },
} as const satisfies Record<string, ResourceRef>;

export const isDefaultClass = (c: IngressClass): boolean => c.metadata?.annotations?.[defaultClassAnnotation] === 'true';

/** The class to create at start: default unless another class already is. */
export function desiredIngressClass(existing: readonly IngressClass[]): IngressClass {
  const otherDefault = existing.some((c) => c.metadata?.name !== ingressClassName && isDefaultClass(c));
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'IngressClass',
    metadata: { name: ingressClassName, ...(otherDefault ? {} : { annotations: { [defaultClassAnnotation]: 'true' } }) },
    spec: { controller: ingressControllerName },
  };
}

/** Creates the `capstan` IngressClass unless it exists (an existing one is left as its owner set it). */
export async function ensureIngressClass(client: ApiClient, logger: Logger): Promise<void> {
  try {
    const list = await client.list<IngressClass>(ingressRefs.ingressclasses);
    if (list.items.some((c) => c.metadata?.name === ingressClassName)) return;
    const desired = desiredIngressClass(list.items);
    await client.create(ingressRefs.ingressclasses, desired as unknown as ApiObject);
    logger.info('created IngressClass', { name: ingressClassName, default: isDefaultClass(desired) });
  } catch (e) {
    if (isStatusError(e) && e.code === 409) return;
    logger.error('could not create the IngressClass', { name: ingressClassName, error: (e as Error).message });
  }
}

/** Whether this controller serves `ing`, given every IngressClass. */
export function servesIngress(ing: Ingress, classes: readonly IngressClass[]): boolean {
  const named = ing.spec?.ingressClassName ?? ing.metadata?.annotations?.[legacyClassAnnotation];
  if (named) return classes.some((c) => c.metadata?.name === named && c.spec?.controller === ingressControllerName);
  return classes.some((c) => c.spec?.controller === ingressControllerName && isDefaultClass(c));
}
