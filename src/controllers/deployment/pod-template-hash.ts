/**
 * The `pod-template-hash` of a Deployment's template (`controller.ComputeHash` in
 * `pkg/controller/controller_utils.go`) and template equality that ignores it (`EqualIgnoreHash`).
 *
 * Upstream hashes with FNV-32a over go-spew's dump of the Go `PodTemplateSpec` struct, then the
 * collision count as 8 little-endian bytes (the low 4 set), and renders the decimal value of the
 * 32-bit sum with `rand.SafeEncodeString`. We keep every step but the first: the template is fed
 * as canonical JSON (sorted keys, empty values dropped), because the spew dump depends on Go type
 * names and every zero-valued field of the Go structs. Hashes are therefore stable and
 * well-distributed but not byte-identical to kube-controller-manager's for the same template.
 */
import type { PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import { podTemplateHashLabel } from './replica-set-util.js';

/** Vowel-free alphabet so that encoded strings never spell words (`k8s.io/apimachinery/pkg/util/rand`). */
const safeAlphabet = 'bcdfghjklmnpqrstvwxz2456789';

/** `rand.SafeEncodeString`: each byte of `s` mapped to the safe alphabet. */
export function safeEncodeString(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) out += safeAlphabet[b % safeAlphabet.length];
  return out;
}

/** FNV-1a, 32 bit. */
export function fnv32a(data: Uint8Array, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (const b of data) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/**
 * JSON with sorted keys where null, empty objects and empty arrays are dropped, so that two
 * templates that the API treats as equal (apimachinery's semantic equality: nil ≡ empty) render
 * alike.
 */
export function canonicalJson(v: unknown): string {
  return JSON.stringify(normalize(v)) ?? 'null';
}

function normalize(v: unknown): unknown {
  if (Array.isArray(v)) return v.map((x) => normalize(x) ?? null);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const n = normalize((v as Record<string, unknown>)[k]);
      if (n === undefined || n === null) continue;
      if (Array.isArray(n) && n.length === 0) continue;
      if (typeof n === 'object' && !Array.isArray(n) && Object.keys(n).length === 0) continue;
      out[k] = n;
    }
    return out;
  }
  return v;
}

/** The pod-template-hash of `template` with `collisionCount` mixed in (`ComputeHash`). */
export function computeHash(template: PodTemplateSpec | undefined, collisionCount?: number): string {
  let h = fnv32a(Buffer.from(canonicalJson(template ?? {}), 'utf8'));
  if (collisionCount !== undefined && collisionCount !== null) {
    const bytes = new Uint8Array(8);
    new DataView(bytes.buffer).setUint32(0, collisionCount >>> 0, true);
    h = fnv32a(bytes, h);
  }
  return safeEncodeString(String(h));
}

/** Template equality ignoring the pod-template-hash label (`EqualIgnoreHash`, semantic: nil ≡ empty). */
export function equalIgnoreHash(a: PodTemplateSpec | undefined, b: PodTemplateSpec | undefined): boolean {
  return canonicalJson(withoutHash(a)) === canonicalJson(withoutHash(b));
}

function withoutHash(t: PodTemplateSpec | undefined): unknown {
  if (!t?.metadata?.labels || !(podTemplateHashLabel in t.metadata.labels)) return t;
  const { [podTemplateHashLabel]: _hash, ...labels } = t.metadata.labels;
  return { ...t, metadata: { ...t.metadata, labels } };
}
