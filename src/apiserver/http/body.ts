/** Reading and decoding request bodies, with the 3 MiB object limit (etcd's default request size). */
import type { IncomingMessage } from 'node:http';
import { parseAllDocuments } from 'yaml';
import { badRequest, tooLarge, unsupportedMediaType } from '../../api/errors.js';
import { decodeKubernetesProtobuf, KUBERNETES_PROTOBUF_MEDIA_TYPE } from '../../api/protobuf/decode-kubernetes-protobuf.js';

export const maxBodyBytes = 3 * 1024 * 1024;

export async function readBody(req: IncomingMessage, limit = maxBodyBytes): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    throw tooLarge();
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      req.resume();
      throw tooLarge();
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

export function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
}

export interface DecodedBody {
  value: unknown;
  /** The JSON text (for duplicate-field detection), when the body was JSON. */
  jsonText?: string;
}

const objectTypes = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'];

/** Decodes a JSON or YAML body. Anything undecodable is a 400; an unknown media type a 415. */
export function decodeBody(buf: Buffer, type: string, accepted: readonly string[] = objectTypes): DecodedBody {
  if (buf.length === 0) throw badRequest('the body of the request was empty');
  // kubectl's typed clients and client-go programs send built-in kinds as protobuf.
  if (type === KUBERNETES_PROTOBUF_MEDIA_TYPE && accepted.includes(type)) return { value: decodeKubernetesProtobuf(buf).object };
  const text = buf.toString('utf8');
  if (type === 'application/json' || type === '' || type.endsWith('+json')) {
    if (type === '' || type === 'application/json' || accepted.includes(type)) {
      try {
        return { value: JSON.parse(text), jsonText: text };
      } catch (e) {
        throw badRequest(`couldn't get version/kind; json parse error: ${(e as Error).message}`);
      }
    }
  }
  if (type === 'application/yaml' || type === 'application/apply-patch+yaml' || type === 'text/yaml') {
    if (!accepted.includes(type) && type !== 'text/yaml') throw unsupportedMediaType(accepted);
    const docs = parseAllDocuments(text);
    if (!Array.isArray(docs) || docs.length === 0) throw badRequest('the body of the request was empty');
    if (docs.length > 1) throw badRequest('yaml: only one document is allowed in the request body');
    const doc = docs[0];
    if (doc.errors.length) throw badRequest(`error converting YAML to JSON: ${doc.errors[0].message.split('\n')[0]}`);
    const value = doc.toJS({ maxAliasCount: 100 });
    // A JSON body sent as apply-patch+yaml is still JSON: keep its text for duplicate detection.
    return { value, jsonText: text.trimStart().startsWith('{') ? text : undefined };
  }
  throw unsupportedMediaType(accepted);
}
