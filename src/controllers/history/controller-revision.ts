/**
 * ControllerRevisions as `pkg/controller/history/controller_history.go` builds them: the data is a
 * strategic-merge patch that replaces `spec.template`, the name is `<parent>-<hash>`, and the hash
 * is FNV-32a over the patch's JSON (Go's encoding: sorted keys, HTML-safe escapes) plus, when
 * given, the little-endian collision count, printed in decimal and mapped through
 * `rand.SafeEncodeString`. Pure functions only.
 */
import type { ControllerRevision } from 'kubernetes-types/apps/v1.js';
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import { type ApiObject, isPlainObject, jsonEqual } from '../../api/object.js';

export type RevisionObject = ControllerRevision & ApiObject;

/** The label that carries a revision's hash (on revisions; on pods, see each controller). */
export const controllerRevisionHashLabel = 'controller-revision-hash';

/** Go's encoding/json output for a JSON value: object keys sorted, `<>&` and U+2028/9 escaped. */
export function goJson(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return goString(v);
  if (typeof v === 'number') return Number.isFinite(v) ? goNumber(v) : 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (Array.isArray(v)) return `[${v.map(goJson).join(',')}]`;
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o).filter((k) => o[k] !== undefined).sort(compareUtf8);
  return `{${keys.map((k) => `${goString(k)}:${goJson(o[k])}`).join(',')}}`;
}

function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function goNumber(n: number): string {
  const s = String(n);
  // Go writes exponents with at least one digit and no padding, as JS does, but always signed.
  return s.replace(/e(\d)/, 'e+$1');
}

function goString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || ch === '<' || ch === '>' || ch === '&' || c === 0x2028 || c === 0x2029) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else if (c >= 0xd800 && c <= 0xdfff) out += '\\ufffd';
    else out += ch;
  }
  return out + '"';
}

/** FNV-1a, 32 bits, over bytes. */
export function fnv32a(bytes: Uint8Array, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

const safeAlphabet = 'bcdfghjklmnpqrstvwxz2456789';

/** `rand.SafeEncodeString`: each byte becomes one letter of an alphabet without vowels. */
export function safeEncodeString(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) out += safeAlphabet[b % safeAlphabet.length];
  return out;
}

/** `history.HashControllerRevision` for a revision whose data is `data`. */
export function hashRevisionData(data: unknown, collisionCount?: number): string {
  let h = fnv32a(Buffer.from(goJson(data), 'utf8'));
  if (collisionCount !== undefined) {
    const probe = Buffer.alloc(4);
    probe.writeUInt32LE(collisionCount >>> 0);
    h = fnv32a(probe, h);
  }
  return safeEncodeString(String(h));
}

/** `history.ControllerRevisionName`: the parent's name (at most 223 characters), a dash, the hash. */
export function controllerRevisionName(prefix: string, hash: string): string {
  return `${prefix.length > 223 ? prefix.slice(0, 223) : prefix}-${hash}`;
}

/**
 * The revision data of a StatefulSet or DaemonSet (their `getPatch`): the object's pod template
 * as the API serializes it, marked `$patch: replace`. Go serializes `metadata.creationTimestamp`
 * of a template as null and container `resources` as `{}` even when empty; both are reproduced so
 * that the hash matches kube-controller-manager's for the same template.
 */
export function templatePatch(template: unknown): Record<string, unknown> {
  const t = isPlainObject(template) ? (JSON.parse(JSON.stringify(template)) as Record<string, unknown>) : {};
  const meta = isPlainObject(t.metadata) ? t.metadata : {};
  if (!('creationTimestamp' in meta)) meta.creationTimestamp = null;
  t.metadata = meta;
  const spec = isPlainObject(t.spec) ? t.spec : undefined;
  for (const list of ['initContainers', 'containers']) {
    const cs = spec?.[list];
    if (Array.isArray(cs)) for (const c of cs) if (isPlainObject(c) && c.resources === undefined) c.resources = {};
  }
  t.$patch = 'replace';
  return { spec: { template: t } };
}

export interface RevisionParent {
  apiVersion: string;
  kind: string;
  metadata: { name?: string; namespace?: string; uid?: string };
}

export function controllerRef(parent: RevisionParent): OwnerReference {
  return { apiVersion: parent.apiVersion, kind: parent.kind, name: parent.metadata.name ?? '', uid: parent.metadata.uid ?? '', controller: true, blockOwnerDeletion: true };
}

/** `history.NewControllerRevision`: labels are the template's plus the hash label. */
export function newControllerRevision(parent: RevisionParent, templateLabels: Record<string, string> | undefined, data: Record<string, unknown>, revision: number, collisionCount?: number): RevisionObject {
  const hash = hashRevisionData(data, collisionCount);
  return {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: {
      name: controllerRevisionName(parent.metadata.name ?? '', hash),
      namespace: parent.metadata.namespace,
      labels: { ...templateLabels, [controllerRevisionHashLabel]: hash },
      ownerReferences: [controllerRef(parent)],
    },
    data,
    revision,
  };
}

/** `history.EqualRevision`: same hash label and the same data. */
export function equalRevision(a: RevisionObject | undefined, b: RevisionObject | undefined): boolean {
  if (!a || !b) return a === b;
  const ha = a.metadata.labels?.[controllerRevisionHashLabel];
  const hb = b.metadata.labels?.[controllerRevisionHashLabel];
  if (ha !== hb) return false;
  return jsonEqual(a.data ?? null, b.data ?? null);
}

/** `history.FindEqualRevisions`, in the order given. */
export function findEqualRevisions(revisions: readonly RevisionObject[], needle: RevisionObject): RevisionObject[] {
  return revisions.filter((r) => equalRevision(r, needle));
}

/** `history.SortControllerRevisions`: by revision, then creation time, then name. */
export function sortRevisions(revisions: readonly RevisionObject[]): RevisionObject[] {
  return [...revisions].sort(
    (a, b) =>
      a.revision - b.revision ||
      (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') ||
      (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''),
  );
}

/** One more than the highest revision number (1 for none). */
export function nextRevision(revisions: readonly RevisionObject[]): number {
  return revisions.reduce((m, r) => Math.max(m, r.revision), 0) + 1;
}

/** True when `obj` names `owner` (by uid) as its controller. */
export function isControlledBy(obj: ApiObject, ownerUid: string | undefined): boolean {
  return !!ownerUid && (obj.metadata.ownerReferences ?? []).some((r) => r.controller && r.uid === ownerUid);
}

/**
 * The revisions to delete so that at most `limit` revisions remain besides the live ones
 * (oldest first), as the StatefulSet's truncateHistory and the DaemonSet's cleanupHistory.
 */
export function revisionsToTruncate(sorted: readonly RevisionObject[], live: ReadonlySet<string>, limit: number): RevisionObject[] {
  const nonLive = sorted.filter((r) => !live.has(r.metadata.name ?? ''));
  const excess = nonLive.length - Math.max(0, limit);
  return excess > 0 ? nonLive.slice(0, excess) : [];
}
