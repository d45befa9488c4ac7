/**
 * RFC 6902 JSON patch with kube-apiserver's exact behaviour and wording, which is that of
 * gopkg.in/evanphx/json-patch.v4 (patch.go), including its leniencies:
 * - `replace` of a missing object member adds it (only a bad array index fails);
 * - negative array indices count from the end;
 * - `copy` from a missing object member copies `null`;
 * - an operation without `value` uses `null`.
 * The input document is not mutated.
 */
import { deepCopy, isPlainObject, jsonEqual } from '../object.js';
import { MAX_JSON_PATCH_OPERATIONS, PatchError } from './patch-error.js';

export interface JsonPatchOperation {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  path: string;
  from?: string;
  value?: unknown;
}

type Container = Record<string, unknown> | unknown[];

const MISSING = 'missing value';
const INVALID_INDEX = 'invalid index referenced';
const TEST_FAILED = 'test failed';

/** Go's encoding/json name for a JSON value's kind, as its type errors print it. */
function goJsonKind(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  if (typeof v === 'object') return 'object';
  return typeof v === 'boolean' ? 'bool' : typeof v;
}

/** Checks the patch body's shape the way DecodePatch does; returns the operations. */
export function decodeJsonPatch(patch: unknown): Record<string, unknown>[] {
  if (!Array.isArray(patch)) {
    throw new PatchError(`json: cannot unmarshal ${goJsonKind(patch)} into Go value of type jsonpatch.Patch`, 'decode');
  }
  for (const op of patch) {
    if (!isPlainObject(op) && op !== null) {
      throw new PatchError(`json: cannot unmarshal ${goJsonKind(op)} into Go value of type jsonpatch.Operation`, 'decode');
    }
  }
  if (patch.length > MAX_JSON_PATCH_OPERATIONS) {
    throw new PatchError(`The allowed maximum operations in a JSON patch is ${MAX_JSON_PATCH_OPERATIONS}, got ${patch.length}`, 'too-large');
  }
  return patch.map((op) => (op ?? {}) as Record<string, unknown>);
}

/** Applies `patch` (the decoded request body) to `doc` and returns the patched copy. */
export function applyJsonPatch<T>(doc: T, patch: unknown): T {
  const ops = decodeJsonPatch(patch);
  const state = { root: deepCopy(doc) as unknown };
  for (const op of ops) {
    const kind = typeof op.op === 'string' ? op.op : 'unknown';
    switch (kind) {
      case 'add':
        opAdd(state, op);
        break;
      case 'remove':
        opRemove(state, op);
        break;
      case 'replace':
        opReplace(state, op);
        break;
      case 'move':
        opMove(state, op);
        break;
      case 'copy':
        opCopy(state, op);
        break;
      case 'test':
        opTest(state, op);
        break;
      default:
        throw new PatchError(`Unexpected kind: ${kind}`);
    }
  }
  return state.root as T;
}

/** RFC 6901 unescaping: `~1` then `~0`. */
export function decodePointerToken(token: string): string {
  return token.replace(/~1/g, '/').replace(/~0/g, '~');
}

/** RFC 6901 escaping of one reference token. */
export function encodePointerToken(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** The `path`/`from` member: [value, error text] as Operation.Path/From answer. */
function member(op: Record<string, unknown>, name: 'path' | 'from'): [string, string | undefined] {
  const v = op[name];
  if (v === undefined || v === null) {
    return ['unknown', name === 'path' ? `operation missing path field: ${MISSING}` : `operation, missing from field: ${MISSING}`];
  }
  if (typeof v !== 'string') return ['unknown', `json: cannot unmarshal ${goJsonKind(v)} into Go value of type string`];
  return [v, undefined];
}

const value = (op: Record<string, unknown>): unknown => (op.value === undefined ? null : deepCopy(op.value));

/** strconv.Atoi: an optionally signed decimal integer. */
function atoi(key: string): number | string {
  if (/^[+-]?\d+$/.test(key)) {
    const n = Number(key);
    if (Number.isSafeInteger(n)) return n;
    return `strconv.Atoi: parsing ${JSON.stringify(key)}: value out of range`;
  }
  return `strconv.Atoi: parsing ${JSON.stringify(key)}: invalid syntax`;
}

const invalidIndex = (idx: number): string => `Unable to access invalid index: ${idx}: ${INVALID_INDEX}`;

/** The container holding the pointer's last token, and that token (findObject). */
function findObject(root: unknown, path: string): [Container, string] | undefined {
  const split = path.split('/');
  if (split.length < 2) return undefined;
  let cur = root;
  if (!Array.isArray(cur) && !isPlainObject(cur)) return undefined;
  for (const part of split.slice(1, -1)) {
    const [next, err] = get(cur as Container, decodePointerToken(part));
    if (err !== undefined || next === undefined || next === null) return undefined;
    if (!Array.isArray(next) && !isPlainObject(next)) return undefined;
    cur = next;
  }
  return [cur as Container, decodePointerToken(split[split.length - 1])];
}

/** A member or element; `undefined` for a missing object member (not an error upstream). */
function get(c: Container, key: string): [unknown, string | undefined] {
  if (!Array.isArray(c)) return [Object.prototype.hasOwnProperty.call(c, key) ? c[key] : undefined, undefined];
  const n = atoi(key);
  if (typeof n === 'string') return [undefined, n];
  let idx = n;
  if (idx < 0) {
    if (idx < -c.length) return [undefined, invalidIndex(idx)];
    idx += c.length;
  }
  if (idx >= c.length) return [undefined, invalidIndex(idx)];
  return [c[idx], undefined];
}

function add(c: Container, key: string, v: unknown): string | undefined {
  if (!Array.isArray(c)) {
    c[key] = v;
    return undefined;
  }
  if (key === '-') {
    c.push(v);
    return undefined;
  }
  const n = atoi(key);
  if (typeof n === 'string') return `value was not a proper array index: '${key}': ${n}`;
  let idx = n;
  const size = c.length + 1;
  if (idx >= size) return invalidIndex(idx);
  if (idx < 0) {
    if (idx < -size) return invalidIndex(idx);
    idx += size;
  }
  c.splice(idx, 0, v);
  return undefined;
}

function remove(c: Container, key: string): string | undefined {
  if (!Array.isArray(c)) {
    if (!Object.prototype.hasOwnProperty.call(c, key)) return `Unable to remove nonexistent key: ${key}: ${MISSING}`;
    delete c[key];
    return undefined;
  }
  const n = atoi(key);
  if (typeof n === 'string') return n;
  let idx = n;
  if (idx >= c.length) return invalidIndex(idx);
  if (idx < 0) {
    if (idx < -c.length) return invalidIndex(idx);
    idx += c.length;
  }
  c.splice(idx, 1);
  return undefined;
}

function set(c: Container, key: string, v: unknown): string | undefined {
  if (!Array.isArray(c)) {
    c[key] = v;
    return undefined;
  }
  const n = atoi(key);
  if (typeof n === 'string') return n;
  let idx = n;
  if (idx < 0) {
    if (idx < -c.length) return invalidIndex(idx);
    idx += c.length;
  }
  c[idx] = v;
  return undefined;
}

interface DocState {
  root: unknown;
}

function opAdd(s: DocState, op: Record<string, unknown>): void {
  const [path, perr] = member(op, 'path');
  if (perr) throw new PatchError(`add operation failed to decode path: ${MISSING}`);
  const found = findObject(s.root, path);
  if (!found) throw new PatchError(`add operation does not apply: doc is missing path: "${path}": ${MISSING}`);
  const err = add(found[0], found[1], value(op));
  if (err) throw new PatchError(`error in add for path: '${path}': ${err}`);
}

function opRemove(s: DocState, op: Record<string, unknown>): void {
  const [path, perr] = member(op, 'path');
  if (perr) throw new PatchError(`remove operation failed to decode path: ${MISSING}`);
  const found = findObject(s.root, path);
  if (!found) throw new PatchError(`remove operation does not apply: doc is missing path: "${path}": ${MISSING}`);
  const err = remove(found[0], found[1]);
  if (err) throw new PatchError(`error in remove for path: '${path}': ${err}`);
}

function opReplace(s: DocState, op: Record<string, unknown>): void {
  const [path, perr] = member(op, 'path');
  if (perr) throw new PatchError(`replace operation failed to decode path: ${perr}`);
  if (path === '') {
    const v = value(op);
    if (!Array.isArray(v) && !isPlainObject(v)) throw new PatchError('replace operation value must be object or array: %!w(<nil>)');
    s.root = v;
    return;
  }
  const found = findObject(s.root, path);
  if (!found) throw new PatchError(`replace operation does not apply: doc is missing path: ${path}: ${MISSING}`);
  const [, gerr] = get(found[0], found[1]);
  if (gerr) throw new PatchError(`replace operation does not apply: doc is missing key: ${path}: ${MISSING}`);
  const err = set(found[0], found[1], value(op));
  if (err) throw new PatchError(`error in remove for path: '${path}': ${err}`);
}

function opMove(s: DocState, op: Record<string, unknown>): void {
  const [from, ferr] = member(op, 'from');
  if (ferr) throw new PatchError(`move operation failed to decode from: ${ferr}`);
  const src = findObject(s.root, from);
  if (!src) throw new PatchError(`move operation does not apply: doc is missing from path: ${from}: ${MISSING}`);
  const [v, gerr] = get(src[0], src[1]);
  if (gerr) throw new PatchError(`error in move for path: '${src[1]}': ${gerr}`);
  const rerr = remove(src[0], src[1]);
  if (rerr) throw new PatchError(`error in move for path: '${src[1]}': ${rerr}`);
  const [path, perr] = member(op, 'path');
  if (perr) throw new PatchError(`move operation failed to decode path: ${perr}`);
  const dst = findObject(s.root, path);
  if (!dst) throw new PatchError(`move operation does not apply: doc is missing destination path: ${path}: ${MISSING}`);
  const err = add(dst[0], dst[1], v === undefined ? null : v);
  if (err) throw new PatchError(`error in move for path: '${path}': ${err}`);
}

function opCopy(s: DocState, op: Record<string, unknown>): void {
  const [from, ferr] = member(op, 'from');
  if (ferr) throw new PatchError(`copy operation failed to decode from: ${ferr}`);
  const src = findObject(s.root, from);
  if (!src) throw new PatchError(`copy operation does not apply: doc is missing from path: ${from}: ${MISSING}`);
  const [v, gerr] = get(src[0], src[1]);
  if (gerr) throw new PatchError(`error in copy for from: '${from}': ${gerr}`);
  const [path, perr] = member(op, 'path');
  if (perr) throw new PatchError(`copy operation failed to decode path: ${MISSING}`);
  const dst = findObject(s.root, path);
  if (!dst) throw new PatchError(`copy operation does not apply: doc is missing destination path: ${path}: ${MISSING}`);
  const err = add(dst[0], dst[1], v === undefined ? null : deepCopy(v));
  if (err) throw new PatchError(`error while adding value during copy: ${err}`);
}

function opTest(s: DocState, op: Record<string, unknown>): void {
  const [path, perr] = member(op, 'path');
  if (perr) throw new PatchError(`test operation failed to decode path: ${perr}`);
  const expected = op.value === undefined ? null : op.value;
  if (path === '') {
    if (jsonEqual(s.root, expected)) return;
    throw new PatchError(`testing value ${path} failed: ${TEST_FAILED}`);
  }
  const found = findObject(s.root, path);
  if (!found) throw new PatchError(`test operation does not apply: is missing path: ${path}: ${MISSING}`);
  const [actual, gerr] = get(found[0], found[1]);
  if (gerr) throw new PatchError(`error in test for path: '${path}': ${gerr}`);
  if (actual === undefined || actual === null) {
    if (expected === null) return;
    throw new PatchError(`testing value ${path} failed: ${TEST_FAILED}`);
  }
  if (!jsonEqual(actual, expected)) throw new PatchError(`testing value ${path} failed: ${TEST_FAILED}`);
}
