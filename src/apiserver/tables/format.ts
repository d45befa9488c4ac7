/**
 * Cell formatting helpers shared by the printers, each following the apimachinery or
 * pkg/printers/internalversion helper named in its comment.
 */
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import type { Container } from 'kubernetes-types/core/v1.js';
import type { TableColumnDefinition } from './types.js';

/**
 * A column definition; `doc` is a field-doc key (`core.PodSpec.nodeName`, resolved against the API
 * schema when the Table is served; see field-docs.ts) or literal description text.
 */
export function column(name: string, type: string, doc: string, opts: { priority?: number; format?: string } = {}): TableColumnDefinition {
  return { name, type, format: opts.format ?? '', description: doc, priority: opts.priority ?? 0 };
}

/** The NAME column every printer starts with. */
export const nameColumn = (): TableColumnDefinition => column('Name', 'string', 'meta.ObjectMeta.name', { format: 'name' });
/** The AGE column. */
export const ageColumn = (): TableColumnDefinition => column('Age', 'string', 'meta.ObjectMeta.creationTimestamp');
export const wide = 1;
export const containersColumn = (priority = wide): TableColumnDefinition => column('Containers', 'string', 'Names of each container in the template.', { priority });
export const imagesColumn = (priority = wide): TableColumnDefinition => column('Images', 'string', 'Images referenced by each container in the template.', { priority });

/** labels.FormatLabels: `k=v` pairs sorted by key, joined by `,`; `<none>` when empty. */
export function formatLabels(labels: Record<string, string> | undefined | null): string {
  const keys = Object.keys(labels ?? {}).sort();
  if (keys.length === 0) return '<none>';
  return keys.map((k) => `${k}=${labels![k]}`).join(',');
}

/**
 * metav1.LabelSelectorAsSelector(...).String(): requirements sorted by key, `k=v`, `k in (a,b)`,
 * `k notin (a,b)`, `k`, `!k`. Undefined when the selector is malformed (conversion error).
 * A nil or empty selector gives ''.
 */
export function labelSelectorString(sel: LabelSelector | undefined | null): string | undefined {
  if (!sel) return '';
  const reqs: { key: string; text: string }[] = [];
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) reqs.push({ key: k, text: `${k}=${v}` });
  for (const e of sel.matchExpressions ?? []) {
    const values = [...(e.values ?? [])].sort();
    switch (e.operator) {
      case 'In':
      case 'NotIn':
        if (values.length === 0) return undefined;
        reqs.push({ key: e.key, text: `${e.key} ${e.operator === 'In' ? 'in' : 'notin'} (${values.join(',')})` });
        break;
      case 'Exists':
        if (values.length > 0) return undefined;
        reqs.push({ key: e.key, text: e.key });
        break;
      case 'DoesNotExist':
        if (values.length > 0) return undefined;
        reqs.push({ key: e.key, text: `!${e.key}` });
        break;
      default:
        return undefined;
    }
  }
  reqs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return reqs.map((r) => r.text).join(',');
}

/** metav1.FormatLabelSelector: the selector string, `<none>` when empty, `<error>` when malformed. */
export function formatLabelSelector(sel: LabelSelector | undefined | null): string {
  const s = labelSelectorString(sel);
  if (s === undefined) return '<error>';
  return s === '' ? '<none>' : s;
}

/** layoutContainerCells: container names and images, each joined by `,`. */
export function layoutContainerCells(containers: readonly Container[] | undefined): [string, string] {
  const cs = containers ?? [];
  return [cs.map((c) => c.name).join(','), cs.map((c) => c.image ?? '').join(',')];
}

/** printBoolPtr: `True`, `False`, or `<unset>`. */
export function printBoolPtr(v: boolean | undefined | null): string {
  if (v === undefined || v === null) return '<unset>';
  return v ? 'True' : 'False';
}

/** intstr.IntOrString.String(). */
export function intOrString(v: number | string): string {
  return typeof v === 'number' ? String(v) : v;
}

/**
 * resource.Quantity.String() of a serialized quantity. Stored quantities are already in
 * canonical form (the API canonicalizes them on write), so the serialized text is printed;
 * an absent quantity is the zero quantity, `0`.
 */
export function quantityString(q: string | number | undefined | null): string {
  if (q === undefined || q === null || q === '') return '0';
  return String(q);
}

/** listWithMoreString: up to `max` items joined by `,`, then ` + N more...`; `<unset>` when empty. */
export function listWithMoreString(list: string[], more: boolean, count: number, max: number): string {
  const ret = list.join(',');
  if (more) return `${ret} + ${count - max} more...`;
  return ret === '' ? '<unset>' : ret;
}

/** net.JoinHostPort: brackets around IPv6 hosts. */
export function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * helper.GetAccessModesAsString: RWO, ROX, RWX, RWOP in that fixed order, duplicates dropped.
 */
export function accessModesString(modes: readonly string[] | undefined): string {
  const set = new Set(modes ?? []);
  const out: string[] = [];
  if (set.has('ReadWriteOnce')) out.push('RWO');
  if (set.has('ReadOnlyMany')) out.push('ROX');
  if (set.has('ReadWriteMany')) out.push('RWX');
  if (set.has('ReadWriteOncePod')) out.push('RWOP');
  return out.join(',');
}

/** int64 cells: a number, 0 when the field is absent. */
export const int = (v: number | undefined | null): number => (typeof v === 'number' ? v : 0);
