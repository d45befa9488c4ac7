/**
 * Server-side printing: the `meta.k8s.io/v1` Table kube-apiserver returns for
 * `Accept: application/json;as=Table;v=v1;g=meta.k8s.io` (what `kubectl get` renders).
 */
export type {
  IncludeObjectPolicy,
  PartialObjectMetadata,
  ServedTableRow,
  Table,
  TableColumnDefinition,
  TableConverter,
  TableListMeta,
  TableRow,
  TableRowCondition,
} from './types.js';
export { tableConverterFor, hasPrinter } from './registry.js';
export { buildTable, parseIncludeObject, asPartialObjectMetadata, TABLE_GROUP, type BuildTableOptions, type TableApiVersion } from './build-table.js';
export { defaultTableConverter } from './default-table.js';
export { humanDuration, translateTimestampSince } from './duration.js';
