/**
 * The kubelet flags that shape the Node object: `--kube-reserved`, `--system-reserved`,
 * `--eviction-hard`, `--node-labels` and `--register-with-taints`. Each parser is pure and throws
 * an Error naming the flag and the bad value. Behaviour follows the kubelet's own parsing
 * (cmd/kubelet/app/options, cmd/kubelet/app/server.go parseResourceList, pkg/kubelet/eviction
 * helpers.go, k8s.io/kubectl taint parsing as RegisterWithTaintsVar uses it).
 */
import type { Taint } from 'kubernetes-types/core/v1.js';
import { parseQuantityResult, type Quantity } from '../../api/quantity.js';
import { isQualifiedName, isValidLabelValue } from '../../api/validation/names.js';

/** Resources that can be reserved for system daemons; `pid` counts process ids. */
export type ReservableResource = 'cpu' | 'memory' | 'ephemeral-storage' | 'pid';
export type ReservedResources = Partial<Record<ReservableResource, Quantity>>;

/** The eviction signals the kubelet accepts on Linux (pkg/kubelet/eviction/api). */
export const evictionSignals = [
  'memory.available',
  'allocatableMemory.available',
  'nodefs.available',
  'nodefs.inodesFree',
  'imagefs.available',
  'imagefs.inodesFree',
  'containerfs.available',
  'containerfs.inodesFree',
  'pid.available',
] as const;
export type EvictionSignal = (typeof evictionSignals)[number];

/**
 * A hard eviction threshold: the signal is breached when what is observed is below the value.
 * Exactly one of `quantity` and `percentage` is set; `percentage` is a fraction of capacity
 * (0.1 for 10%), held at float32 precision as the kubelet holds it.
 */
export interface EvictionThreshold {
  signal: EvictionSignal;
  quantity?: Quantity;
  percentage?: number;
}

/** The kubelet's Linux defaults for `--eviction-hard` (pkg/kubelet/eviction/defaults_linux.go). */
export const defaultEvictionHard = 'memory.available<100Mi,nodefs.available<10%,nodefs.inodesFree<5%,imagefs.available<15%,imagefs.inodesFree<5%';

const effects = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] as const;

/** Label keys the kubelet may set itself in the kubernetes.io / k8s.io namespaces (kubeletapis.KubeletLabels). */
const kubeletLabels = new Set([
  'kubernetes.io/hostname',
  'topology.kubernetes.io/zone',
  'topology.kubernetes.io/region',
  'failure-domain.beta.kubernetes.io/zone',
  'failure-domain.beta.kubernetes.io/region',
  'beta.kubernetes.io/instance-type',
  'node.kubernetes.io/instance-type',
  'kubernetes.io/os',
  'kubernetes.io/arch',
  'beta.kubernetes.io/os',
  'beta.kubernetes.io/arch',
]);
const kubeletLabelNamespaces = ['kubelet.kubernetes.io', 'node.kubernetes.io'];

function flagError(flag: string, value: string, reason: string): Error {
  return new Error(`invalid ${flag} ${JSON.stringify(value)}: ${reason}`);
}

/** `k=v,k2=v2` as pflag's mapStringString splits it: pairs on `,`, key and value on the first `=`. */
function splitPairs(flag: string, value: string): [string, string][] {
  if (value.trim() === '') return [];
  return value.split(',').map((pair) => {
    const i = pair.indexOf('=');
    if (i < 0) throw flagError(flag, value, `malformed pair ${JSON.stringify(pair)}, expect string=string`);
    return [pair.slice(0, i).trim(), pair.slice(i + 1).trim()];
  });
}

/** `--kube-reserved` / `--system-reserved`: `cpu=100m,memory=256Mi,ephemeral-storage=1Gi,pid=100`. */
export function parseReserved(flag: '--kube-reserved' | '--system-reserved', value: string): ReservedResources {
  const out: ReservedResources = {};
  for (const [k, v] of splitPairs(flag, value)) {
    if (k !== 'cpu' && k !== 'memory' && k !== 'ephemeral-storage' && k !== 'pid') throw flagError(flag, value, `cannot reserve ${JSON.stringify(k)} resource`);
    const q = parseQuantityResult(v);
    if (!q.ok) throw flagError(flag, value, `failed to parse quantity ${JSON.stringify(v)} for ${JSON.stringify(k)} resource: ${q.error}`);
    if (q.quantity.sign() < 0) throw flagError(flag, value, `resource quantity for ${JSON.stringify(k)} cannot be negative: ${v}`);
    out[k] = q.quantity;
  }
  return out;
}

/**
 * `--eviction-hard`: `signal<value` statements joined by `,`; undefined means the defaults. As in
 * kubelet v1.32, a value given replaces the defaults entirely (signals left out are not enforced),
 * and `0%` or `100%` drops that signal.
 */
export function parseEvictionHard(value: string | undefined): EvictionThreshold[] {
  const flag = '--eviction-hard';
  const text = value ?? defaultEvictionHard;
  if (text.trim() === '') return [];
  const out: EvictionThreshold[] = [];
  for (const stmt of text.split(',')) {
    const i = stmt.indexOf('<');
    if (i < 0) throw flagError(flag, text, `malformed pair ${JSON.stringify(stmt)}, expect string<string`);
    const signal = stmt.slice(0, i).trim();
    const v = stmt.slice(i + 1).trim();
    if (!(evictionSignals as readonly string[]).includes(signal)) throw flagError(flag, text, `unsupported eviction signal ${signal}`);
    // The flag fills a map, so a repeated signal takes its last value.
    const at = out.findIndex((t) => t.signal === signal);
    if (at >= 0) out.splice(at, 1);
    const threshold = parseThresholdValue(flag, text, signal as EvictionSignal, v);
    if (threshold) out.push(threshold);
  }
  return out;
}

function parseThresholdValue(flag: string, text: string, signal: EvictionSignal, v: string): EvictionThreshold | undefined {
  if (v.endsWith('%')) {
    if (v === '0%' || v === '100%') return undefined;
    const num = v.slice(0, -1);
    if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(num)) throw flagError(flag, text, `invalid percentage ${JSON.stringify(v)} for ${signal}`);
    // float32(ParseFloat(v, 32)) / 100, computed in float32 as the kubelet does.
    const percentage = Math.fround(Math.fround(Number(num)) / 100);
    if (percentage < 0) throw flagError(flag, text, `eviction percentage threshold ${signal} must be >= 0%: ${v}`);
    if (percentage > 1) throw flagError(flag, text, `eviction percentage threshold ${signal} must be <= 100%: ${v}`);
    return { signal, percentage };
  }
  const q = parseQuantityResult(v);
  if (!q.ok) throw flagError(flag, text, `${q.error} (${signal}<${v})`);
  if (q.quantity.sign() <= 0) throw flagError(flag, text, `eviction threshold ${signal} must be positive: ${q.quantity.toString()}`);
  return { signal, quantity: q.quantity };
}

function isKubernetesNamespace(key: string): boolean {
  const slash = key.indexOf('/');
  if (slash < 0) return false;
  const ns = key.slice(0, slash);
  return ns === 'kubernetes.io' || ns.endsWith('.kubernetes.io') || ns === 'k8s.io' || ns.endsWith('.k8s.io');
}

function isKubeletLabel(key: string): boolean {
  if (kubeletLabels.has(key)) return true;
  const ns = key.slice(0, Math.max(0, key.indexOf('/')));
  return kubeletLabelNamespaces.some((allowed) => ns === allowed || ns.endsWith(`.${allowed}`));
}

/**
 * `--node-labels`: `k=v,k2=v2`. Keys must be qualified names and values label values; keys in the
 * kubernetes.io / k8s.io namespaces are refused unless the kubelet itself may set them (the rule
 * the NodeRestriction admission plugin also enforces).
 */
export function parseNodeLabels(value: string): Record<string, string> {
  const flag = '--node-labels';
  const out: Record<string, string> = {};
  const unknown: string[] = [];
  const invalid: string[] = [];
  for (const [k, v] of splitPairs(flag, value)) {
    if (isKubernetesNamespace(k) && !isKubeletLabel(k)) unknown.push(k);
    const keyErrs = isQualifiedName(k);
    if (keyErrs.length) invalid.push(`'${k}' - ${keyErrs.join(', ')}`);
    const valueErrs = isValidLabelValue(v);
    if (valueErrs.length) invalid.push(`'${v}' - ${valueErrs.join(', ')}`);
    out[k] = v;
  }
  if (unknown.length) {
    throw flagError(
      flag,
      value,
      `unknown 'kubernetes.io' or 'k8s.io' labels: [${unknown.sort().join(' ')}]; labels in those namespaces must begin with an allowed prefix (${kubeletLabelNamespaces.join(', ')}) or be one of (${[...kubeletLabels].join(', ')})`,
    );
  }
  if (invalid.length) throw flagError(flag, value, `invalid node labels: ${invalid.join('; ')}`);
  return out;
}

/**
 * `--register-with-taints`: `key=value:Effect` or `key:Effect`, joined by `,`. Every taint needs
 * an effect; a key may appear once per effect; removal syntax (`key-`) is refused.
 */
export function parseRegisterWithTaints(value: string): Taint[] {
  const flag = '--register-with-taints';
  if (value.trim() === '') return [];
  const out: Taint[] = [];
  for (const spec of value.split(',')) {
    const bad = (why?: string): Error => flagError(flag, value, `invalid taint spec: ${spec}${why ? `, ${why}` : ''}`);
    if (spec.endsWith('-')) throw flagError(flag, value, `taint removal (${spec}) cannot be used at registration`);
    const parts = spec.split(':');
    if (parts.length !== 2) throw bad();
    const [kv, effect] = parts as [string, string];
    if (!(effects as readonly string[]).includes(effect)) throw flagError(flag, value, `invalid taint effect: ${effect}, unsupported taint effect (one of ${effects.join(', ')})`);
    const kvParts = kv.split('=');
    if (kvParts.length > 2) throw bad();
    const [key, val] = kvParts as [string, string | undefined];
    if (val !== undefined) {
      const errs = isValidLabelValue(val);
      if (errs.length) throw bad(errs.join('; '));
    }
    const keyErrs = isQualifiedName(key);
    if (keyErrs.length) throw bad(keyErrs.join('; '));
    if (out.some((t) => t.key === key && t.effect === effect)) throw flagError(flag, value, `duplicated taints with the same key and effect: ${key}:${effect}`);
    out.push(val ? { key, value: val, effect } : { key, effect });
  }
  return out;
}

/** The parsed node flags; absent flags take the kubelet's defaults. */
export interface NodeFlags {
  kubeReserved: ReservedResources;
  systemReserved: ReservedResources;
  evictionHard: EvictionThreshold[];
  nodeLabels: Record<string, string>;
  registerWithTaints: Taint[];
}

/** Option declarations for `node:util` parseArgs. */
export const nodeFlagOptions = {
  'kube-reserved': { type: 'string' },
  'system-reserved': { type: 'string' },
  'eviction-hard': { type: 'string' },
  'node-labels': { type: 'string' },
  'register-with-taints': { type: 'string' },
} as const;

export const nodeFlagHelp = `  --kube-reserved LIST         resources held back for Kubernetes daemons: cpu=100m,memory=256Mi,ephemeral-storage=1Gi,pid=100
  --system-reserved LIST       resources held back for system daemons, same form
  --eviction-hard LIST         hard eviction thresholds, e.g. memory.available<100Mi,nodefs.available<10%
                               (default ${defaultEvictionHard})
  --node-labels LIST           labels to register the node with: k=v,k2=v2
  --register-with-taints LIST  taints to register the node with: key=value:NoSchedule,key2:NoExecute
`;

/** Parses all node flags at once; throws an Error naming the first bad flag. */
export function parseNodeFlags(args: { [K in keyof typeof nodeFlagOptions]?: string }): NodeFlags {
  return {
    kubeReserved: parseReserved('--kube-reserved', args['kube-reserved'] ?? ''),
    systemReserved: parseReserved('--system-reserved', args['system-reserved'] ?? ''),
    evictionHard: parseEvictionHard(args['eviction-hard']),
    nodeLabels: parseNodeLabels(args['node-labels'] ?? ''),
    registerWithTaints: parseRegisterWithTaints(args['register-with-taints'] ?? ''),
  };
}
