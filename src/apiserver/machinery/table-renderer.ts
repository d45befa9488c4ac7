/** Server-side printing wired to the HTTP layer: Table responses from the printers in ../tables. */
import type { ApiObject } from '../../api/object.js';
import type { ResourceDef } from '../../api/resource.js';
import type { TableOptions, TableRenderer } from '../http/render.js';
import { buildTable, tableConverterFor } from '../tables/index.js';

export class PrinterTableRenderer implements TableRenderer {
  table(def: ResourceDef, objs: ApiObject[], opts: TableOptions): Record<string, unknown> {
    const listMeta = opts.listMeta ?? (objs.length === 1 ? { resourceVersion: objs[0].metadata.resourceVersion } : undefined);
    return buildTable(tableConverterFor(def.group, def.plural), objs, {
      now: opts.now,
      includeObject: opts.includeObject,
      listMeta,
      noHeaders: opts.noHeaders,
    }) as unknown as Record<string, unknown>;
  }
}
