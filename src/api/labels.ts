/**
 * Label selectors (k8s.io/apimachinery/pkg/labels/selector.go and metav1's LabelSelectorAsSelector).
 *
 * The string syntax is the `labelSelector` query parameter and `kubectl -l`:
 *   `a=b,c!=d,e in (x,y),f notin (z),g,!h,i==j,n>3,m<5`
 * Parsing reproduces upstream's lexer and recursive-descent parser, its error messages included
 * (`unable to parse requirement: ...`, `found ',', expected: identifier after ','`, ...), because
 * clients show them verbatim. Requirements are kept sorted by key, as upstream sorts them, so
 * `toString()` is deterministic.
 */
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import { formatValue } from './field-errors.js';
import { isQualifiedName, isValidLabelValue } from './validation/names.js';

/** selection.Operator: the spellings upstream uses internally. */
export type LabelOperator = 'in' | 'notin' | '=' | '==' | '!=' | 'gt' | 'lt' | 'exists' | '!';

const binaryOperators: readonly LabelOperator[] = ['in', 'notin', '=', '==', '!=', 'gt', 'lt'];
const validOperators: readonly LabelOperator[] = [...binaryOperators, 'exists', '!'];

/** One `key op values` term; a selector is the AND of its requirements. */
export interface Requirement {
  readonly key: string;
  readonly operator: LabelOperator;
  /** As given; `in`/`notin` from the parser are sorted and de-duplicated. */
  readonly values: readonly string[];
}

export type Labels = Readonly<Record<string, string>>;

export interface Selector {
  /** True when every requirement holds for `labels`. */
  matches(labels: Labels | undefined): boolean;
  /** True when the selector does not restrict anything (matches everything). */
  empty(): boolean;
  /** True only for the selector from a nil LabelSelector, which matches no object. */
  matchesNothing(): boolean;
  /** The canonical string, e.g. `app=web,tier in (a,b)`; "" for everything and for nothing. */
  toString(): string;
  /** The requirements (sorted by key); `undefined` for the nothing selector. */
  requirements(): readonly Requirement[] | undefined;
  /** The single value `label` must equal (from `=`, `==`, or a one-value `in`), if any. */
  requiresExactMatch(label: string): string | undefined;
  /** A new selector with the extra requirements. */
  add(...reqs: Requirement[]): Selector;
}

export type LabelParseResult = { ok: true; selector: Selector } | { ok: false; error: string };
export type RequirementResult = { ok: true; requirement: Requirement } | { ok: false; error: string };

// ---------------------------------------------------------------------------------------------
// Requirements

/** Go's `%#v` of a []string, as field.Invalid prints a values list. */
function goStringSlice(vals: readonly string[] | undefined): string {
  if (vals === undefined) return '[]string(nil)';
  return `[]string{${vals.map((v) => formatValue(v)).join(', ')}}`;
}

/** field.Error.Error(): `<field>: Invalid value: <value>: <detail>`. */
const invalidMsg = (field: string, value: string, detail: string): string => `${field}: Invalid value: ${value}: ${detail}`;

/** errors.Aggregate's Error(): one message alone, several as `[a, b]` (duplicates dropped). */
function aggregate(msgs: string[]): string | undefined {
  const unique = [...new Set(msgs)];
  if (unique.length === 0) return undefined;
  return unique.length === 1 ? unique[0] : `[${unique.join(', ')}]`;
}

function keyError(key: string, field: string): string | undefined {
  const errs = isQualifiedName(key);
  return errs.length ? invalidMsg(field, formatValue(key), errs.join('; ')) : undefined;
}

const int64Re = /^[+-]?[0-9]+$/;
function parseInt64(s: string): bigint | undefined {
  if (!int64Re.test(s)) return undefined;
  const n = BigInt(s);
  return n >= -(1n << 63n) && n < 1n << 63n ? n : undefined;
}

/**
 * Upstream NewRequirement: validates the key, the operator/value-count rules and every value.
 * `values` undefined stands for a nil slice (it only changes how an error prints it).
 */
export function newRequirement(key: string, operator: LabelOperator, values?: readonly string[]): RequirementResult {
  const errs: string[] = [];
  const ke = keyError(key, 'key');
  if (ke) errs.push(ke);
  const vals = values ?? [];
  switch (operator) {
    case 'in':
    case 'notin':
      if (vals.length === 0) errs.push(invalidMsg('values', goStringSlice(values), "for 'in', 'notin' operators, values set can't be empty"));
      break;
    case '=':
    case '==':
    case '!=':
      if (vals.length !== 1) errs.push(invalidMsg('values', goStringSlice(values), 'exact-match compatibility requires one single value'));
      break;
    case 'exists':
    case '!':
      if (vals.length !== 0) errs.push(invalidMsg('values', goStringSlice(values), 'values set must be empty for exists and does not exist'));
      break;
    case 'gt':
    case 'lt':
      if (vals.length !== 1) errs.push(invalidMsg('values', goStringSlice(values), "for 'Gt', 'Lt' operators, exactly one value is required"));
      vals.forEach((v, i) => {
        if (parseInt64(v) === undefined) errs.push(invalidMsg(`values[${i}]`, formatValue(v), "for 'Gt', 'Lt' operators, the value must be an integer"));
      });
      break;
    default:
      errs.push(`operator: Unsupported value: ${formatValue(operator)}: supported values: ${validOperators.map((o) => formatValue(o)).join(', ')}`);
  }
  vals.forEach((v, i) => {
    const ve = isValidLabelValue(v);
    if (ve.length) errs.push(invalidMsg(`values[${i}][${key}]`, formatValue(v), ve.join('; ')));
  });
  const error = aggregate(errs);
  return error ? { ok: false, error } : { ok: true, requirement: { key, operator, values: [...vals] } };
}

/** Requirement.Matches. */
export function requirementMatches(r: Requirement, labels: Labels | undefined): boolean {
  const has = labels !== undefined && Object.hasOwn(labels, r.key);
  const val = has ? labels[r.key] : undefined;
  switch (r.operator) {
    case 'in':
    case '=':
    case '==':
      return has && r.values.includes(val!);
    case 'notin':
    case '!=':
      return !has || !r.values.includes(val!);
    case 'exists':
      return has;
    case '!':
      return !has;
    case 'gt':
    case 'lt': {
      if (!has || r.values.length !== 1) return false;
      const lv = parseInt64(val!);
      const rv = parseInt64(r.values[0]!);
      if (lv === undefined || rv === undefined) return false;
      return r.operator === 'gt' ? lv > rv : lv < rv;
    }
    default:
      return false;
  }
}

/** Requirement.String: `!k`, `k`, `k=v`, `k in (a,b)` (values sorted on output). */
export function requirementString(r: Requirement): string {
  const opText: Partial<Record<LabelOperator, string>> = { '=': '=', '==': '==', '!=': '!=', in: ' in ', notin: ' notin ', gt: '>', lt: '<' };
  if (r.operator === '!') return `!${r.key}`;
  if (r.operator === 'exists') return r.key;
  const vals = r.values.length === 1 ? r.values[0]! : [...r.values].sort(compareStrings).join(',');
  const set = r.operator === 'in' || r.operator === 'notin';
  return `${r.key}${opText[r.operator] ?? ''}${set ? `(${vals})` : vals}`;
}

/** Go's byte-wise string order (differs from localeCompare). */
const compareStrings = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

// ---------------------------------------------------------------------------------------------
// Selectors

class RequirementsSelector implements Selector {
  constructor(private readonly reqs: readonly Requirement[]) {}
  matches(labels: Labels | undefined): boolean {
    return this.reqs.every((r) => requirementMatches(r, labels));
  }
  empty(): boolean {
    return this.reqs.length === 0;
  }
  matchesNothing(): boolean {
    return false;
  }
  toString(): string {
    return this.reqs.map(requirementString).join(',');
  }
  requirements(): readonly Requirement[] {
    return this.reqs;
  }
  requiresExactMatch(label: string): string | undefined {
    const r = this.reqs.find((x) => x.key === label);
    if (!r) return undefined;
    return (r.operator === '=' || r.operator === '==' || r.operator === 'in') && r.values.length === 1 ? r.values[0] : undefined;
  }
  add(...reqs: Requirement[]): Selector {
    return new RequirementsSelector(sortByKey([...this.reqs, ...reqs]));
  }
}

const nothingSelector: Selector = {
  matches: () => false,
  empty: () => false,
  matchesNothing: () => true,
  toString: () => '',
  requirements: () => undefined,
  requiresExactMatch: () => undefined,
  add: () => nothingSelector,
};

const everythingSelector: Selector = new RequirementsSelector([]);

/** labels.Everything(): matches every object (an empty LabelSelector, an empty query). */
export const everything = (): Selector => everythingSelector;
/** labels.Nothing(): matches no object (a nil LabelSelector). */
export const nothing = (): Selector => nothingSelector;

const sortByKey = (reqs: Requirement[]): Requirement[] => reqs.sort((a, b) => compareStrings(a.key, b.key));

/** labels.SelectorFromSet: `k=v` for each entry; an empty or missing set matches everything. No validation. */
export function selectorFromSet(set: Labels | undefined): Selector {
  if (!set) return everythingSelector;
  const reqs = Object.entries(set).map(([key, v]): Requirement => ({ key, operator: '=', values: [v] }));
  return reqs.length ? new RequirementsSelector(sortByKey(reqs)) : everythingSelector;
}

/** labels.Set.String(): `a=b,c=d`, sorted by key. */
export function formatLabels(set: Labels | undefined): string {
  return Object.keys(set ?? {})
    .sort(compareStrings)
    .map((k) => `${k}=${set![k]}`)
    .join(',');
}

const labelSelectorOperators: Record<string, LabelOperator> = { In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!' };

/**
 * metav1.LabelSelectorAsSelector. A nil (absent) selector matches NOTHING; an empty one `{}`
 * matches EVERYTHING. Errors are upstream's (`"Foo" is not a valid label selector operator`, or a
 * NewRequirement error).
 */
export function labelSelectorAsSelector(ls: LabelSelector | null | undefined): LabelParseResult {
  if (ls === null || ls === undefined) return { ok: true, selector: nothingSelector };
  const matchLabels = ls.matchLabels ?? {};
  const exprs = ls.matchExpressions ?? [];
  if (Object.keys(matchLabels).length + exprs.length === 0) return { ok: true, selector: everythingSelector };
  const reqs: Requirement[] = [];
  for (const [k, v] of Object.entries(matchLabels)) {
    const r = newRequirement(k, '=', [v]);
    if (!r.ok) return r;
    reqs.push(r.requirement);
  }
  for (const e of exprs) {
    const op = Object.hasOwn(labelSelectorOperators, e.operator) ? labelSelectorOperators[e.operator] : undefined;
    if (!op) return { ok: false, error: `${JSON.stringify(e.operator)} is not a valid label selector operator` };
    const r = newRequirement(e.key, op, e.values);
    if (!r.ok) return r;
    reqs.push(r.requirement);
  }
  return { ok: true, selector: new RequirementsSelector(sortByKey(reqs)) };
}

/**
 * The selector of a LabelSelector for matching, as controllers use it: nil → nothing, `{}` →
 * everything, and an invalid selector (which validation should have rejected) → nothing.
 */
export function selectorFromLabelSelector(ls: LabelSelector | null | undefined): Selector {
  const r = labelSelectorAsSelector(ls);
  return r.ok ? r.selector : nothingSelector;
}

/** metav1.FormatLabelSelector: the selector string, `<none>` when empty, `<error>` when invalid. */
export function formatLabelSelector(ls: LabelSelector | null | undefined): string {
  const r = labelSelectorAsSelector(ls);
  if (!r.ok) return '<error>';
  return r.selector.toString() || '<none>';
}

/** metav1.LabelSelectorAsMap: the matchLabels plus single-value `In` / `Exists` (as "") terms. */
export function labelSelectorAsMap(ls: LabelSelector | null | undefined): { ok: true; map: Record<string, string> } | { ok: false; error: string } {
  const map: Record<string, string> = { ...(ls?.matchLabels ?? {}) };
  for (const e of ls?.matchExpressions ?? []) {
    if (e.operator === 'In') {
      if ((e.values ?? []).length !== 1) return { ok: false, error: `operator "${e.operator}" without a single value cannot be converted into the old label selector format` };
      map[e.key] = e.values![0]!;
    } else if (e.operator === 'Exists') {
      map[e.key] = '';
    } else {
      return { ok: false, error: `operator "${e.operator}" cannot be converted into the old label selector format` };
    }
  }
  return { ok: true, map };
}

// ---------------------------------------------------------------------------------------------
// The string parser (labels.Parse)

const enum Tok {
  Error,
  EndOfString,
  ClosedPar,
  Comma,
  DoesNotExist,
  DoubleEquals,
  Equals,
  GreaterThan,
  Identifier,
  In,
  LessThan,
  NotEquals,
  NotIn,
  OpenPar,
}

const string2token: Record<string, Tok> = {
  ')': Tok.ClosedPar,
  ',': Tok.Comma,
  '!': Tok.DoesNotExist,
  '==': Tok.DoubleEquals,
  '=': Tok.Equals,
  '>': Tok.GreaterThan,
  in: Tok.In,
  '<': Tok.LessThan,
  '!=': Tok.NotEquals,
  notin: Tok.NotIn,
  '(': Tok.OpenPar,
};
const tokenOf = (s: string): Tok | undefined => (Object.hasOwn(string2token, s) ? string2token[s] : undefined);

const isWhitespace = (ch: string): boolean => ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n';
const isSpecialSymbol = (ch: string): boolean => '=!(),><'.includes(ch) && ch !== '';
const NUL = '\0';

interface Item {
  tok: Tok;
  lit: string;
}

/** The lexer of selector.go: identifiers run until whitespace or a special symbol. */
function lex(s: string): Item[] {
  let pos = 0;
  // read() yields NUL at the end (and for a NUL in the input, as upstream's byte lexer does).
  const read = (): string => (pos < s.length ? s[pos++]! : NUL);
  const unread = (): void => {
    pos--;
  };
  const items: Item[] = [];
  for (;;) {
    let ch = read();
    while (isWhitespace(ch)) ch = read();
    let item: Item;
    if (ch === NUL) {
      item = { tok: Tok.EndOfString, lit: '' };
    } else if (isSpecialSymbol(ch)) {
      unread();
      let buffer = '';
      let last: Item | undefined;
      for (;;) {
        const c = read();
        if (c === NUL) break;
        if (isSpecialSymbol(c)) {
          buffer += c;
          const t = tokenOf(buffer);
          if (t !== undefined) last = { tok: t, lit: buffer };
          else if (last) {
            unread();
            break;
          }
        } else {
          unread();
          break;
        }
      }
      item = last ?? { tok: Tok.Error, lit: `error expected: keyword found '${buffer}'` };
    } else {
      unread();
      let buffer = '';
      for (;;) {
        const c = read();
        if (c === NUL) break;
        if (isSpecialSymbol(c) || isWhitespace(c)) {
          unread();
          break;
        }
        buffer += c;
      }
      const t = tokenOf(buffer);
      item = { tok: t ?? Tok.Identifier, lit: buffer };
    }
    items.push(item);
    if (item.tok === Tok.EndOfString) return items;
  }
}

class ParseError extends Error {}

class Parser {
  private position = 0;
  constructor(private readonly items: Item[]) {}

  /** In a values context the keywords `in`/`notin` are plain identifiers. */
  private lookahead(values: boolean): Item {
    return this.view(this.items[this.position]!, values);
  }
  private consume(values: boolean): Item {
    return this.view(this.items[this.position++]!, values);
  }
  private view(it: Item, values: boolean): Item {
    return values && (it.tok === Tok.In || it.tok === Tok.NotIn) ? { tok: Tok.Identifier, lit: it.lit } : it;
  }

  parse(): Requirement[] {
    const reqs: Requirement[] = [];
    for (;;) {
      const { tok, lit } = this.lookahead(true);
      if (tok === Tok.Identifier || tok === Tok.DoesNotExist) {
        let r: Requirement;
        try {
          r = this.parseRequirement();
        } catch (e) {
          if (e instanceof ParseError) throw new ParseError(`unable to parse requirement: ${e.message}`);
          throw e;
        }
        reqs.push(r);
        const t = this.consume(true);
        if (t.tok === Tok.EndOfString) return reqs;
        if (t.tok === Tok.Comma) {
          const t2 = this.lookahead(true);
          if (t2.tok !== Tok.Identifier && t2.tok !== Tok.DoesNotExist) throw new ParseError(`found '${t2.lit}', expected: identifier after ','`);
        } else {
          throw new ParseError(`found '${t.lit}', expected: ',' or 'end of string'`);
        }
      } else if (tok === Tok.EndOfString) {
        return reqs;
      } else {
        throw new ParseError(`found '${lit}', expected: !, identifier, or 'end of string'`);
      }
    }
  }

  private parseRequirement(): Requirement {
    const [key, inferred] = this.parseKeyAndInferOperator();
    if (inferred === 'exists' || inferred === '!') return this.checked(newRequirement(key, inferred, []));
    const operator = this.parseOperator();
    const values = operator === 'in' || operator === 'notin' ? this.parseValues() : this.parseExactValue();
    return this.checked(newRequirement(key, operator, [...values].sort(compareStrings)));
  }

  private checked(r: RequirementResult): Requirement {
    if (!r.ok) throw new ParseError(r.error);
    return r.requirement;
  }

  private parseKeyAndInferOperator(): [string, LabelOperator | undefined] {
    let operator: LabelOperator | undefined;
    let t = this.consume(true);
    if (t.tok === Tok.DoesNotExist) {
      operator = '!';
      t = this.consume(true);
    }
    if (t.tok !== Tok.Identifier) throw new ParseError(`found '${t.lit}', expected: identifier`);
    // Upstream validates the key against a nil field path here, hence the "<nil>" prefix.
    const ke = keyError(t.lit, '<nil>');
    if (ke) throw new ParseError(ke);
    const next = this.lookahead(true).tok;
    if ((next === Tok.EndOfString || next === Tok.Comma) && operator !== '!') operator = 'exists';
    return [t.lit, operator];
  }

  private parseOperator(): LabelOperator {
    const { tok, lit } = this.consume(false);
    switch (tok) {
      case Tok.In:
        return 'in';
      case Tok.Equals:
        return '=';
      case Tok.DoubleEquals:
        return '==';
      case Tok.GreaterThan:
        return 'gt';
      case Tok.LessThan:
        return 'lt';
      case Tok.NotIn:
        return 'notin';
      case Tok.NotEquals:
        return '!=';
      default:
        throw new ParseError(`found '${lit}', expected: ${binaryOperators.join(', ')}`);
    }
  }

  private parseValues(): Set<string> {
    const open = this.consume(true);
    if (open.tok !== Tok.OpenPar) throw new ParseError(`found '${open.lit}' expected: '('`);
    const { tok, lit } = this.lookahead(true);
    if (tok === Tok.Identifier || tok === Tok.Comma) {
      const s = this.parseIdentifiersList();
      if (this.consume(true).tok !== Tok.ClosedPar) throw new ParseError(`found '${lit}', expected: ')'`);
      return s;
    }
    if (tok === Tok.ClosedPar) {
      this.consume(true);
      return new Set(['']);
    }
    throw new ParseError(`found '${lit}', expected: ',', ')' or identifier`);
  }

  private parseIdentifiersList(): Set<string> {
    const s = new Set<string>();
    for (;;) {
      const { tok, lit } = this.consume(true);
      if (tok === Tok.Identifier) {
        s.add(lit);
        const t2 = this.lookahead(true);
        if (t2.tok === Tok.Comma) continue;
        if (t2.tok === Tok.ClosedPar) return s;
        throw new ParseError(`found '${t2.lit}', expected: ',' or ')'`);
      } else if (tok === Tok.Comma) {
        if (s.size === 0) s.add(''); // "(,"
        const t2 = this.lookahead(true).tok;
        if (t2 === Tok.ClosedPar) {
          s.add(''); // ",)"
          return s;
        }
        if (t2 === Tok.Comma) s.add(''); // ",,"
      } else {
        throw new ParseError(`found '${lit}', expected: ',', or identifier`);
      }
    }
  }

  private parseExactValue(): Set<string> {
    const next = this.lookahead(true).tok;
    if (next === Tok.EndOfString || next === Tok.Comma) return new Set(['']);
    const { tok, lit } = this.consume(true);
    if (tok === Tok.Identifier) return new Set([lit]);
    throw new ParseError(`found '${lit}', expected: identifier`);
  }
}

/**
 * labels.Parse: the `labelSelector` query parameter. "" (or only whitespace) matches everything.
 * On failure, `error` is upstream's message, e.g. `unable to parse requirement: found '', expected: in, notin, =, ==, !=, gt, lt`.
 */
export function parseLabelSelector(selector: string): LabelParseResult {
  try {
    const reqs = new Parser(lex(selector)).parse();
    return { ok: true, selector: reqs.length ? new RequirementsSelector(sortByKey(reqs)) : everythingSelector };
  } catch (e) {
    if (e instanceof ParseError) return { ok: false, error: e.message };
    throw e;
  }
}

/** parseLabelSelector for trusted input (constants, tests): throws with the upstream message. */
export function mustParseLabelSelector(selector: string): Selector {
  const r = parseLabelSelector(selector);
  if (!r.ok) throw new Error(r.error);
  return r.selector;
}
