/**
 * ReferenceGrant checks: a reference from an object in one namespace to an object in another is
 * allowed only when a ReferenceGrant in the target's namespace lists the referrer's group, kind
 * and namespace in `from` and the target's group, kind (and name, when it names one) in `to`.
 */
import type { ReferenceGrant } from '../../api/strategies/gateway/types.js';

export interface ObjectRefKey {
  group: string;
  kind: string;
  namespace: string;
}

export function referencePermitted(grants: readonly ReferenceGrant[], from: ObjectRefKey, to: ObjectRefKey & { name: string }): boolean {
  if (from.namespace === to.namespace) return true;
  return grants.some(
    (g) =>
      g.metadata?.namespace === to.namespace &&
      !g.metadata?.deletionTimestamp &&
      (g.spec?.from ?? []).some((f) => (f.group ?? '') === from.group && f.kind === from.kind && f.namespace === from.namespace) &&
      (g.spec?.to ?? []).some((t) => (t.group ?? '') === to.group && t.kind === to.kind && (t.name === undefined || t.name === '' || t.name === to.name)),
  );
}
