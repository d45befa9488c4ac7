/** Test helpers: run a strategy's create/update hooks the way the generic store orders them. */
import { errorMessage } from '../../field-errors.js';
import type { ApiObject } from '../../object.js';
import { deepCopy } from '../../object.js';
import type { ResourceStrategy } from '../../strategy.js';

export function create(s: ResourceStrategy, obj: Record<string, unknown>): { obj: ApiObject; errors: string[] } {
  const o = deepCopy(obj) as ApiObject;
  o.metadata ??= {};
  s.default?.(o);
  s.prepareForCreate?.(o);
  return { obj: o, errors: s.validate(o).map(errorMessage) };
}

export function update(s: ResourceStrategy, obj: Record<string, unknown>, old: ApiObject): { obj: ApiObject; errors: string[] } {
  const o = deepCopy(obj) as ApiObject;
  o.metadata ??= {};
  s.default?.(o);
  s.prepareForUpdate?.(o, old);
  return { obj: o, errors: [...s.validate(o), ...(s.validateUpdate?.(o, old) ?? [])].map(errorMessage) };
}
