/**
 * Gateway and listener evaluation: which listeners of a Gateway of ours are accepted and
 * programmed, with the listener and Gateway conditions and reasons of the Gateway API
 * (Accepted, Programmed, ResolvedRefs, Conflicted).
 */
import type { Condition } from 'kubernetes-types/meta/v1.js';
import type { Secret } from 'kubernetes-types/core/v1.js';
import type { Gateway, GatewayListener, GatewayStatus, RouteGroupKind } from '../../api/strategies/gateway/types.js';
import { gatewayApiGroup } from '../../api/strategies/gateway/types.js';
import type { TlsCertificate } from '../l7/route-table.js';
import { condition, type ConditionContext } from './conditions.js';
import type { EvaluatedListener } from './model.js';
import { referencePermitted } from './grants.js';
import type { ReferenceGrant } from '../../api/strategies/gateway/types.js';

interface ListenerVerdict {
  accepted: [boolean, string, string];
  resolved: [boolean, string, string];
  conflicted: [boolean, string, string];
  supportedKinds: RouteGroupKind[];
  certificates: TlsCertificate[];
}

const decode = (b64: string | undefined): string => (b64 ? Buffer.from(b64, 'base64').toString('utf8') : '');

function supportedKinds(l: GatewayListener): { kinds: RouteGroupKind[]; invalid: boolean } {
  if (l.protocol !== 'HTTP' && l.protocol !== 'HTTPS') return { kinds: [], invalid: false };
  const asked = l.allowedRoutes?.kinds;
  if (!asked || asked.length === 0) return { kinds: [{ group: gatewayApiGroup, kind: 'HTTPRoute' }], invalid: false };
  const ok = asked.filter((k) => (k.group ?? gatewayApiGroup) === gatewayApiGroup && k.kind === 'HTTPRoute').map(() => ({ group: gatewayApiGroup, kind: 'HTTPRoute' }));
  return { kinds: ok.slice(0, 1), invalid: ok.length !== asked.length };
}

function certificates(gw: Gateway, l: GatewayListener, secrets: ReadonlyMap<string, Secret>, grants: readonly ReferenceGrant[]): { certs: TlsCertificate[]; error?: [string, string] } {
  const ns = gw.metadata?.namespace ?? '';
  const certs: TlsCertificate[] = [];
  for (const ref of l.tls?.certificateRefs ?? []) {
    const where = `${ref.namespace ?? ns}/${ref.name}`;
    if ((ref.group ?? '') !== '' || (ref.kind ?? 'Secret') !== 'Secret') return { certs, error: ['InvalidCertificateRef', `Unsupported certificate reference kind ${ref.kind} in group "${ref.group ?? ''}"`] };
    const from = { group: gatewayApiGroup, kind: 'Gateway', namespace: ns };
    if (!referencePermitted(grants, from, { group: '', kind: 'Secret', namespace: ref.namespace ?? ns, name: ref.name ?? '' })) return { certs, error: ['RefNotPermitted', `Certificate reference ${where} is in another namespace and no ReferenceGrant allows it`] };
    const s = secrets.get(where);
    const crt = decode(s?.data?.['tls.crt']);
    const key = decode(s?.data?.['tls.key']);
    if (!s) return { certs, error: ['InvalidCertificateRef', `Secret ${where} does not exist`] };
    if (s.type !== 'kubernetes.io/tls' || !crt || !key) return { certs, error: ['InvalidCertificateRef', `Secret ${where} is not a kubernetes.io/tls Secret with tls.crt and tls.key`] };
    certs.push({ hostnames: l.hostname ? [l.hostname] : [], certPem: crt, keyPem: key });
  }
  return { certs };
}

function judgeListener(gw: Gateway, l: GatewayListener, conflict: string | undefined, portTaken: boolean, secrets: ReadonlyMap<string, Secret>, grants: readonly ReferenceGrant[]): ListenerVerdict {
  const { kinds, invalid } = supportedKinds(l);
  const v: ListenerVerdict = {
    accepted: [true, 'Accepted', 'Listener is accepted'],
    resolved: [true, 'ResolvedRefs', 'All references are resolved'],
    conflicted: [false, 'NoConflicts', 'No conflicts'],
    supportedKinds: kinds,
    certificates: [],
  };
  if (l.protocol !== 'HTTP' && l.protocol !== 'HTTPS') v.accepted = [false, 'UnsupportedProtocol', `Protocol ${l.protocol} is not supported; use HTTP or HTTPS`];
  else if (l.protocol === 'HTTPS' && l.tls?.mode === 'Passthrough') v.accepted = [false, 'UnsupportedValue', 'TLS mode Passthrough is not supported on HTTPS listeners'];
  else if (conflict) {
    v.conflicted = [true, 'ProtocolConflict', conflict];
    v.accepted = [false, 'PortUnavailable', conflict];
  } else if (portTaken) v.accepted = [false, 'PortUnavailable', `Port ${l.port} is used by another Gateway`];
  if (invalid) v.resolved = [false, 'InvalidRouteKinds', 'Only HTTPRoute (gateway.networking.k8s.io) routes are supported'];
  if (l.protocol === 'HTTPS' && v.accepted[0]) {
    const { certs, error } = certificates(gw, l, secrets, grants);
    if (error) v.resolved = [false, error[0], error[1]];
    else v.certificates = certs;
  }
  return v;
}

export interface GatewayVerdict {
  status: GatewayStatus;
  listeners: EvaluatedListener[];
}

/**
 * Evaluates one Gateway of ours. `takenPorts` holds the ports older Gateways already serve at the
 * shared address; the ports this Gateway serves are added to it.
 */
export function evaluateGateway(gw: Gateway, takenPorts: Set<number>, statusAddress: string, secrets: ReadonlyMap<string, Secret>, grants: readonly ReferenceGrant[], now: string): GatewayVerdict {
  const ctx: ConditionContext = { generation: gw.metadata?.generation, old: gw.status?.conditions, now };
  const oldListeners = new Map((gw.status?.listeners ?? []).map((l) => [l.name, l.conditions]));
  const specs = gw.spec?.listeners ?? [];
  const unsupportedAddress = (gw.spec?.addresses ?? []).find((a) => a.value !== statusAddress);
  const protocolsByPort = new Map<number, Set<string>>();
  for (const l of specs) protocolsByPort.set(l.port ?? 0, new Set([...(protocolsByPort.get(l.port ?? 0) ?? []), l.protocol ?? '']));
  const listeners: EvaluatedListener[] = [];
  const statuses: NonNullable<GatewayStatus['listeners']> = [];
  const myPorts = new Set<number>();
  for (const l of specs) {
    const protos = protocolsByPort.get(l.port ?? 0)!;
    const conflict = protos.size > 1 ? `Listeners on port ${l.port} use different protocols (${[...protos].sort().join(', ')})` : undefined;
    const v = judgeListener(gw, l, conflict, takenPorts.has(l.port ?? 0), secrets, grants);
    const ready = v.accepted[0] && v.resolved[0] && !unsupportedAddress;
    if (ready) myPorts.add(l.port ?? 0);
    const lctx: ConditionContext = { ...ctx, old: oldListeners.get(l.name ?? '') };
    const programmed: [boolean, string, string] = ready ? [true, 'Programmed', 'Listener is programmed'] : [false, 'Invalid', 'Listener is invalid'];
    const conditions: Condition[] = [
      condition(lctx, 'Accepted', ...v.accepted),
      condition(lctx, 'Programmed', ...programmed),
      condition(lctx, 'ResolvedRefs', ...v.resolved),
      condition(lctx, 'Conflicted', ...v.conflicted),
    ];
    statuses.push({ name: l.name ?? '', supportedKinds: v.supportedKinds, attachedRoutes: 0, conditions });
    listeners.push({ gateway: gw, spec: l, ready, supportedKinds: v.supportedKinds, certificates: v.certificates, attachedRoutes: 0 });
  }
  for (const p of myPorts) takenPorts.add(p);
  const readyCount = listeners.filter((l) => l.ready).length;
  let accepted: [boolean, string, string];
  let programmed: [boolean, string, string];
  if (unsupportedAddress) {
    accepted = [false, 'UnsupportedAddress', `Address ${unsupportedAddress.value} cannot be assigned; this Gateway serves ${statusAddress}`];
    programmed = [false, 'AddressNotAssigned', 'No requested address could be assigned'];
  } else {
    const allAccepted = statuses.every((s) => s.conditions[0]!.status === 'True');
    const anyAccepted = statuses.some((s) => s.conditions[0]!.status === 'True');
    accepted = allAccepted ? [true, 'Accepted', 'Gateway is accepted'] : [anyAccepted, 'ListenersNotValid', 'Some listeners are not valid'];
    programmed = readyCount > 0 ? [true, 'Programmed', 'Gateway is programmed'] : [false, 'Invalid', 'No listener is ready'];
  }
  const isIp = /^[0-9.]+$|:/.test(statusAddress);
  const status: GatewayStatus = {
    ...(programmed[0] ? { addresses: [{ type: isIp ? 'IPAddress' : 'Hostname', value: statusAddress }] } : {}),
    conditions: [condition(ctx, 'Accepted', ...accepted), condition(ctx, 'Programmed', ...programmed)],
    listeners: statuses,
  };
  return { status, listeners };
}
