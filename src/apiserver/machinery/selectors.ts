/** Label and field selectors for LIST/WATCH, with upstream's 400 messages. */
import { badRequest } from '../../api/errors.js';
import { parseFieldSelector } from '../../api/fields.js';
import { parseLabelSelector } from '../../api/labels.js';
import type { ApiObject } from '../../api/object.js';
import type { ResourceDef } from '../../api/resource.js';
import { convertFieldSelector, selectableFields } from '../../api/selectable-fields.js';
import type { ParsedFieldSelector, ParsedSelector, Selectors } from '../registry/services.js';

export const apiSelectors: Selectors = {
  parseLabelSelector(s: string): ParsedSelector {
    const r = parseLabelSelector(s);
    if (!r.ok) throw badRequest(`unable to parse requirement: ${r.error}`.replace('unable to parse requirement: unable to parse requirement: ', 'unable to parse requirement: '));
    return r.selector;
  },
  parseFieldSelector(def: ResourceDef, s: string): ParsedFieldSelector {
    const r = parseFieldSelector(s);
    if (!r.ok) throw badRequest(r.error);
    const c = convertFieldSelector(def.group, def.plural, r.selector);
    if (!c.ok) throw badRequest(c.error);
    return c.selector;
  },
  fieldsOf(def: ResourceDef, obj: ApiObject): Record<string, string> {
    return selectableFields(def.group, def.plural, obj);
  },
};
