/**
 * events.k8s.io/v1 ↔ core/v1 (storage) Events, following pkg/apis/events/v1 conversion: the new API
 * renames and deprecates the legacy fields.
 */
import type { VersionConversion } from '../../resource.js';
import { deepCopy } from '../../object.js';

type Obj = Record<string, unknown>;

/** [events.k8s.io/v1 field, core/v1 field]. */
const renamed: [string, string][] = [
  ['regarding', 'involvedObject'],
  ['note', 'message'],
  ['deprecatedSource', 'source'],
  ['deprecatedFirstTimestamp', 'firstTimestamp'],
  ['deprecatedLastTimestamp', 'lastTimestamp'],
  ['deprecatedCount', 'count'],
  ['reportingController', 'reportingComponent'],
];
const same = ['metadata', 'eventTime', 'series', 'reason', 'action', 'type', 'related', 'reportingInstance'];

function move(src: Obj, pairs: [string, string][]): Obj {
  const out: Obj = {};
  for (const k of same) if (src[k] !== undefined) out[k] = src[k];
  for (const [from, to] of pairs) if (src[from] !== undefined) out[to] = src[from];
  return out;
}

/** events.k8s.io/v1 → core/v1. */
export function eventFromEventsV1(obj: Obj): Obj {
  return { apiVersion: 'v1', kind: 'Event', ...move(deepCopy(obj), renamed) };
}

/** core/v1 → events.k8s.io/v1. */
export function eventToEventsV1(obj: Obj): Obj {
  const src = deepCopy(obj);
  const out = move(src, renamed.map(([a, b]) => [b, a] as [string, string]));
  // An empty legacy source converts to no deprecatedSource; a zero count stays absent.
  const ds = out.deprecatedSource as Obj | undefined;
  if (ds && !ds.component && !ds.host) delete out.deprecatedSource;
  if (out.deprecatedCount === 0) delete out.deprecatedCount;
  return { apiVersion: 'events.k8s.io/v1', kind: 'Event', ...out };
}

export const eventsV1Conversion: VersionConversion = { toStorage: eventFromEventsV1, fromStorage: eventToEventsV1 };
