/** Server-side printing wired to the HTTP layer: Table responses from the printers in ../tables. */
import type { ApiObject } from '../../api/object.js';
import type { ResourceDef } from '../../api/resource.js';
import type { TableOptions, TableRenderer } from '../http/render.js';
import type { SchemaResolver } from '../../api/schema/schema-types.js';
import { describeColumn } from '../tables/field-docs.js';
import { buildTable, tableConverterFor, type TableConverter } from '../tables/index.js';

export class PrinterTableRenderer implements TableRenderer {
  private readonly converters = new Map<string, TableConverter>();

  constructor(private readonly resolver: Pick<SchemaResolver, 'definition'>) {}

  /** The printer with its column descriptions filled in from the schema, built once per resource. */
  private converter(def: ResourceDef): TableConverter {
    const id = `${def.group}/${def.plural}`;
    let c = this.converters.get(id);
    if (!c) {
      const base = tableConverterFor(def.group, def.plural);
      c = { ...base, columns: base.columns.map((col) => ({ ...col, description: describeColumn(col.description, this.resolver) })) };
      this.converters.set(id, c);
    }
    return c;
  }

  table(def: ResourceDef, objs: ApiObject[], opts: TableOptions): Record<string, unknown> {
    const listMeta = opts.listMeta ?? (objs.length === 1 ? { resourceVersion: objs[0].metadata.resourceVersion } : undefined);
    return buildTable(this.converter(def), objs, {
      now: opts.now,
      includeObject: opts.includeObject,
      listMeta,
      noHeaders: opts.noHeaders,
    }) as unknown as Record<string, unknown>;
  }
}
