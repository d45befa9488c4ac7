/**
 * The published OpenAPI documents, built from the resource registry and the one API schema,
 * serialised once and cached with their ETags. The HTTP layer serves:
 *
 * - GET /openapi/v2                → `v2()` (JSON), or `v2Protobuf()` (gnostic protobuf) when the
 *   Accept header asks for `application/com.github.proto-openapi.spec.v2@v1.0+protobuf` (or its
 *   `.v1.0` spelling); the protobuf shares the JSON's ETag, as in kube-openapi's handler (the
 *   response varies by Accept).
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
import { encodeOpenAPIv2Protobuf } from './openapi-v2-protobuf.js';
import { buildOpenAPIv3GroupVersion, buildOpenAPIv3Index, groupVersions } from './openapi-v3.js';

export interface CachedDocument {
  /** The serialised document (JSON, or protobuf for `v2Protobuf`). */
  body: Buffer;
  /** Unquoted entity tag: uppercase hex SHA-512 of `body` (of the JSON form, for `v2Protobuf`). */
  etag: string;
}

export interface OpenAPIDocuments {
  v2(): CachedDocument;
  /** The same swagger document as a gnostic `openapi.v2.Document` protobuf; etag equals `v2()`'s. */
  v2Protobuf(): CachedDocument;
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
  let v2Protobuf: CachedDocument | undefined;
  let index: CachedDocument | undefined;
  const v3 = new Map<string, CachedDocument>();
  const v2Json = (): CachedDocument => (v2 ??= cache(buildOpenAPIv2(resources, resolver)));
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
    v2: v2Json,
    v2Protobuf: () => (v2Protobuf ??= { body: encodeOpenAPIv2Protobuf(JSON.parse(v2Json().body.toString('utf8')) as Record<string, unknown>), etag: v2Json().etag }),
    v3Index: () => (index ??= cache(buildOpenAPIv3Index(new Map([...byGroupVersion.keys()].map((p) => [p, groupVersion(p)!.etag]))))),
    v3GroupVersion: groupVersion,
    v3Paths: () => [...byGroupVersion.keys()],
  };
}
