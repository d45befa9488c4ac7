/**
 * The `meta.k8s.io/v1` Table shapes (k8s.io/apimachinery/pkg/apis/meta/v1 types.go: Table,
 * TableColumnDefinition, TableRow, TableRowCondition) and the converter contract that each
 * resource's printer implements.
 */
import type { ApiObject, ObjectMeta } from '../../api/object.js';

/** One column. Every field is always serialized (no omitempty upstream), `format` included. */
export interface TableColumnDefinition {
  name: string;
  /** An OpenAPI type: `string`, `integer`, `number`, `boolean`, or `date` (default table). */
  type: string;
  /** An OpenAPI format hint; `name` marks the primary key column; '' for none. */
  format: string;
  description: string;
  /** 0: always shown by kubectl; 1 and up: only with `-o wide`. */
  priority: number;
}

export interface TableRowCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
}

/** A row as a converter produces it: cells in column order, plus the object it shows. */
export interface TableRow {
  cells: unknown[];
  conditions?: TableRowCondition[];
  object: ApiObject;
}

/**
 * Converts objects of one resource to table rows (k8s.io/apiserver rest.TableConvertor).
 * Rows always hold every column, the `-o wide` ones too: kube-apiserver prints with
 * `Wide: true` and lets the client drop columns by priority. `now` stands in for the clock
 * so that AGE-like cells are deterministic.
 */
export interface TableConverter {
  readonly columns: readonly TableColumnDefinition[];
  rows(objs: readonly ApiObject[], now: Date): TableRow[];
}

/** `?includeObject=` of a Table request; kube-apiserver's default is `Metadata`. */
export type IncludeObjectPolicy = 'None' | 'Metadata' | 'Object';

export interface PartialObjectMetadata {
  kind: 'PartialObjectMetadata';
  apiVersion: string;
  metadata: ObjectMeta;
}

/** A row as served: `object` is the full object, its metadata only, or null (includeObject). */
export interface ServedTableRow {
  cells: unknown[];
  conditions?: TableRowCondition[];
  object: ApiObject | PartialObjectMetadata | null;
}

export interface TableListMeta {
  resourceVersion?: string;
  continue?: string;
  remainingItemCount?: number;
}

export interface Table {
  kind: 'Table';
  apiVersion: string;
  metadata: TableListMeta;
  /** null when headers are omitted (every watch event after the first). */
  columnDefinitions: TableColumnDefinition[] | null;
  rows: ServedTableRow[];
}
