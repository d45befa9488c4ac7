/**
 * Field selectors (k8s.io/apimachinery/pkg/fields/selector.go): the `fieldSelector` query
 * parameter and `kubectl --field-selector`, e.g. `metadata.name=web,status.phase!=Running`.
 *
 * Syntax, as upstream: terms split on unescaped commas; each term is `field=value`,
 * `field==value` or `field!=value`, split at the first operator; values may escape `\,` `\=` `\\`.
 * Nothing is trimmed (`a = b` selects field "a " for value " b"), empty terms are skipped, and the
 * terms are sorted by their text. A field missing from an object reads as "", so `spec.nodeName=`
 * selects unscheduled pods.
 */

export type FieldOperator = '=' | '==' | '!=';

export interface FieldRequirement {
  readonly field: string;
  /** `=` and `==` mean the same and print as `=`. */
  readonly operator: FieldOperator;
  readonly value: string;
}

export type Fields = Readonly<Record<string, string>>;

export type FieldParseResult = { ok: true; selector: FieldSelector } | { ok: false; error: string };

/** A label-conversion function (runtime.Scheme ConvertFieldLabel): rename a field or reject it. */
export type FieldLabelConverter = (field: string, value: string) => { ok: true; field: string; value: string } | { ok: false; error: string };

export class FieldSelector {
  private constructor(private readonly terms: readonly FieldRequirement[]) {}

  static of(terms: readonly FieldRequirement[]): FieldSelector {
    return new FieldSelector(terms);
  }

  /** fields.Everything(). */
  static everything(): FieldSelector {
    return everythingSelector;
  }

  /** True when every term holds; a field absent from `fields` reads as "". */
  matches(fields: Fields | undefined): boolean {
    return this.terms.every((t) => {
      const v = fields && Object.hasOwn(fields, t.field) ? fields[t.field] : '';
      return t.operator === '!=' ? v !== t.value : v === t.value;
    });
  }

  empty(): boolean {
    return this.terms.length === 0;
  }

  requirements(): readonly FieldRequirement[] {
    return this.terms;
  }

  /** The value `field` must equal, if a `=`/`==` term requires one (upstream RequiresExactMatch). */
  requiresExactMatch(field: string): string | undefined {
    return this.terms.find((t) => t.field === field && t.operator !== '!=')?.value;
  }

  /** Upstream Selector.Transform: converts each term's field (and value), or fails. */
  transform(fn: FieldLabelConverter): FieldParseResult {
    const out: FieldRequirement[] = [];
    for (const t of this.terms) {
      const r = fn(t.field, t.value);
      if (!r.ok) return r;
      // Upstream: a term converted to an empty field and value selects everything.
      if (r.field === '' && r.value === '') continue;
      out.push({ field: r.field, operator: t.operator, value: r.value });
    }
    return { ok: true, selector: new FieldSelector(out) };
  }

  /** `f=v,g!=w` with values escaped; "" when empty. */
  toString(): string {
    return this.terms.map((t) => `${t.field}${t.operator === '!=' ? '!=' : '='}${escapeFieldValue(t.value)}`).join(',');
  }
}

const everythingSelector = FieldSelector.of([]);

/** fields.EscapeValue: `\` → `\\`, `,` → `\,`, `=` → `\=`. */
export function escapeFieldValue(s: string): string {
  return s.replace(/[\\,=]/g, (c) => `\\${c}`);
}

/** fields.UnescapeValue, with its error messages. */
export function unescapeFieldValue(s: string): { ok: true; value: string } | { ok: false; error: string } {
  if (!/[\\,=]/.test(s)) return { ok: true, value: s };
  let out = '';
  let inSlash = false;
  for (const c of s) {
    if (inSlash) {
      if (c === '\\' || c === ',' || c === '=') out += c;
      else return { ok: false, error: `invalid field selector: invalid escape sequence: \\${c}` };
      inSlash = false;
    } else if (c === '\\') {
      inSlash = true;
    } else if (c === ',' || c === '=') {
      return { ok: false, error: `invalid field selector: unescaped character in value: ${c}` };
    } else {
      out += c;
    }
  }
  if (inSlash) return { ok: false, error: 'invalid field selector: invalid escape sequence: \\' };
  return { ok: true, value: out };
}

/** Splits on commas not preceded by an escaping backslash; escapes stay in the terms. */
function splitTerms(s: string): string[] {
  if (s.length === 0) return [];
  const terms: string[] = [];
  let start = 0;
  let inSlash = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (inSlash) inSlash = false;
    else if (c === '\\') inSlash = true;
    else if (c === ',') {
      terms.push(s.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(s.slice(start));
  return terms;
}

const termOperators: readonly FieldOperator[] = ['!=', '==', '='];

/** Splits at the first position where an operator starts (`!=` before `==` before `=`). */
function splitTerm(term: string): [string, FieldOperator, string] | undefined {
  for (let i = 0; i < term.length; i++) {
    for (const op of termOperators) {
      if (term.startsWith(op, i)) return [term.slice(0, i), op, term.slice(i + op.length)];
    }
  }
  return undefined;
}

/** Go's byte-wise string order. */
const compareStrings = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * fields.ParseSelector. On failure `error` is upstream's message:
 * `invalid selector: 'x'; can't understand 'x'`, or an escaping error.
 */
export function parseFieldSelector(selector: string): FieldParseResult {
  const parts = splitTerms(selector).sort(compareStrings);
  const terms: FieldRequirement[] = [];
  for (const part of parts) {
    if (part === '') continue;
    const split = splitTerm(part);
    if (!split) return { ok: false, error: `invalid selector: '${selector}'; can't understand '${part}'` };
    const [field, operator, rhs] = split;
    const v = unescapeFieldValue(rhs);
    if (!v.ok) return v;
    terms.push({ field, operator, value: v.value });
  }
  return { ok: true, selector: terms.length ? FieldSelector.of(terms) : everythingSelector };
}

/** parseFieldSelector for trusted input: throws with the upstream message. */
export function mustParseFieldSelector(selector: string): FieldSelector {
  const r = parseFieldSelector(selector);
  if (!r.ok) throw new Error(r.error);
  return r.selector;
}

/** fields.SelectorFromSet: `f=v` for each entry, sorted by field. */
export function fieldSelectorFromSet(set: Fields | undefined): FieldSelector {
  const keys = Object.keys(set ?? {}).sort(compareStrings);
  return keys.length ? FieldSelector.of(keys.map((field) => ({ field, operator: '=', value: set![field]! }))) : everythingSelector;
}
