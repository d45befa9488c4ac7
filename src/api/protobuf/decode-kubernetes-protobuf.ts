/**
 * Decodes request bodies sent as `application/vnd.kubernetes.protobuf` (what client-go's typed
 * clientsets, and so kubectl's `create`, `create token` and friends, send) into the JSON object
 * that the same client would have sent as `application/json`.
 *
 * Wire layout (k8s.io/apimachinery/pkg/runtime/serializer/protobuf/protobuf.go): the 4-byte magic
 * `k8s\0`, then a `runtime.Unknown` message {1: typeMeta {1: apiVersion, 2: kind}, 2: raw,
 * 3: contentEncoding, 4: contentType}, where `raw` is the object's own message.
 */
import { badRequest, type StatusError } from '../errors.js';
import { decodeMessage } from './decode-message.js';
import { hasKubernetesMagic } from './well-known.js';
import { messageForKind } from './wire-schema.js';
import { WireFormatError, WireReader, WireType } from './wire-reader.js';

export const KUBERNETES_PROTOBUF_MEDIA_TYPE = 'application/vnd.kubernetes.protobuf';

export interface DecodedProtobufObject {
  apiVersion: string;
  kind: string;
  /** The object as JSON, `apiVersion` and `kind` included. */
  object: Record<string, unknown>;
}

interface Envelope {
  apiVersion: string;
  kind: string;
  raw: Uint8Array;
  contentEncoding: string;
  contentType: string;
}

const textDecoder = new TextDecoder();

/** Embedded objects (a RawExtension holding a protobuf object) nest at most this deep. */
const maxEmbedding = 8;

function readString(r: WireReader, wireType: number, what: string): string {
  if (wireType !== WireType.LengthDelimited) throw new WireFormatError(`wrong wireType = ${wireType} for field ${what}`);
  return textDecoder.decode(r.bytes());
}

function readEnvelope(body: Uint8Array): Envelope {
  const env: Envelope = { apiVersion: '', kind: '', raw: new Uint8Array(0), contentEncoding: '', contentType: '' };
  const r = new WireReader(body, 4);
  while (!r.done()) {
    const { field, wireType } = r.tag();
    if (field === 1) {
      if (wireType !== WireType.LengthDelimited) throw new WireFormatError(`wrong wireType = ${wireType} for field Unknown.typeMeta`);
      const tm = new WireReader(r.bytes());
      while (!tm.done()) {
        const t = tm.tag();
        if (t.field === 1) env.apiVersion = readString(tm, t.wireType, 'TypeMeta.apiVersion');
        else if (t.field === 2) env.kind = readString(tm, t.wireType, 'TypeMeta.kind');
        else tm.skip(t.wireType);
      }
    } else if (field === 2) {
      if (wireType !== WireType.LengthDelimited) throw new WireFormatError(`wrong wireType = ${wireType} for field Unknown.raw`);
      env.raw = r.bytes();
    } else if (field === 3) env.contentEncoding = readString(r, wireType, 'Unknown.contentEncoding');
    else if (field === 4) env.contentType = readString(r, wireType, 'Unknown.contentType');
    else r.skip(wireType);
  }
  return env;
}

function decodeObject(body: Uint8Array, nesting: number): DecodedProtobufObject {
  if (!hasKubernetesMagic(body)) throw new WireFormatError('provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]');
  const env = readEnvelope(body);
  if (env.contentEncoding !== '') throw new WireFormatError(`unsupported content encoding "${env.contentEncoding}"`);
  if (env.contentType !== '' && env.contentType !== KUBERNETES_PROTOBUF_MEDIA_TYPE) throw new WireFormatError(`unsupported content type "${env.contentType}"`);
  if (env.kind === '') throw new WireFormatError("Object 'Kind' is missing");
  const typeName = messageForKind(env.apiVersion, env.kind);
  if (!typeName) throw new UnregisteredKindError(env.apiVersion, env.kind);
  if (nesting >= maxEmbedding) throw new WireFormatError('max depth exceeded');
  const decoded = decodeMessage(typeName, env.raw, (inner) => decodeObject(inner, nesting + 1).object);
  const object: Record<string, unknown> = { kind: env.kind, apiVersion: env.apiVersion, ...(decoded as Record<string, unknown>) };
  return { apiVersion: env.apiVersion, kind: env.kind, object };
}

class UnregisteredKindError extends Error {
  constructor(apiVersion: string, kind: string) {
    super(`no kind "${kind}" is registered for version "${apiVersion}"`);
  }
}

/**
 * Decodes a Kubernetes protobuf request body. Throws a 400 BadRequest `StatusError` when the body
 * is malformed or carries a kind this server has no protobuf schema for; never anything else.
 */
export function decodeKubernetesProtobuf(body: Uint8Array): DecodedProtobufObject {
  try {
    return decodeObject(body, 0);
  } catch (e) {
    throw toBadRequest(e);
  }
}

function toBadRequest(e: unknown): StatusError {
  if (e instanceof UnregisteredKindError) return badRequest(e.message);
  if (e instanceof WireFormatError) return badRequest(`proto: ${e.message}`);
  // Anything else is a decoder bug; it still must not take the server down.
  return badRequest(`unable to decode protobuf body: ${e instanceof Error ? e.message : String(e)}`);
}
