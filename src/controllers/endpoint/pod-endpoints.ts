/**
 * Which pods back a Service and on which ports, shared by the Endpoints and EndpointSlice
 * controllers (upstream's pkg/controller/util/endpoint and podutil.FindPort). Pure functions.
 */
import type { Pod, Service, ServicePort } from 'kubernetes-types/core/v1.js';
import { selectorFromSet } from '../../api/labels.js';

/** The pods a Service with a selector selects (a Service without one manages no endpoints). */
export function selectedPods(service: Service, pods: readonly Pod[]): Pod[] {
  const sel = service.spec?.selector;
  if (!sel || Object.keys(sel).length === 0) return [];
  const s = selectorFromSet(sel);
  return pods.filter((p) => p.metadata?.namespace === service.metadata?.namespace && s.matches(p.metadata?.labels ?? {}));
}

/**
 * Whether a pod belongs in a Service's endpoints at all (upstream ShouldPodBeInEndpoints): it has
 * an address, has not finished, and is not being deleted unless terminating pods are wanted.
 */
export function podHasEndpoint(pod: Pod, includeTerminating: boolean): boolean {
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return false;
  if (!pod.status?.podIP) return false;
  if (!includeTerminating && pod.metadata?.deletionTimestamp) return false;
  return true;
}

/**
 * The pod's port for a service port (podutil.FindPort): a named targetPort is looked up among the
 * containers' ports with the same protocol; a number is used as is. Undefined when a name is not found.
 */
export function findPort(pod: Pod, sp: ServicePort): number | undefined {
  const target = sp.targetPort ?? sp.port;
  if (typeof target === 'number') return target;
  if (/^\d+$/.test(target)) return Number(target);
  const protocol = sp.protocol ?? 'TCP';
  for (const c of pod.spec?.containers ?? []) {
    for (const p of c.ports ?? []) if (p.name === target && (p.protocol ?? 'TCP') === protocol) return p.containerPort;
  }
  return undefined;
}

/** The pod's hostname in the Service's DNS (upstream ShouldSetHostname): spec.hostname when the pod's subdomain is this Service. */
export function endpointHostname(pod: Pod, service: Service): string | undefined {
  const h = pod.spec?.hostname;
  return h && pod.spec?.subdomain === service.metadata?.name && pod.metadata?.namespace === service.metadata?.namespace ? h : undefined;
}

export const isHeadlessService = (svc: Service): boolean => svc.spec?.clusterIP === 'None';

/** Labels the endpoints objects carry: the Service's, plus the headless marker. */
export function endpointsLabels(service: Service, extra: Record<string, string> = {}): Record<string, string> {
  const out: Record<string, string> = { ...(service.metadata?.labels ?? {}) };
  if (isHeadlessService(service)) out['service.kubernetes.io/headless'] = '';
  else delete out['service.kubernetes.io/headless'];
  return { ...out, ...extra };
}
