/**
 * Assembling the served Table (k8s.io/apiserver/pkg/endpoints/handlers/response.go asTable, and
 * pkg/printers TableGenerator.GenerateTable for the list metadata and headers).
 *
 * - `includeObject` (query parameter, default `Metadata`): `Object` embeds each object as
 *   served, `Metadata` a PartialObjectMetadata carrying its full metadata, `None` null.
 * - Column definitions are sent unless `noHeaders`: a watch sends them with its first event
 *   only, and null on every later one.
 * - `listMeta` is the list's resourceVersion / continue / remainingItemCount, or for a single
 *   object its resourceVersion.
 */
import { badRequest } from '../../api/errors.js';
import type { ApiObject } from '../../api/object.js';
import type { IncludeObjectPolicy, PartialObjectMetadata, ServedTableRow, Table, TableConverter, TableListMeta, TableRow } from './types.js';

export const TABLE_GROUP = 'meta.k8s.io';
export type TableApiVersion = 'meta.k8s.io/v1' | 'meta.k8s.io/v1beta1';

export interface BuildTableOptions {
  now: Date;
  includeObject?: IncludeObjectPolicy;
  listMeta?: TableListMeta;
  /** Omit column definitions (watch events after the first). */
  noHeaders?: boolean;
  /** The Table version the client asked for (`as=Table;v=...;g=meta.k8s.io`); v1 by default. */
  apiVersion?: TableApiVersion;
}

/**
 * Parses `?includeObject=`; absent or empty means `Metadata`. Any other value is a 400
 * BadRequest, as kube-apiserver answers it.
 */
export function parseIncludeObject(value: string | null | undefined): IncludeObjectPolicy {
  if (value === undefined || value === null || value === '' || value === 'Metadata') return 'Metadata';
  if (value === 'None' || value === 'Object') return value;
  throw badRequest(`unrecognized includeObject value: "${value}"`);
}

/** meta.AsPartialObjectMetadata, typed as the Table's own group version. */
export function asPartialObjectMetadata(obj: ApiObject, apiVersion: string): PartialObjectMetadata {
  return { kind: 'PartialObjectMetadata', apiVersion, metadata: obj.metadata ?? {} };
}

function serveRow(row: TableRow, include: IncludeObjectPolicy, apiVersion: string): ServedTableRow {
  const object = include === 'Object' ? row.object : include === 'Metadata' ? asPartialObjectMetadata(row.object, apiVersion) : null;
  const served: ServedTableRow = { cells: row.cells, object };
  if (row.conditions) served.conditions = row.conditions;
  return served;
}

export function buildTable(converter: TableConverter, objs: readonly ApiObject[], options: BuildTableOptions): Table {
  const apiVersion = options.apiVersion ?? 'meta.k8s.io/v1';
  const include = options.includeObject ?? 'Metadata';
  const metadata: TableListMeta = {};
  const lm = options.listMeta ?? {};
  if (lm.resourceVersion) metadata.resourceVersion = lm.resourceVersion;
  if (lm.continue) metadata.continue = lm.continue;
  if (lm.remainingItemCount !== undefined && lm.remainingItemCount !== null) metadata.remainingItemCount = lm.remainingItemCount;
  return {
    kind: 'Table',
    apiVersion,
    metadata,
    columnDefinitions: options.noHeaders ? null : converter.columns.map((c) => ({ ...c })),
    rows: converter.rows(objs, options.now).map((r) => serveRow(r, include, apiVersion)),
  };
}
