/**
 * Field sets of server-side apply and their `fieldsV1` encoding, after
 * sigs.k8s.io/structured-merge-diff/v4/fieldpath (set.go, serialize.go, serialize-pe.go, path.go).
 *
 * A path is a list of tokens exactly as fieldsV1 spells them: `f:<field>`, `k:<json of the key
 * fields, sorted by name>`, `v:<json value>` (set element), `i:<index>`. A set is a trie: `members`
 * are paths that end here, `children` continue. In fieldsV1 a path that is both a member and has
 * children carries `".": {}`.
 */

export type Path = readonly string[];

export const fieldToken = (name: string): string => `f:${name}`;
export const indexToken = (i: number): string => `i:${i}`;

/** JSON with object members sorted, as the key and value tokens are canonical. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

export const keyToken = (fields: Record<string, unknown>): string => `k:${canonicalJson(fields)}`;
export const valueToken = (v: unknown): string => `v:${canonicalJson(v)}`;

/** Brings a token read from a client into canonical form; undefined when it is malformed. */
function canonicalToken(token: string): string | undefined {
  const kind = token.slice(0, 2);
  const body = token.slice(2);
  if (kind === 'f:') return token;
  if (kind === 'i:') return /^\d+$/.test(body) ? token : undefined;
  if (kind !== 'k:' && kind !== 'v:') return undefined;
  try {
    const parsed: unknown = JSON.parse(body);
    if (kind === 'k:' && (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))) return undefined;
    return kind + canonicalJson(parsed);
  } catch {
    return undefined;
  }
}

/** value.Compare's order: numbers < strings < booleans < lists < maps < null. */
function compareValues(a: unknown, b: unknown): number {
  const rank = (v: unknown): number =>
    typeof v === 'number' ? 0 : typeof v === 'string' ? 1 : typeof v === 'boolean' ? 2 : Array.isArray(v) ? 3 : v !== null && typeof v === 'object' ? 4 : 5;
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  if (ra === 0) return (a as number) - (b as number);
  if (ra === 1) return a === b ? 0 : (a as string) < (b as string) ? -1 : 1;
  if (ra === 2) return Number(a) - Number(b);
  if (ra === 3) {
    const x = a as unknown[];
    const y = b as unknown[];
    for (let i = 0; i < Math.min(x.length, y.length); i++) {
      const c = compareValues(x[i], y[i]);
      if (c !== 0) return c;
    }
    return x.length - y.length;
  }
  if (ra === 4) return compareKeyFields(a as Record<string, unknown>, b as Record<string, unknown>);
  return 0;
}

function compareKeyFields(a: Record<string, unknown>, b: Record<string, unknown>): number {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  for (let i = 0; i < Math.min(ka.length, kb.length); i++) {
    if (ka[i] !== kb[i]) return ka[i] < kb[i] ? -1 : 1;
    const c = compareValues(a[ka[i]], b[kb[i]]);
    if (c !== 0) return c;
  }
  return ka.length - kb.length;
}

/** PathElement.Compare: fields < keys < values < indices, each ordered within its kind. */
export function compareTokens(a: string, b: string): number {
  const order = 'fkvi';
  const ka = order.indexOf(a[0]);
  const kb = order.indexOf(b[0]);
  if (ka !== kb) return ka - kb;
  const x = a.slice(2);
  const y = b.slice(2);
  switch (a[0]) {
    case 'f':
      return x === y ? 0 : x < y ? -1 : 1;
    case 'i':
      return Number(x) - Number(y);
    default:
      return compareValues(JSON.parse(x), JSON.parse(y));
  }
}

/** Go's value.ToString for conflict paths: strings quoted, numbers and booleans bare. */
function valueToString(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(valueToString).join(',')}]`;
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${k}=${valueToString(o[k])}`)
      .join(';')}}`;
  }
  return String(v);
}

/** fieldpath.Path.String: `.spec.template.spec.containers[name="nginx"].image`. */
export function pathString(path: Path): string {
  return path
    .map((t) => {
      const body = t.slice(2);
      switch (t[0]) {
        case 'f':
          return `.${body}`;
        case 'i':
          return `[${body}]`;
        case 'v':
          return `[=${valueToString(JSON.parse(body))}]`;
        default: {
          const o = JSON.parse(body) as Record<string, unknown>;
          return `[${Object.keys(o)
            .sort()
            .map((k) => `${k}=${valueToString(o[k])}`)
            .join(',')}]`;
        }
      }
    })
    .join('');
}

export class FieldSet {
  readonly members = new Set<string>();
  readonly children = new Map<string, FieldSet>();

  static of(...paths: Path[]): FieldSet {
    const s = new FieldSet();
    for (const p of paths) s.insert(p);
    return s;
  }

  insert(path: Path): void {
    if (path.length === 0) return;
    let cur: FieldSet = this;
    for (let i = 0; i < path.length - 1; i++) {
      let next = cur.children.get(path[i]);
      if (!next) {
        next = new FieldSet();
        cur.children.set(path[i], next);
      }
      cur = next;
    }
    cur.members.add(path[path.length - 1]);
  }

  has(path: Path): boolean {
    if (path.length === 0) return false;
    const parent = this.at(path.slice(0, -1));
    return parent !== undefined && parent.members.has(path[path.length - 1]);
  }

  /** The subset below `prefix` (WithPrefix), or undefined. */
  at(prefix: Path): FieldSet | undefined {
    let cur: FieldSet | undefined = this;
    for (const t of prefix) {
      cur = cur.children.get(t);
      if (!cur) return undefined;
    }
    return cur;
  }

  isEmpty(): boolean {
    if (this.members.size > 0) return false;
    for (const c of this.children.values()) if (!c.isEmpty()) return false;
    return true;
  }

  /** Every member path, in fieldsV1 order. */
  paths(prefix: Path = []): string[][] {
    const out: string[][] = [];
    const tokens = [...new Set([...this.members, ...this.children.keys()])].sort(compareTokens);
    for (const t of tokens) {
      if (this.members.has(t)) out.push([...prefix, t]);
      const c = this.children.get(t);
      if (c) out.push(...c.paths([...prefix, t]));
    }
    return out;
  }

  union(o: FieldSet): FieldSet {
    const out = this.clone();
    for (const m of o.members) out.members.add(m);
    for (const [t, c] of o.children) {
      const mine = out.children.get(t);
      out.children.set(t, mine ? mine.union(c) : c.clone());
    }
    return out;
  }

  /** Paths of this set that are not in `o` (exact paths). */
  difference(o: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const m of this.members) if (!o.members.has(m)) out.members.add(m);
    for (const [t, c] of this.children) {
      const other = o.children.get(t);
      const d = other ? c.difference(other) : c.clone();
      if (!d.isEmpty()) out.children.set(t, d);
    }
    return out;
  }

  intersection(o: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const m of this.members) if (o.members.has(m)) out.members.add(m);
    for (const [t, c] of this.children) {
      const other = o.children.get(t);
      if (!other) continue;
      const i = c.intersection(other);
      if (!i.isEmpty()) out.children.set(t, i);
    }
    return out;
  }

  /** Paths of this set that are neither in `o` nor below a member of `o`. */
  recursiveDifference(o: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const m of this.members) if (!o.members.has(m)) out.members.add(m);
    for (const [t, c] of this.children) {
      if (o.members.has(t)) continue;
      const other = o.children.get(t);
      const d = other ? c.recursiveDifference(other) : c.clone();
      if (!d.isEmpty()) out.children.set(t, d);
    }
    return out;
  }

  equals(o: FieldSet): boolean {
    return this.difference(o).isEmpty() && o.difference(this).isEmpty();
  }

  clone(): FieldSet {
    const out = new FieldSet();
    for (const m of this.members) out.members.add(m);
    for (const [t, c] of this.children) out.children.set(t, c.clone());
    return out;
  }

  /** The `fieldsV1` JSON object (Set.ToJSON). */
  toFieldsV1(): Record<string, unknown> {
    return this.emit(false);
  }

  private emit(includeSelf: boolean): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    if (includeSelf && !this.isEmpty()) out['.'] = {};
    const tokens = [...new Set([...this.members, ...this.children.keys()])].sort(compareTokens);
    for (const t of tokens) {
      const c = this.children.get(t);
      const live = c && !c.isEmpty() ? c : undefined;
      if (!live) {
        if (this.members.has(t)) out[t] = {};
        continue;
      }
      out[t] = live.emit(this.members.has(t));
    }
    return out;
  }

  /** Parses a `fieldsV1` object; throws an Error naming the bad token. */
  static fromFieldsV1(json: unknown): FieldSet {
    const s = new FieldSet();
    s.read(json);
    return s;
  }

  private read(json: unknown): void {
    if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new Error('expected an object');
    for (const [rawToken, v] of Object.entries(json as Record<string, unknown>)) {
      if (rawToken === '.') continue;
      const token = canonicalToken(rawToken);
      if (token === undefined) throw new Error(`parsing JSON: unrecognized path element: ${rawToken}`);
      if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error(`parsing JSON: expected an object at ${rawToken}`);
      const entries = Object.keys(v as object);
      if (entries.length === 0 || entries.includes('.')) this.members.add(token);
      if (entries.some((k) => k !== '.')) {
        const child = new FieldSet();
        child.read(v);
        if (!child.isEmpty()) this.children.set(token, child.union(this.children.get(token) ?? new FieldSet()));
      }
    }
  }
}
