/**
 * The published OpenAPI documents, built from the resource registry and the one API schema,
 * serialised once and cached with their ETags. The HTTP layer serves:
 *
 * - GET /openapi/v2                → `v2()` (JSON). kube-apiserver also offers protobuf
 *   (`application/com.github.proto-openapi.spec.v2@v1.0+protobuf`); Capstan does not, so a request
 *   that accepts only that type should get 406 NotAcceptable.
 * - GET /openapi/v3                → `v3Index()`.
 * - GET /openapi/v3/<gv path>      → `v3GroupVersion('apis/apps/v1')`; 404 when undefined. When the
 *   request's `hash` query parameter equals the document's etag, upstream adds
 *   `Cache-Control: public, immutable` (the URL names that exact content).
 *
 * ETags are the uppercase hex SHA-512 of the bytes (kube-openapi's handler3); send them quoted in
 * the `ETag` header and compare with `If-None-Match` for 304s. Build a new instance when the set
 * of resources changes (CRDs).
 */
import { createHash } from 'node:crypto';
import type { ResourceDef } from '../../api/resource.js';
import type { SchemaResolver } from '../../api/schema/schema-types.js';
import { buildOpenAPIv2 } from './openapi-v2.js';
import { buildOpenAPIv3GroupVersion, buildOpenAPIv3Index, groupVersions } from './openapi-v3.js';

export interface CachedDocument {
  /** The serialised JSON document. */
  body: Buffer;
  /** Unquoted entity tag (uppercase hex SHA-512 of `body`). */
  etag: string;
}

export interface OpenAPIDocuments {
  v2(): CachedDocument;
  v3Index(): CachedDocument;
  /** The document of a group version path (`api/v1`, `apis/apps/v1`), or undefined. */
  v3GroupVersion(path: string): CachedDocument | undefined;
  /** The group version paths the index lists. */
  v3Paths(): string[];
}

const cache = (doc: unknown): CachedDocument => {
  const body = Buffer.from(JSON.stringify(doc));
  return { body, etag: createHash('sha512').update(body).digest('hex').toUpperCase() };
};

export function openapiDocuments(resources: readonly ResourceDef[], resolver: SchemaResolver): OpenAPIDocuments {
  const byGroupVersion = groupVersions(resources);
  let v2: CachedDocument | undefined;
  let index: CachedDocument | undefined;
  const v3 = new Map<string, CachedDocument>();
  const groupVersion = (path: string): CachedDocument | undefined => {
    const rs = byGroupVersion.get(path);
    if (!rs) return undefined;
    let doc = v3.get(path);
    if (!doc) {
      doc = cache(buildOpenAPIv3GroupVersion(rs, resolver));
      v3.set(path, doc);
    }
    return doc;
  };
  return {
    v2: () => (v2 ??= cache(buildOpenAPIv2(resources, resolver))),
    v3Index: () => (index ??= cache(buildOpenAPIv3Index(new Map([...byGroupVersion.keys()].map((p) => [p, groupVersion(p)!.etag]))))),
    v3GroupVersion: groupVersion,
    v3Paths: () => [...byGroupVersion.keys()],
  };
}
