/**
 * Rendering objects and lists in the negotiated form: JSON (lists streamed item by item), YAML,
 * server-side Tables, and PartialObjectMetadata.
 */
import type { ServerResponse } from 'node:http';
import { stringify } from 'yaml';
import type { ApiObject } from '../../api/object.js';
import { apiVersionOf, type ResourceDef } from '../../api/resource.js';
import type { Rendering } from './negotiation.js';
import { sendJson, sendRaw } from './respond.js';

export interface TableOptions {
  now: Date;
  includeObject: 'None' | 'Metadata' | 'Object';
  /** Omit columnDefinitions (watch events after the first). */
  noHeaders?: boolean;
  listMeta?: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
}

/** Builds meta.k8s.io Tables for a resource's objects. */
export interface TableRenderer {
  table(def: ResourceDef, objs: ApiObject[], opts: TableOptions): Record<string, unknown>;
}

export function partialMetadata(obj: ApiObject, version: string): Record<string, unknown> {
  return { kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${version}`, metadata: obj.metadata };
}

export function includeObjectParam(q: URLSearchParams): TableOptions['includeObject'] {
  const v = q.get('includeObject');
  return v === 'None' || v === 'Object' ? v : 'Metadata';
}

export function renderObject(res: ServerResponse, code: number, def: ResourceDef, obj: ApiObject, r: Rendering, tables: TableRenderer, q: URLSearchParams): void {
  switch (r.kind) {
    case 'yaml':
      return sendRaw(res, code, stringify(obj), 'application/yaml');
    case 'table':
      return sendJson(res, code, { ...tables.table(def, [obj], { now: new Date(), includeObject: includeObjectParam(q) }), apiVersion: `meta.k8s.io/${r.version}` });
    case 'partial':
      return sendJson(res, code, partialMetadata(obj, r.version));
    default:
      return sendJson(res, code, obj);
  }
}

export interface ListMeta {
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

/** Streams `{"kind":"XList",...,"items":[...]}` without building one big string. */
export function streamJsonList(res: ServerResponse, def: ResourceDef, items: string[], meta: ListMeta): void {
  res.statusCode = 200;
  res.setHeader('Content-Type', 'application/json');
  res.setHeader('Cache-Control', 'no-cache, private');
  const head = `{"kind":${JSON.stringify(`${def.kind}List`)},"apiVersion":${JSON.stringify(apiVersionOf(def))},"metadata":${JSON.stringify(meta)},"items":[`;
  const parts: string[] = [head];
  let size = head.length;
  const flush = () => {
    res.write(parts.join(''));
    parts.length = 0;
    size = 0;
  };
  items.forEach((item, i) => {
    parts.push(i ? `,${item}` : item);
    size += item.length;
    if (size > 256 * 1024) flush();
  });
  parts.push(']}');
  res.end(parts.join(''));
}

export function renderList(res: ServerResponse, def: ResourceDef, items: string[], meta: ListMeta, r: Rendering, tables: TableRenderer, q: URLSearchParams): void {
  switch (r.kind) {
    case 'json':
      return streamJsonList(res, def, items, meta);
    case 'yaml': {
      const list = { kind: `${def.kind}List`, apiVersion: apiVersionOf(def), metadata: meta, items: items.map((i) => JSON.parse(i) as unknown) };
      return sendRaw(res, 200, stringify(list), 'application/yaml');
    }
    case 'table': {
      const objs = items.map((i) => JSON.parse(i) as ApiObject);
      const t = tables.table(def, objs, { now: new Date(), includeObject: includeObjectParam(q), listMeta: meta });
      return sendJson(res, 200, { ...t, apiVersion: `meta.k8s.io/${r.version}` });
    }
    case 'partial': {
      const objs = items.map((i) => partialMetadata(JSON.parse(i) as ApiObject, r.version));
      return sendJson(res, 200, { kind: 'PartialObjectMetadataList', apiVersion: `meta.k8s.io/${r.version}`, metadata: meta, items: objs });
    }
    default:
      return streamJsonList(res, def, items, meta);
  }
}
