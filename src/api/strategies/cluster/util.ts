/**
 * Small validation helpers shared by the cluster-kind strategies, reproducing the wording of
 * k8s.io/apimachinery/pkg/util/validation (ip.go, validation.go) and pkg/apis/core/validation.
 */
import { type FieldError, FieldPath, invalid, notSupported, required } from '../../field-errors.js';
import type { ApiObject } from '../../object.js';
import { jsonEqual } from '../../object.js';
import { parseQuantity, QUANTITY_FORMAT_ERROR, type Quantity } from '../../quantity.js';
import type { ResourceStrategy } from '../../strategy.js';
import type { NameValidator } from '../../validation/meta.js';
import { isDNS1123Label, isDNS1123Subdomain, isQualifiedName, isValidPortName, isValidPortNum } from '../../validation/names.js';

/**
 * A strategy plus the metadata.name rule of its kind (upstream passes it to ValidateObjectMeta).
 * The generic store should use `nameValidator` in place of its DNS-subdomain default.
 */
export interface ClusterStrategy extends ResourceStrategy {
  nameValidator?: NameValidator;
}

export const root = (name: string): FieldPath => FieldPath.root(name);

/**
 * A value that field errors print verbatim, the way Go prints a fmt.Stringer or a `%#v` struct
 * (e.g. a Quantity prints as `2Gi`, not `"2Gi"`).
 */
export class GoValue {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
  toJSON(): string {
    return this.text;
  }
}

/** A `[]string` as Go's %#v prints it: `[]string{"a", "b"}`, `[]string(nil)` when absent. */
export function goStringSlice(v: readonly string[] | null | undefined): GoValue {
  return goSliceOf('string', v);
}

/** A slice of a named string type as Go's %#v prints it, e.g. `[]core.IPFamily{"IPv4"}`; absent is Go's nil slice. */
export function goSliceOf(elemType: string, v: readonly string[] | null | undefined): GoValue {
  return new GoValue(v == null ? `[]${elemType}(nil)` : `[]${elemType}{${v.map((s) => JSON.stringify(s)).join(', ')}}`);
}

/** `intstr.IntOrString{...}` as Go's %#v prints it. */
export function goIntOrString(v: number | string): GoValue {
  return typeof v === 'number'
    ? new GoValue(`intstr.IntOrString{Type:0, IntVal:${v}, StrVal:""}`)
    : new GoValue(`intstr.IntOrString{Type:1, IntVal:0, StrVal:${JSON.stringify(v)}}`);
}

export const fieldImmutable = 'field is immutable';

/** ValidateImmutableField: `Invalid value: <new>: field is immutable`. */
export function immutable(newVal: unknown, oldVal: unknown, path: FieldPath | string): FieldError[] {
  return jsonEqual(newVal ?? null, oldVal ?? null) ? [] : [invalid(path, newVal ?? null, fieldImmutable)];
}

export const dnsLabelErrors = (v: string, path: FieldPath): FieldError[] => isDNS1123Label(v).map((m) => invalid(path, v, m));
export const dnsSubdomainErrors = (v: string, path: FieldPath): FieldError[] => isDNS1123Subdomain(v).map((m) => invalid(path, v, m));
export const qualifiedNameErrors = (v: string, path: FieldPath): FieldError[] => isQualifiedName(v).map((m) => invalid(path, v, m));

/** ValidateNonnegativeField. */
export function nonNegative(v: number | undefined, path: FieldPath): FieldError[] {
  return v !== undefined && v < 0 ? [invalid(path, v, 'must be greater than or equal to 0')] : [];
}

// ---- IP addresses and CIDRs (Go's net.ParseIP / ParseCIDR, "sloppy": leading zeros allowed in IPv4) ----

const ipv4Re = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

export function parseIPv4(s: string): number[] | undefined {
  const m = ipv4Re.exec(s);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  return parts.every((p) => p <= 255) ? parts : undefined;
}

/** Parses an IPv6 address (an embedded IPv4 tail allowed) into 16 bytes. */
export function parseIPv6(s: string): number[] | undefined {
  if (!s.includes(':')) return undefined;
  let text = s;
  const lastColon = s.lastIndexOf(':');
  const tail = s.slice(lastColon + 1);
  if (tail.includes('.')) {
    const v4 = parseIPv4(tail);
    if (!v4) return undefined;
    text = `${s.slice(0, lastColon + 1)}${((v4[0] << 8) | v4[1]).toString(16)}:${((v4[2] << 8) | v4[3]).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (part: string): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    for (const g of part.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = groups(halves[0]);
  const rest = halves.length === 2 ? groups(halves[1]) : [];
  if (!head || !rest) return undefined;
  let words: number[];
  if (halves.length === 2) {
    if (head.length + rest.length > 7) return undefined;
    words = [...head, ...new Array<number>(8 - head.length - rest.length).fill(0), ...rest];
  } else {
    if (head.length !== 8) return undefined;
    words = head;
  }
  const bytes: number[] = [];
  for (const w of words) bytes.push(w >> 8, w & 0xff);
  return bytes;
}

export type IPFamily = 'IPv4' | 'IPv6';

export function ipFamilyOf(s: string): IPFamily | undefined {
  if (parseIPv4(s)) return 'IPv4';
  if (parseIPv6(s)) return 'IPv6';
  return undefined;
}

/** Parses `addr/prefix`; returns the family, network bytes and prefix length. */
export function parseCIDR(s: string): { family: IPFamily; bytes: number[]; prefix: number } | undefined {
  const slash = s.indexOf('/');
  if (slash < 0) return undefined;
  const addr = s.slice(0, slash);
  const pfx = s.slice(slash + 1);
  if (!/^\d{1,3}$/.test(pfx)) return undefined;
  const prefix = Number(pfx);
  const v4 = parseIPv4(addr);
  if (v4) return prefix <= 32 ? { family: 'IPv4', bytes: v4, prefix } : undefined;
  const v6 = parseIPv6(addr);
  if (v6) return prefix <= 128 ? { family: 'IPv6', bytes: v6, prefix } : undefined;
  return undefined;
}

/** Whether `inner` lies inside the network `outer` (by prefix bits). */
export function cidrContains(outer: { bytes: number[]; prefix: number }, ip: number[]): boolean {
  if (outer.bytes.length !== ip.length) return false;
  for (let bit = 0; bit < outer.prefix; bit++) {
    const byte = bit >> 3;
    const mask = 0x80 >> (bit & 7);
    if ((outer.bytes[byte] & mask) !== (ip[byte] & mask)) return false;
  }
  return true;
}

export function isValidIP(path: FieldPath, value: string): FieldError[] {
  return ipFamilyOf(value) ? [] : [invalid(path, value, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)')];
}

export function isValidCIDR(path: FieldPath, value: string): FieldError[] {
  return parseCIDR(value) ? [] : [invalid(path, value, 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)')];
}

/**
 * ValidateNonSpecialIP (Endpoints, EndpointSlices, externalIPs). With `allowLoopback` loopback
 * addresses pass: in Capstan's host network mode on a loopback-bound node, pods' addresses are the
 * node's loopback address, and Endpoints must be able to hold them.
 */
export function validateNonSpecialIP(value: string, path: FieldPath, opts: { allowLoopback?: boolean } = {}): FieldError[] {
  const v4 = parseIPv4(value);
  const v6 = v4 ? undefined : parseIPv6(value);
  if (!v4 && !v6) return [invalid(path, value, 'must be a valid IP address')];
  const errs: FieldError[] = [];
  const b = v4 ?? v6!;
  const mapped = v6 && v6.slice(0, 10).every((x) => x === 0) && v6[10] === 0xff && v6[11] === 0xff ? v6.slice(12) : undefined;
  const four = v4 ?? mapped;
  const unspecified = four ? four.every((x) => x === 0) : b.every((x) => x === 0);
  const loopback = four ? four[0] === 127 : b.slice(0, 15).every((x) => x === 0) && b[15] === 1;
  const linkLocalUnicast = four ? four[0] === 169 && four[1] === 254 : b[0] === 0xfe && (b[1] & 0xc0) === 0x80;
  const linkLocalMulticast = four ? four[0] === 224 && four[1] === 0 && four[2] === 0 : b[0] === 0xff && (b[1] & 0x0f) === 0x02;
  if (unspecified) errs.push(invalid(path, value, `may not be unspecified (${value})`));
  if (loopback && !opts.allowLoopback) errs.push(invalid(path, value, 'may not be in the loopback range (127.0.0.0/8, ::1/128)'));
  if (linkLocalUnicast) errs.push(invalid(path, value, 'may not be in the link-local range (169.254.0.0/16, fe80::/10)'));
  if (linkLocalMulticast) errs.push(invalid(path, value, 'may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)'));
  return errs;
}

// ---- Ports, protocols ----

/** sets.List order (sorted), as upstream prints supported values. */
export const supportedPortProtocols = ['SCTP', 'TCP', 'UDP'];

export function validateProtocol(protocol: string | undefined, path: FieldPath): FieldError[] {
  if (!protocol) return [required(path)];
  return supportedPortProtocols.includes(protocol) ? [] : [notSupported(path, protocol, supportedPortProtocols)];
}

export function portNumErrors(port: number | undefined, path: FieldPath): FieldError[] {
  return isValidPortNum(port ?? 0).map((m) => invalid(path, port ?? 0, m));
}

/** ValidatePortNumOrName. */
export function validatePortNumOrName(port: number | string | undefined, path: FieldPath): FieldError[] {
  if (typeof port === 'string') return isValidPortName(port).map((m) => invalid(path, port, m));
  return portNumErrors(port ?? 0, path);
}

// ---- Quantities ----

/**
 * Parses a quantity field. Upstream rejects malformed quantities while decoding; here they become
 * an Invalid field error with the decoder's message.
 */
export function quantityAt(v: unknown, path: FieldPath, errs: FieldError[]): Quantity | undefined {
  const q = typeof v === 'string' || typeof v === 'number' ? parseQuantity(v) : undefined;
  if (!q) errs.push(invalid(path, v ?? null, QUANTITY_FORMAT_ERROR));
  return q;
}

/** Parses every entry of a ResourceList, reporting malformed ones. */
export function resourceList(list: Record<string, unknown> | undefined, path: FieldPath, errs: FieldError[]): Map<string, Quantity> {
  const out = new Map<string, Quantity>();
  for (const [k, v] of Object.entries(list ?? {})) {
    const q = quantityAt(v, path.key(k), errs);
    if (q) out.set(k, q);
  }
  return out;
}

export const quantityValue = (q: Quantity): GoValue => new GoValue(q.toString());

/** ValidateNonnegativeQuantity. */
export function nonNegativeQuantity(q: Quantity, path: FieldPath): FieldError[] {
  return q.sign() < 0 ? [invalid(path, q.toString(), 'must be greater than or equal to 0')] : [];
}

/** ValidatePositiveQuantityValue. */
export function positiveQuantity(q: Quantity, path: FieldPath): FieldError[] {
  return q.sign() <= 0 ? [invalid(path, q.toString(), 'must be greater than zero')] : [];
}

// ---- Resource names (pkg/apis/core/helper) ----

const standardResources = new Set([
  'cpu', 'memory', 'ephemeral-storage', 'requests.cpu', 'requests.memory', 'requests.ephemeral-storage', 'limits.cpu', 'limits.memory',
  'limits.ephemeral-storage', 'pods', 'services', 'replicationcontrollers', 'resourcequotas', 'secrets', 'configmaps', 'persistentvolumeclaims',
  'storage', 'requests.storage', 'services.nodeports', 'services.loadbalancers',
]);
const standardQuotaResources = new Set([
  'pods', 'cpu', 'memory', 'ephemeral-storage', 'requests.cpu', 'requests.memory', 'requests.storage', 'requests.ephemeral-storage', 'limits.cpu',
  'limits.memory', 'limits.ephemeral-storage', 'persistentvolumeclaims', 'services', 'services.loadbalancers', 'services.nodeports',
  'resourcequotas', 'replicationcontrollers', 'secrets', 'configmaps',
]);
const standardContainerResources = new Set(['cpu', 'memory', 'ephemeral-storage']);
const integerResources = new Set([
  'pods', 'services', 'replicationcontrollers', 'resourcequotas', 'secrets', 'configmaps', 'persistentvolumeclaims', 'services.nodeports',
  'services.loadbalancers',
]);

export const isHugePageResource = (n: string): boolean => n.startsWith('hugepages-');
const isNativeResource = (n: string): boolean => !n.includes('/') || n.includes('kubernetes.io/');
export const isExtendedResourceName = (n: string): boolean => !isNativeResource(n) && !n.startsWith('requests.');
export const isStandardQuotaResourceName = (n: string): boolean =>
  standardQuotaResources.has(n) || n.startsWith('requests.hugepages-') || n.startsWith('count/');
/** Resources upstream refuses to overcommit (requests must equal limits): hugepages and extended resources. */
export const isOvercommitAllowed = (n: string): boolean => isNativeResource(n) && !isHugePageResource(n);
export const isIntegerResourceName = (n: string): boolean => integerResources.has(n) || n.startsWith('count/') || isExtendedResourceName(n);

/** validateResourceName. */
export function validateResourceName(name: string, path: FieldPath): FieldError[] {
  const errs = qualifiedNameErrors(name, path);
  if (errs.length) return errs;
  if (!name.includes('/') && !standardResources.has(name) && !isHugePageResource(name))
    return [invalid(path, name, 'must be a standard resource type or fully qualified')];
  return [];
}

/** validateContainerResourceName. */
export function validateContainerResourceName(name: string, path: FieldPath): FieldError[] {
  const errs = validateResourceName(name, path);
  if (!name.includes('/')) {
    if (!standardContainerResources.has(name) && !isHugePageResource(name)) return [...errs, invalid(path, name, 'must be a standard resource for containers')];
  } else if (!isNativeResource(name) && !isExtendedResourceName(name)) {
    return [...errs, invalid(path, name, "doesn't follow extended resource name standard")];
  }
  return errs;
}

/** ValidateResourceQuantityValue. */
export function validateResourceQuantityValue(resource: string, q: Quantity, path: FieldPath): FieldError[] {
  const errs = nonNegativeQuantity(q, path);
  if (isIntegerResourceName(resource) && q.milliValue() % 1000n !== 0n) errs.push(invalid(path, quantityValue(q), 'must be an integer'));
  return errs;
}

// ---- Misc ----

export const asRecord = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
export const asArray = <T = unknown>(v: unknown): T[] => (Array.isArray(v) ? (v as T[]) : []);

/** The object's spec, created when absent so that defaulting can write into it. */
export function specOf<T>(obj: ApiObject): T {
  if (!obj.spec || typeof obj.spec !== 'object') obj.spec = {};
  return obj.spec as T;
}

/** Decoded byte length of a base64 string (Secret data, ConfigMap binaryData). */
export function base64Length(v: string): number | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(v) || v.length % 4 !== 0) return undefined;
  return Buffer.from(v, 'base64').length;
}

/** A regex error without examples (validation.RegexError with none). */
export const regexErrorNoExamples = (msg: string, fmt: string): string => `${msg} (regex used for validation is '${fmt}')`;

/** IsValidPercent. */
export function isValidPercent(v: string): string[] {
  return /^[0-9]+%$/.test(v) ? [] : ["a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')"];
}

/** ValidatePositiveIntOrPercent + IsNotMoreThan100Percent (pkg/apis/apps/validation). */
export function validateIntOrPercent(v: number | string, path: FieldPath, notMoreThan100: boolean): FieldError[] {
  const errs: FieldError[] = [];
  if (typeof v === 'string') {
    for (const m of isValidPercent(v)) errs.push(invalid(path, goIntOrString(v), m));
    if (notMoreThan100 && /^[0-9]+%$/.test(v) && Number(v.slice(0, -1)) > 100) errs.push(invalid(path, goIntOrString(v), 'must not be greater than 100%'));
  } else if (typeof v === 'number') {
    errs.push(...nonNegative(v, path));
  } else {
    errs.push(invalid(path, v, "must be an integer or percentage (e.g '5%')"));
  }
  return errs;
}
