/**
 * One nftables table as plain data, and the two scripts that make the kernel's copy equal to it:
 * the full replacement (create, delete, define anew) and the incremental change from a model
 * already loaded. Both are a single `nft -f -` transaction, so the kernel never holds half of
 * either. The incremental script touches only what differs (map and set elements, the regular
 * chains whose rules changed), which keeps a change to one Service among thousands as cheap as a
 * change among ten; kube-proxy's nftables mode (`pkg/proxy/nftables/proxier.go`) syncs partially
 * for the same reason. Anything structural (base chains, the declarations of maps and sets)
 * differing means a full replacement.
 */

/** A named map or set: its declaration line(s) and its elements (`key` → `value` for a map). */
export interface NftCollection {
  kind: 'map' | 'set';
  /** The declaration's body, e.g. `type ipv4_addr . inet_proto . inet_service : verdict`. */
  type: string;
  /** key → value for a map; key → '' for a set. */
  elements: Map<string, string>;
}

/** A chain hooked into the stack: `type nat hook prerouting priority dstnat`. */
export interface NftBaseChain {
  name: string;
  hook: string;
  rules: string[];
}

export interface NftTableModel {
  /** `ip`, `inet`, … */
  family: string;
  name: string;
  collections: Map<string, NftCollection>;
  /** Base chains, their header line (`type … hook … priority …; policy accept;`) and rules. */
  baseChains: { name: string; header: string; rules: string[] }[];
  /** Regular chains (jump and goto targets): name → rules. */
  chains: Map<string, string[]>;
}

const element = (c: NftCollection, key: string) => (c.kind === 'map' ? `${key} : ${c.elements.get(key)}` : key);

/** Elements per `add element` / `delete element` line, so no line grows without bound. */
const ELEMENTS_PER_LINE = 256;

function chunked(items: string[]): string[][] {
  const out: string[][] = [];
  for (let i = 0; i < items.length; i += ELEMENTS_PER_LINE) out.push(items.slice(i, i + ELEMENTS_PER_LINE));
  return out;
}

function renderCollection(name: string, c: NftCollection): string[] {
  const elements = [...c.elements.keys()].map((k) => element(c, k));
  return [
    `\t${c.kind} ${name} {`,
    `\t\t${c.type}`,
    ...(elements.length ? [`\t\telements = {\n${elements.map((e) => `\t\t\t${e}`).join(',\n')}\n\t\t}`] : []),
    '\t}',
  ];
}

/**
 * The script that replaces the table in one transaction: it creates the table (so that the
 * delete never fails), deletes it with everything in it, and defines it anew. Connections already
 * NATed keep their conntrack entries across a replacement.
 */
export function fullScript(m: NftTableModel): string {
  const id = `${m.family} ${m.name}`;
  const lines = [
    `table ${id}`,
    `delete table ${id}`,
    `table ${id} {`,
    ...[...m.collections].flatMap(([name, c]) => renderCollection(name, c)),
    ...m.baseChains.flatMap((b) => [`\tchain ${b.name} {`, `\t\t${b.header}`, ...b.rules.map((r) => `\t\t${r}`), '\t}']),
    ...[...m.chains].flatMap(([name, rules]) => [`\tchain ${name} {`, ...rules.map((r) => `\t\t${r}`), '\t}']),
    '}',
  ];
  return `${lines.join('\n')}\n`;
}

/** The script that removes the table; the add first makes it succeed when the table is absent. */
export function deleteScript(family: string, name: string): string {
  return `table ${family} ${name}\ndelete table ${family} ${name}\n`;
}

function sameStructure(a: NftTableModel, b: NftTableModel): boolean {
  if (a.family !== b.family || a.name !== b.name) return false;
  if (a.collections.size !== b.collections.size) return false;
  for (const [name, c] of a.collections) {
    const o = b.collections.get(name);
    if (!o || o.kind !== c.kind || o.type !== c.type) return false;
  }
  return JSON.stringify(a.baseChains) === JSON.stringify(b.baseChains);
}

const sameRules = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((r, i) => r === b[i]);

/**
 * The transaction that turns the loaded table `from` into `to`: '' when they are equal, undefined
 * when only a full replacement can (their structure differs). Order within the transaction: new
 * and changed chains first (so that new elements can point at them), then element deletions, then
 * element additions (a changed map value is a delete and an add), then the chains nothing points
 * at any more.
 */
export function deltaScript(from: NftTableModel, to: NftTableModel): string | undefined {
  if (!sameStructure(from, to)) return undefined;
  const id = `${to.family} ${to.name}`;
  const lines: string[] = [];
  for (const [name, rules] of to.chains) {
    const old = from.chains.get(name);
    if (old && sameRules(old, rules)) continue;
    lines.push(old ? `flush chain ${id} ${name}` : `add chain ${id} ${name}`, ...rules.map((r) => `add rule ${id} ${name} ${r}`));
  }
  const deletes: string[] = [];
  const adds: string[] = [];
  for (const [name, c] of to.collections) {
    const old = from.collections.get(name)!;
    const gone = [...old.elements.keys()].filter((k) => !c.elements.has(k) || (c.kind === 'map' && c.elements.get(k) !== old.elements.get(k)));
    const added = [...c.elements.keys()].filter((k) => !old.elements.has(k) || (c.kind === 'map' && c.elements.get(k) !== old.elements.get(k)));
    for (const part of chunked(gone)) deletes.push(`delete element ${id} ${name} { ${part.join(', ')} }`);
    for (const part of chunked(added)) adds.push(`add element ${id} ${name} { ${part.map((k) => element(c, k)).join(', ')} }`);
  }
  lines.push(...deletes, ...adds);
  for (const name of from.chains.keys()) if (!to.chains.has(name)) lines.push(`delete chain ${id} ${name}`);
  return lines.length ? `${lines.join('\n')}\n` : '';
}
