/**
 * The built-in Ingress controller: watches Ingresses, IngressClasses, Services and Secrets,
 * compiles the Ingresses of its class into the proxy engine's `ingress` part of the table, and
 * keeps each Ingress's `status.loadBalancer.ingress` at the node's addresses. Events follow
 * ingress-nginx: `Normal Sync "Scheduled for sync"` when an Ingress (generation) is picked up,
 * Warnings for Secrets and backends it cannot use.
 *
 * One workqueue, one worker: the key `@table` recompiles the whole table (coalescing bursts of
 * changes), `namespace/name` keys sync one Ingress's status.
 */
import type { Secret, Service } from 'kubernetes-types/core/v1.js';
import type { Ingress, IngressClass, IngressLoadBalancerIngress } from 'kubernetes-types/networking/v1.js';
import type { ApiObject } from '../../api/object.js';
import type { ApiClient } from '../../client/api-client.js';
import { builtinRefs } from '../../client/builtin-refs.js';
import type { SharedInformerFactory } from '../../client/informer-factory.js';
import { Controller } from '../../controllers/controller.js';
import type { EventRecorder } from '../../controllers/events.js';
import type { Logger } from '../../util/logger.js';
import type { RouteTable, TlsCertificate } from '../l7/route-table.js';
import { compileIngresses, type IngressProblem } from './compile.js';
import { ingressRefs, servesIngress } from './ingress-class.js';

/** Where compiled tables go (the proxy engine's `setPart`). */
export interface RouteTableSink {
  setPart(owner: string, table: RouteTable): Promise<void>;
}

export interface IngressControllerOptions {
  client: ApiClient;
  informers: SharedInformerFactory;
  sink: RouteTableSink;
  recorder: EventRecorder;
  logger: Logger;
  /** Listener address and ports. */
  address: string;
  httpPort: number;
  httpsPort: number;
  defaultCertificate: TlsCertificate;
  /** What `status.loadBalancer.ingress` lists (IP addresses). */
  statusAddresses: string[];
}

const tableKey = '@table';
export const tablePart = 'ingress';

/** The status an Ingress should have (pure). */
export function desiredLoadBalancer(addresses: readonly string[]): IngressLoadBalancerIngress[] {
  return addresses.map((ip) => ({ ip }));
}

export function createIngressController(opts: IngressControllerOptions): { start(signal: AbortSignal): Promise<void> } {
  const ingresses = opts.informers.informerFor<ApiObject>(ingressRefs.ingresses);
  const classes = opts.informers.informerFor<ApiObject>(ingressRefs.ingressclasses);
  const services = opts.informers.informerFor<ApiObject>(builtinRefs.services);
  const secrets = opts.informers.informerFor<ApiObject>(builtinRefs.secrets);
  /** The generation of each Ingress last announced with a Sync event. */
  const announced = new Map<string, number>();
  /** Problems last reported per Ingress, so that each is recorded once per change. */
  let reported = new Map<string, string>();

  const allClasses = () => classes.list() as unknown as IngressClass[];
  const ours = () => (ingresses.list() as unknown as Ingress[]).filter((i) => servesIngress(i, allClasses()));

  const controller = new Controller({
    name: 'ingress',
    informers: [ingresses, classes, services, secrets],
    workers: 1,
    logger: opts.logger,
    async reconcile(key, signal) {
      if (key === tableKey) return syncTable();
      const ing = ingresses.get(key) as unknown as Ingress | undefined;
      if (!ing || ing.metadata?.deletionTimestamp || !servesIngress(ing, allClasses())) {
        announced.delete(key);
        return;
      }
      const gen = ing.metadata?.generation ?? 0;
      if (announced.get(key) !== gen) {
        announced.set(key, gen);
        opts.recorder.event(ing as unknown as ApiObject, 'Normal', 'Sync', 'Scheduled for sync');
      }
      const want = desiredLoadBalancer(opts.statusAddresses);
      if (JSON.stringify(ing.status?.loadBalancer?.ingress ?? []) === JSON.stringify(want)) return;
      const updated = { ...ing, status: { ...ing.status, loadBalancer: { ingress: want } } };
      await opts.client.updateStatus(ingressRefs.ingresses, updated as unknown as ApiObject, { signal });
    },
  });

  async function syncTable(): Promise<void> {
    const compiled = compileIngresses(ours(), {
      address: opts.address,
      httpPort: opts.httpPort,
      httpsPort: opts.httpsPort,
      defaultCertificate: opts.defaultCertificate,
      service: (ns, name) => services.get(`${ns}/${name}`) as unknown as Service | undefined,
      secret: (ns, name) => secrets.get(`${ns}/${name}`) as unknown as Secret | undefined,
    });
    await opts.sink.setPart(tablePart, { listeners: compiled.listeners });
    reportProblems(compiled.problems);
  }

  function reportProblems(problems: IngressProblem[]): void {
    const now = new Map<string, string>();
    for (const p of problems) {
      const key = `${p.namespace}/${p.name}`;
      const id = `${key} ${p.reason} ${p.message}`;
      now.set(id, key);
      if (reported.has(id)) continue;
      const ing = ingresses.get(key);
      if (ing) opts.recorder.event(ing, 'Warning', p.reason, p.message);
      opts.logger.warn('ingress problem', { ingress: key, reason: p.reason, message: p.message });
    }
    reported = now;
  }

  const table = () => controller.enqueue(tableKey);
  const everyIngress = () => {
    table();
    for (const k of ingresses.keys()) controller.enqueue(k);
  };
  ingresses.addEventHandler({
    onAdd: (o) => (table(), controller.enqueue(o)),
    onUpdate: (_o, n) => (table(), controller.enqueue(n)),
    onDelete: (o) => (table(), controller.enqueue(o)),
  });
  classes.addEventHandler({ onAdd: everyIngress, onUpdate: everyIngress, onDelete: everyIngress });
  services.addEventHandler({ onAdd: table, onUpdate: table, onDelete: table });
  const tlsSecret = (s: ApiObject) => (s as unknown as Secret).type === 'kubernetes.io/tls' && table();
  secrets.addEventHandler({ onAdd: tlsSecret, onUpdate: (_o, n) => tlsSecret(n), onDelete: tlsSecret });

  return {
    async start(signal) {
      table(); // serve the (possibly empty) table even before any Ingress exists
      await Promise.all([controller.start(signal), opts.informers.start(signal)]);
    },
  };
}
