/**
 * A container's environment, resolved the way the kubelet does it before creating the container
 * (pkg/kubelet/kubelet_pods.go makeEnvironmentVariables and getServiceEnvVarMap, v1.32), with the
 * Docker-link style service variables of pkg/kubelet/envvars and the `$(VAR)` expansion of
 * third_party/forked/golang/expansion.
 *
 * Everything here is pure: ConfigMaps, Secrets, Services, node allocatable and the IPs come in as
 * data. A failure is returned, not thrown, with the kubelet's message verbatim, so that the pod
 * worker can report it as the container's `CreateContainerConfigError`.
 *
 * Precedence is the kubelet's: `env` overrides `envFrom`, which overrides service variables. The
 * kubelet emits its list in Go map order (random); here the order is stable instead: service
 * variables, then `envFrom`, then `env`, each name once, at the place of its winning definition.
 */
import type { ConfigMap, Container, EnvVar, Pod, ResourceRequirements, Secret, Service } from 'kubernetes-types/core/v1.js';
import { Quantity, parseQuantity } from '../../api/quantity.js';
import { isQualifiedName } from '../../api/validation/names.js';

/** One resolved variable, as handed to the runtime. */
export interface ResolvedEnvVar {
  name: string;
  value: string;
}

/** Reads the objects a container's environment refers to; `undefined` means not found. */
export interface EnvObjectLookup {
  configMap(namespace: string, name: string): ConfigMap | undefined;
  secret(namespace: string, name: string): Secret | undefined;
}

export interface EnvironmentInput {
  pod: Pod;
  container: Container;
  lookup: EnvObjectLookup;
  /** Every Service the agent knows of, in all namespaces. */
  services: Service[];
  /** The node's `status.allocatable`: the limits assumed for `resourceFieldRef` when a container sets none. */
  nodeAllocatable: Record<string, string>;
  /** The node's IPs, preferred family first. */
  hostIPs: string[];
  podIPs: string[];
  /** Where the `kubernetes` Service lives; `default` unless told otherwise. */
  masterServiceNamespace?: string;
}

export type EnvironmentResult =
  | { env: ResolvedEnvVar[] }
  | { error: { reason: 'CreateContainerConfigError'; message: string } };

/** The Services whose variables every pod gets, whatever `enableServiceLinks` says. */
const MASTER_SERVICES = new Set(['kubernetes']);

class EnvError extends Error {}

/** Resolves the environment of `input.container`, or says why it cannot be resolved. */
export function makeEnvironment(input: EnvironmentInput): EnvironmentResult {
  try {
    return { env: resolve(input) };
  } catch (e) {
    if (e instanceof EnvError) return { error: { reason: 'CreateContainerConfigError', message: e.message } };
    throw e;
  }
}

function resolve(input: EnvironmentInput): ResolvedEnvVar[] {
  const { pod, container, lookup } = input;
  const ns = pod.metadata?.namespace ?? '';
  const serviceEnv = serviceEnvVarMap(input.services, ns, pod.spec?.enableServiceLinks !== false, input.masterServiceNamespace ?? 'default');

  // One ordered map for all three sources: a later definition replaces an earlier one and moves
  // to its place. Container-defined names shadow service ones, so lookups through this map see
  // the container's definitions first and the service variables second, as upstream's mapping does.
  const all = new Map<string, string>(serviceEnv);
  const set = (name: string, value: string) => {
    all.delete(name);
    all.set(name, value);
  };

  // Each ConfigMap and Secret is read once per container, as the kubelet caches them; `null`
  // remembers "not found".
  const configMaps = new Map<string, ConfigMap | null>();
  const secrets = new Map<string, Secret | null>();
  const getConfigMap = (name: string): ConfigMap | null => {
    if (!configMaps.has(name)) configMaps.set(name, lookup.configMap(ns, name) ?? null);
    return configMaps.get(name)!;
  };
  const getSecret = (name: string): Secret | null => {
    if (!secrets.has(name)) secrets.set(name, lookup.secret(ns, name) ?? null);
    return secrets.get(name)!;
  };

  for (const from of container.envFrom ?? []) {
    const prefix = from.prefix ?? '';
    // Since 1.30 (RelaxedEnvironmentVariableValidation) the kubelet no longer skips keys that are
    // not C identifiers: every key becomes a variable, prefix included.
    if (from.configMapRef) {
      const name = from.configMapRef.name ?? '';
      const cm = getConfigMap(name);
      if (!cm) {
        if (from.configMapRef.optional) continue;
        throw new EnvError(`configmap "${name}" not found`);
      }
      for (const key of Object.keys(cm.data ?? {}).sort()) set(prefix + key, cm.data![key]);
    } else if (from.secretRef) {
      const name = from.secretRef.name ?? '';
      const secret = getSecret(name);
      if (!secret) {
        if (from.secretRef.optional) continue;
        throw new EnvError(`secret "${name}" not found`);
      }
      for (const key of Object.keys(secret.data ?? {}).sort()) set(prefix + key, decodeSecretValue(secret.data![key]));
    }
  }

  const mapping = (name: string): string | undefined => all.get(name);
  for (const envVar of container.env ?? []) {
    const value = envValue(envVar, input, mapping, getConfigMap, getSecret);
    if (value !== undefined) set(envVar.name, value);
  }

  return [...all].map(([name, value]) => ({ name, value }));
}

/** The value of one `env` entry; `undefined` when an optional reference is missing (no variable). */
function envValue(
  envVar: EnvVar,
  input: EnvironmentInput,
  mapping: (name: string) => string | undefined,
  getConfigMap: (name: string) => ConfigMap | null,
  getSecret: (name: string) => Secret | null,
): string | undefined {
  const ns = input.pod.metadata?.namespace ?? '';
  if (envVar.value) return expand(envVar.value, mapping);
  const from = envVar.valueFrom;
  if (!from) return '';
  if (from.fieldRef) return podFieldValue(from.fieldRef.apiVersion || 'v1', from.fieldRef.fieldPath, input);
  if (from.resourceFieldRef) {
    const { pod, container } = withDefaultLimits(input.pod, input.container, input.nodeAllocatable);
    return containerResourceValue(from.resourceFieldRef, pod, container);
  }
  if (from.configMapKeyRef) {
    const { name = '', key, optional } = from.configMapKeyRef;
    const cm = getConfigMap(name);
    if (!cm) {
      if (optional) return undefined;
      throw new EnvError(`configmap "${name}" not found`);
    }
    const value = cm.data?.[key];
    if (value === undefined) {
      if (optional) return undefined;
      throw new EnvError(`couldn't find key ${key} in ConfigMap ${ns}/${name}`);
    }
    return value;
  }
  if (from.secretKeyRef) {
    const { name = '', key, optional } = from.secretKeyRef;
    const secret = getSecret(name);
    if (!secret) {
      if (optional) return undefined;
      throw new EnvError(`secret "${name}" not found`);
    }
    const value = secret.data?.[key];
    if (value === undefined) {
      if (optional) return undefined;
      throw new EnvError(`couldn't find key ${key} in Secret ${ns}/${name}`);
    }
    return decodeSecretValue(value);
  }
  return '';
}

/** Secret data travels base64-encoded in the API; containers get the bytes. */
function decodeSecretValue(b64: string): string {
  return Buffer.from(b64, 'base64').toString('utf8');
}

// ---------------------------------------------------------------------------------------------
// Downward API: fieldRef (pkg/apis/core/pods ConvertDownwardAPIFieldLabel, pkg/fieldpath)

/** Splits `metadata.labels['key']` into path and subscript, as upstream SplitMaybeSubscriptedPath. */
function splitSubscript(fieldPath: string): { path: string; subscript: string } | undefined {
  if (!fieldPath.endsWith("']")) return undefined;
  const s = fieldPath.slice(0, -2);
  const i = s.indexOf("['");
  if (i <= 0) return undefined;
  return { path: s.slice(0, i), subscript: s.slice(i + 2) };
}

const DOWNWARD_FIELDS = new Set([
  'metadata.annotations',
  'metadata.labels',
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
  'spec.nodeName',
  'spec.restartPolicy',
  'spec.serviceAccountName',
  'spec.schedulerName',
  'status.phase',
  'status.hostIP',
  'status.hostIPs',
  'status.podIP',
  'status.podIPs',
]);

function podFieldValue(apiVersion: string, fieldPath: string, input: EnvironmentInput): string {
  if (apiVersion !== 'v1') throw new EnvError(`unsupported pod version: ${apiVersion}`);
  const { pod } = input;
  const meta = pod.metadata ?? {};
  const sub = splitSubscript(fieldPath);
  if (sub) {
    if (sub.path !== 'metadata.annotations' && sub.path !== 'metadata.labels') throw new EnvError(`field label does not support subscript: ${fieldPath}`);
    const isAnnotation = sub.path === 'metadata.annotations';
    const errs = isQualifiedName(isAnnotation ? sub.subscript.toLowerCase() : sub.subscript);
    if (errs.length > 0) throw new EnvError(`invalid key subscript in ${fieldPath}: ${errs.join(';')}`);
    return (isAnnotation ? meta.annotations : meta.labels)?.[sub.subscript] ?? '';
  }
  let path = fieldPath;
  if (path === 'spec.host') path = 'spec.nodeName'; // legacy v1 alias
  else if (!DOWNWARD_FIELDS.has(path)) throw new EnvError(`field label not supported: ${fieldPath}`);

  const podIPs = sortPodIPs(input.podIPs, input.hostIPs);
  switch (path) {
    case 'spec.nodeName':
      return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? '';
    case 'status.hostIP':
      return input.hostIPs[0] ?? '';
    case 'status.hostIPs':
      return input.hostIPs.join(',');
    case 'status.podIP':
      return podIPs[0] ?? '';
    case 'status.podIPs':
      return podIPs.join(',');
    case 'metadata.annotations':
      return formatMap(meta.annotations);
    case 'metadata.labels':
      return formatMap(meta.labels);
    case 'metadata.name':
      return meta.name ?? '';
    case 'metadata.namespace':
      return meta.namespace ?? '';
    case 'metadata.uid':
      return meta.uid ?? '';
  }
  // Accepted by the label conversion but not extractable (spec.restartPolicy, status.phase, ...).
  throw new EnvError(`unsupported fieldPath: ${path}`);
}

/**
 * The pod's IPs, at most one per family, the node's preferred family first (the kubelet's
 * sortPodIPs: the family of the node's first IP, IPv4 when unknown).
 */
function sortPodIPs(podIPs: string[], hostIPs: string[]): string[] {
  const v6 = (ip: string) => ip.includes(':');
  const preferV6 = hostIPs.length > 0 && v6(hostIPs[0]);
  const primary = podIPs.find((ip) => v6(ip) === preferV6);
  const secondary = podIPs.find((ip) => v6(ip) !== preferV6);
  return [primary, secondary].filter((ip): ip is string => ip !== undefined);
}

/** `key="value"` lines sorted by key, values quoted as Go's %q does (pkg/fieldpath FormatMap). */
function formatMap(m: Record<string, string> | undefined): string {
  return Object.keys(m ?? {})
    .sort()
    .map((k) => `${k}=${goQuote(m![k])}`)
    .join('\n');
}

/** Go's strconv.Quote for the characters that matter in labels and annotations. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (c === 7) out += '\\a';
    else if (c === 8) out += '\\b';
    else if (c === 12) out += '\\f';
    else if (c === 11) out += '\\v';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

// ---------------------------------------------------------------------------------------------
// Downward API: resourceFieldRef (pkg/api/v1/resource ExtractContainerResourceValue,
// pkg/kubelet/kubelet_resources.go defaultPodLimitsForDownwardAPI)

/** The resources whose unset (or zero) limits default to the node's allocatable. */
const DEFAULTED_LIMITS = ['cpu', 'memory', 'ephemeral-storage'];

function mergeLimits(container: Container, allocatable: Record<string, string>): Container {
  const limits: Record<string, string> = { ...(container.resources?.limits ?? {}) };
  for (const r of DEFAULTED_LIMITS) {
    const q = limits[r] === undefined ? undefined : parseQuantity(limits[r]);
    if ((q === undefined || q.isZero()) && allocatable[r] !== undefined) limits[r] = allocatable[r];
  }
  const resources: ResourceRequirements = { ...(container.resources ?? {}), limits };
  return { ...container, resources };
}

function withDefaultLimits(pod: Pod, container: Container, allocatable: Record<string, string>): { pod: Pod; container: Container } {
  const spec = pod.spec ?? { containers: [] };
  return {
    pod: {
      ...pod,
      spec: {
        ...spec,
        containers: spec.containers.map((c) => mergeLimits(c, allocatable)),
        initContainers: spec.initContainers?.map((c) => mergeLimits(c, allocatable)),
      },
    },
    container: mergeLimits(container, allocatable),
  };
}

function containerResourceValue(fs: { containerName?: string; divisor?: string; resource: string }, pod: Pod, container: Container): string {
  let target = container;
  if (fs.containerName) {
    const found = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].find((c) => c.name === fs.containerName);
    if (!found) throw new EnvError(`container ${fs.containerName} not found`);
    target = found;
  }
  let divisor = fs.divisor === undefined ? undefined : parseQuantity(fs.divisor);
  if (divisor === undefined || divisor.isZero()) divisor = Quantity.fromInt(1);

  const dot = fs.resource.indexOf('.');
  const kind = fs.resource.slice(0, dot);
  const name = fs.resource.slice(dot + 1);
  const known = name === 'cpu' || name === 'memory' || name === 'ephemeral-storage' || name.startsWith('hugepages-');
  if (dot < 0 || (kind !== 'limits' && kind !== 'requests') || !known) throw new EnvError(`Unsupported container resource : ${fs.resource}`);
  const raw = (kind === 'limits' ? target.resources?.limits : target.resources?.requests)?.[name];
  const value = (raw === undefined ? undefined : parseQuantity(raw)) ?? Quantity.zero();
  // CPU is divided in millicores, everything else in units; both round up, as upstream's
  // math.Ceil over the two values does (exactly here, without float rounding).
  const [n, d] = name === 'cpu' ? [value.milliValue(), divisor.milliValue()] : [value.bigValue(), divisor.bigValue()];
  return ceilDiv(n, d).toString();
}

function ceilDiv(n: bigint, d: bigint): bigint {
  if (d === 0n) return 0n;
  const q = n / d;
  return n % d !== 0n && n > 0n === d > 0n ? q + 1n : q;
}

// ---------------------------------------------------------------------------------------------
// Service variables (pkg/kubelet/envvars FromServices, kubelet getServiceEnvVarMap)

/**
 * The service variables a pod of `namespace` sees: the master services (`kubernetes` in the
 * master namespace) always, and with service links enabled every Service of its own namespace.
 * Services without a cluster IP (headless, ExternalName) give none.
 */
export function serviceEnvVarMap(services: Service[], namespace: string, enableServiceLinks: boolean, masterNamespace = 'default'): Map<string, string> {
  const chosen = new Map<string, Service>();
  for (const svc of services) {
    const clusterIP = svc.spec?.clusterIP ?? '';
    if (clusterIP === '' || clusterIP === 'None') continue;
    const name = svc.metadata?.name ?? '';
    if (svc.metadata?.namespace === masterNamespace && MASTER_SERVICES.has(name)) {
      if (!chosen.has(name)) chosen.set(name, svc);
    } else if (svc.metadata?.namespace === namespace && enableServiceLinks) {
      chosen.set(name, svc);
    }
  }
  const out = new Map<string, string>();
  for (const name of [...chosen.keys()].sort()) for (const v of serviceEnvVars(chosen.get(name)!)) out.set(v.name, v.value);
  return out;
}

/** Upper case, `-` to `_`: the prefix of a Service's variables. */
function envVarPrefix(name: string): string {
  return name.replaceAll('-', '_').toUpperCase();
}

/** The variables of one Service: `<NAME>_SERVICE_HOST/_PORT[_<PORTNAME>]` and the Docker-link set. */
export function serviceEnvVars(svc: Service): ResolvedEnvVar[] {
  const clusterIP = svc.spec?.clusterIP ?? '';
  const ports = svc.spec?.ports ?? [];
  if (clusterIP === '' || clusterIP === 'None' || ports.length === 0) return [];
  const prefix = envVarPrefix(svc.metadata?.name ?? '');
  const out: ResolvedEnvVar[] = [
    { name: `${prefix}_SERVICE_HOST`, value: clusterIP },
    { name: `${prefix}_SERVICE_PORT`, value: String(ports[0].port) },
  ];
  for (const p of ports) if (p.name) out.push({ name: `${prefix}_SERVICE_PORT_${envVarPrefix(p.name)}`, value: String(p.port) });
  const host = clusterIP.includes(':') ? `[${clusterIP}]` : clusterIP;
  ports.forEach((p, i) => {
    const protocol = p.protocol || 'TCP';
    const url = `${protocol.toLowerCase()}://${host}:${p.port}`;
    if (i === 0) out.push({ name: `${prefix}_PORT`, value: url });
    const portPrefix = `${prefix}_PORT_${p.port}_${protocol.toUpperCase()}`;
    out.push(
      { name: portPrefix, value: url },
      { name: `${portPrefix}_PROTO`, value: protocol.toLowerCase() },
      { name: `${portPrefix}_PORT`, value: String(p.port) },
      { name: `${portPrefix}_ADDR`, value: clusterIP },
    );
  });
  return out;
}

// ---------------------------------------------------------------------------------------------
// $(VAR) expansion (third_party/forked/golang/expansion)

/**
 * Replaces `$(NAME)` with `mapping(NAME)`; a name the mapping does not know stays as written,
 * `$$` is a literal `$`, and a `$` not starting either (or an unclosed `$(`) is kept as is.
 */
export function expand(input: string, mapping: (name: string) => string | undefined): string {
  let out = '';
  let i = 0;
  while (i < input.length) {
    const c = input[i];
    if (c !== '$' || i + 1 >= input.length) {
      out += c;
      i++;
      continue;
    }
    const next = input[i + 1];
    if (next === '$') {
      out += '$';
      i += 2;
    } else if (next === '(') {
      const close = input.indexOf(')', i + 2);
      if (close < 0) {
        out += '$(';
        i += 2;
      } else {
        const name = input.slice(i + 2, close);
        out += mapping(name) ?? `$(${name})`;
        i = close + 1;
      }
    } else {
      out += `$${next}`;
      i += 2;
    }
  }
  return out;
}

/** A mapping over a resolved environment (later duplicates win). */
function envMapping(env: readonly ResolvedEnvVar[]): (name: string) => string | undefined {
  const m = new Map(env.map((e) => [e.name, e.value]));
  return (name) => m.get(name);
}

/** The container's command and args with `$(VAR)` references to its resolved environment expanded. */
export function expandCommandAndArgs(container: Container, env: readonly ResolvedEnvVar[]): { command: string[]; args: string[] } {
  const mapping = envMapping(env);
  return {
    command: (container.command ?? []).map((s) => expand(s, mapping)),
    args: (container.args ?? []).map((s) => expand(s, mapping)),
  };
}

/**
 * An exec probe's or hook's command, expanded against the container's `env` as written
 * (kubecontainer ExpandContainerCommandOnlyStatic): literal values only, so a name defined through
 * `valueFrom` expands to the empty string, as upstream.
 */
export function expandCommandOnlyStatic(command: readonly string[], env: readonly EnvVar[] | undefined): string[] {
  const literal = new Map<string, string>();
  for (const e of env ?? []) literal.set(e.name, e.value ?? '');
  return command.map((s) => expand(s, (name) => literal.get(name)));
}
