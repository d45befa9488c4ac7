/**
 * Content negotiation for responses (Accept) as kube-apiserver does it: plain JSON or YAML, the
 * server-side Table and PartialObjectMetadata transformations, and aggregated discovery.
 * Protobuf is not served; a client that also accepts JSON gets JSON.
 */
import { notAcceptable } from '../../api/errors.js';

export type Rendering =
  | { kind: 'json' }
  | { kind: 'yaml' }
  | { kind: 'table'; version: 'v1' | 'v1beta1' }
  | { kind: 'partial'; version: 'v1' | 'v1beta1' }
  | { kind: 'discovery'; version: 'v2' | 'v2beta1' };

interface MediaRange {
  type: string;
  params: Record<string, string>;
}

function parseAccept(header: string | undefined): MediaRange[] {
  if (!header) return [];
  return header
    .split(',')
    .map((part) => {
      const [type, ...ps] = part.split(';').map((s) => s.trim());
      const params: Record<string, string> = {};
      for (const p of ps) {
        const eq = p.indexOf('=');
        if (eq > 0) params[p.slice(0, eq).trim().toLowerCase()] = p.slice(eq + 1).trim();
      }
      return { type: type.toLowerCase(), params };
    })
    .filter((m) => m.type);
}

const jsonish = new Set(['application/json', '*/*', 'application/*']);

/**
 * Picks the first acceptable rendering. `allowTransform` is false where Table/partial make no
 * sense (e.g. create responses still honour them upstream, but discovery documents do not).
 */
export function negotiate(accept: string | undefined, opts: { discovery?: boolean } = {}): Rendering {
  const ranges = parseAccept(accept);
  if (ranges.length === 0) return { kind: 'json' };
  for (const r of ranges) {
    const as = r.params['as'];
    const g = r.params['g'];
    const v = r.params['v'];
    if (r.type === 'application/json' && as) {
      if (g === 'meta.k8s.io' && as === 'Table' && (v === 'v1' || v === 'v1beta1') && !opts.discovery) return { kind: 'table', version: v };
      if (g === 'meta.k8s.io' && (as === 'PartialObjectMetadata' || as === 'PartialObjectMetadataList') && (v === 'v1' || v === 'v1beta1') && !opts.discovery)
        return { kind: 'partial', version: v };
      if (g === 'apidiscovery.k8s.io' && as === 'APIGroupDiscoveryList' && (v === 'v2' || v === 'v2beta1') && opts.discovery) return { kind: 'discovery', version: v };
      continue;
    }
    if (jsonish.has(r.type)) return { kind: 'json' };
    if (r.type === 'application/yaml') return { kind: 'yaml' };
  }
  throw notAcceptable('only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf');
}
