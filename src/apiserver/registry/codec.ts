/**
 * How objects are laid out in storage. The stored JSON always starts with
 * `{"apiVersion":…,"kind":…,"metadata":{` and never holds `resourceVersion`; on the way out the
 * revision is spliced in as the first metadata field without re-parsing, so LIST and WATCH of
 * many objects cost one string concatenation each.
 */
import type { ApiObject } from '../../api/object.js';
import type { KeyValue } from '../../storage/store.js';

/** Serialises for storage: apiVersion, kind and metadata first; resourceVersion dropped. */
export function encodeForStorage(obj: ApiObject): string {
  const { apiVersion, kind, metadata, ...rest } = obj;
  const { resourceVersion: _rv, selfLink: _sl, ...meta } = metadata ?? {};
  return JSON.stringify({ apiVersion, kind, metadata: meta, ...rest });
}

const metaMarker = '"metadata":{';

/** The stored JSON with `metadata.resourceVersion` set to `rv`. */
export function withResourceVersion(json: string, rv: number | string): string {
  const i = json.indexOf(metaMarker);
  if (i < 0) return json;
  const at = i + metaMarker.length;
  const sep = json[at] === '}' ? '' : ',';
  return `${json.slice(0, at)}"resourceVersion":"${rv}"${sep}${json.slice(at)}`;
}

export function decodeStored(kv: Pick<KeyValue, 'value' | 'modRevision'>): ApiObject {
  return JSON.parse(withResourceVersion(kv.value, kv.modRevision)) as ApiObject;
}
