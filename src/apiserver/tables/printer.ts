/**
 * A printer: the column definitions of one kind and a pure function from one object to its
 * cells (the shape of a pkg/printers TableHandler registration). `printerConverter` lifts it
 * to a TableConverter.
 */
import type { ApiObject } from '../../api/object.js';
import type { TableColumnDefinition, TableConverter, TableRow, TableRowCondition } from './types.js';

export interface Printer<T> {
  columns: TableColumnDefinition[];
  /** Every cell, `-o wide` ones included, in column order. */
  cells(obj: T, now: Date): unknown[];
  conditions?(obj: T): TableRowCondition[] | undefined;
}

export function printerConverter<T>(printer: Printer<T>): TableConverter {
  return {
    columns: printer.columns,
    rows(objs: readonly ApiObject[], now: Date): TableRow[] {
      return objs.map((o) => {
        const typed = o as unknown as T;
        const row: TableRow = { cells: printer.cells(typed, now), object: o };
        const conditions = printer.conditions?.(typed);
        if (conditions && conditions.length > 0) row.conditions = conditions;
        return row;
      });
    },
  };
}
