/**
 * The table of kinds without a printer (k8s.io/apiserver/pkg/registry/rest/table.go,
 * defaultTableConvertor): NAME and CREATED AT, the latter an RFC 3339 UTC timestamp of type
 * `date` rather than an age.
 */
import type { ApiObject } from '../../api/object.js';
import { column, nameColumn } from './format.js';
import { parseTimestamp } from './duration.js';
import type { TableConverter, TableRow } from './types.js';

/** time.Time.UTC().Format(time.RFC3339): whole seconds, `Z`; the Go zero time when unset. */
function rfc3339(ts: unknown): string {
  const ms = parseTimestamp(ts);
  if (ms === undefined) return '0001-01-01T00:00:00Z';
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export const defaultTableConverter: TableConverter = {
  columns: [nameColumn(), column('Created At', 'date', 'meta.ObjectMeta.creationTimestamp')],
  rows(objs: readonly ApiObject[]): TableRow[] {
    return objs.map((o) => ({ cells: [o.metadata?.name ?? '', rfc3339(o.metadata?.creationTimestamp)], object: o }));
  },
};
