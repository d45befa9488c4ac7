/**
 * The controller manager (kube-controller-manager's `cmd/kube-controller-manager/app`): builds the
 * enabled controllers from a plain `name → factory` registry on one shared informer factory, starts
 * the informers, then runs every controller until the signal aborts.
 *
 * `controllers` follows upstream's `--controllers` flag: `*` enables every registered controller,
 * `name` enables one, `-name` disables one; the default is `['*']`. Unknown names are an error.
 */
import { setMaxListeners } from 'node:events';
import type { ApiClient } from '../client/api-client.js';
import { type Clock, realClock } from '../client/clock.js';
import { SharedInformerFactory } from '../client/informer-factory.js';
import type { Logger } from '../util/logger.js';
import { type ControllerFactory, type ControllerSettings, defaultLocalPathDataDir, type RunnableController } from './context.js';
import { createDisruptionController } from './disruption/disruption-controller.js';
import { createNodeLifecycleController } from './nodelifecycle/node-lifecycle-controller.js';
import { createTaintEvictionController } from './nodelifecycle/taint-eviction-controller.js';
import { ApiEventRecorder } from './events.js';
import { createGarbageCollectorController } from './garbagecollector/garbage-collector.js';
import { createNamespaceController } from './namespace/namespace-controller.js';
import { createReplicaSetController, createReplicationControllerController } from './replicaset/replica-set-controller.js';
import { createRootCaCertPublisher } from './root-ca-cert-publisher/publisher.js';
import { createServiceAccountController } from './serviceaccount/serviceaccounts-controller.js';
import { createDaemonSetController } from './daemonset/daemonset-controller.js';
import { createStatefulSetController } from './statefulset/statefulset-controller.js';
import { createCronJobController } from './cronjob/cronjob-controller.js';
import { createDeploymentController } from './deployment/deployment-controller.js';
import { createJobController } from './job/job-controller.js';
import { createHorizontalPodAutoscalerController } from './podautoscaler/horizontal-controller.js';
import { createTtlAfterFinishedController } from './job/ttl-after-finished.js';
import { createPodGcController } from './podgc/podgc-controller.js';
import { createResourceQuotaController } from './resourcequota/resource-quota-controller.js';
import { createEndpointsController } from './endpoint/endpoints-controller.js';
import { createEndpointSliceController } from './endpointslice/endpointslice-controller.js';
import { createEndpointSliceMirroringController } from './endpointslicemirroring/mirroring-controller.js';
import { createNodeIpamController } from './nodeipam/nodeipam-controller.js';
import { createPersistentVolumeController } from './persistentvolume/persistentvolume-controller.js';
import { createLocalPathProvisioner } from './local-path/provisioner.js';
import { createServiceLBController } from './servicelb/servicelb-controller.js';
import { createGatewayController } from '../network/gateway/controller.js';

/** Every controller the manager can run, by its upstream name. */
export const controllerRegistry: Record<string, ControllerFactory> = {
  namespace: createNamespaceController,
  replicaset: createReplicaSetController,
  replicationcontroller: createReplicationControllerController,
  garbagecollector: createGarbageCollectorController,
  serviceaccount: createServiceAccountController,
  'root-ca-cert-publisher': createRootCaCertPublisher,
  nodelifecycle: (ctx) => createNodeLifecycleController(ctx, { nodeMonitorGracePeriodMs: ctx.settings?.nodeMonitorGracePeriodMs }),
  'taint-eviction-controller': createTaintEvictionController,
  disruption: createDisruptionController,
  deployment: createDeploymentController,
  job: createJobController,
  'ttl-after-finished': createTtlAfterFinishedController,
  cronjob: createCronJobController,
  statefulset: createStatefulSetController,
  daemonset: createDaemonSetController,
  horizontalpodautoscaling: (ctx) => createHorizontalPodAutoscalerController(ctx),
  podgc: createPodGcController,
  resourcequota: createResourceQuotaController,
  endpoint: createEndpointsController,
  endpointslice: createEndpointSliceController,
  endpointslicemirroring: createEndpointSliceMirroringController,
  nodeipam: createNodeIpamController,
  'persistentvolume-binder': createPersistentVolumeController,
  'local-path-provisioner': (ctx) => createLocalPathProvisioner(ctx, { dataDir: ctx.settings?.localPathDataDir ?? defaultLocalPathDataDir }),
  'service-lb': createServiceLBController,
  gateway: (ctx) =>
    createGatewayController(ctx, { bindAddress: ctx.settings?.gatewayBindAddress, statusAddress: ctx.settings?.gatewayStatusAddress, onTable: ctx.settings?.onGatewayTable }),
};

/** The `source.component` of each controller's events (upstream's recorder names). */
const eventComponents: Record<string, string> = {
  replicaset: 'replicaset-controller',
  replicationcontroller: 'replication-controller',
  garbagecollector: 'garbage-collector-controller',
  deployment: 'deployment-controller',
  job: 'job-controller',
  cronjob: 'cronjob-controller',
  'ttl-after-finished': 'ttl-after-finished-controller',
  statefulset: 'statefulset-controller',
  daemonset: 'daemonset-controller',
  serviceaccount: 'service-account-controller',
  'root-ca-cert-publisher': 'root-ca-cert-publisher',
  namespace: 'namespace-controller',
  nodelifecycle: 'node-controller',
  'taint-eviction-controller': 'taint-eviction-controller',
  disruption: 'controllermanager',
  horizontalpodautoscaling: 'horizontal-pod-autoscaler',
  podgc: 'pod-garbage-collector',
  resourcequota: 'resourcequota-controller',
  endpoint: 'endpoint-controller',
  endpointslice: 'endpoint-slice-controller',
  endpointslicemirroring: 'endpoint-slice-mirroring-controller',
  nodeipam: 'cidrAllocator',
  'persistentvolume-binder': 'persistentvolume-controller',
  'local-path-provisioner': 'capstan.io/local-path',
  'service-lb': 'service-lb-controller',
  gateway: 'gateway-controller',
};

/** The registered names that `selection` enables (upstream `IsControllerEnabled`). */
export function enabledControllers(selection: readonly string[] | undefined, registered: readonly string[]): string[] {
  const sel = selection && selection.length ? selection : ['*'];
  for (const s of sel) {
    const name = s.startsWith('-') ? s.slice(1) : s;
    if (name !== '*' && !registered.includes(name)) throw new Error(`unknown controller ${JSON.stringify(name)}; known: ${registered.join(', ')}`);
  }
  return registered.filter((name) => {
    if (sel.includes(`-${name}`)) return false;
    return sel.includes(name) || sel.includes('*');
  });
}

export interface ControllerManagerOptions {
  /** Upstream `--controllers` syntax; default every registered controller. */
  controllers?: string[];
  logger: Logger;
  clock?: Clock;
  settings?: ControllerSettings;
}

/** Runs the selected controllers on `client` until `signal` aborts; resolves when all have stopped. */
export async function startControllerManager(client: ApiClient, opts: ControllerManagerOptions, outer: AbortSignal): Promise<void> {
  // Every informer and controller listens for the abort: one inner signal without the listener-count warning.
  const inner = new AbortController();
  setMaxListeners(0, inner.signal);
  const onAbort = () => inner.abort();
  outer.addEventListener('abort', onAbort, { once: true });
  if (outer.aborted) inner.abort();
  const signal = inner.signal;
  const clock = opts.clock ?? realClock;
  const log = opts.logger;
  const informers = new SharedInformerFactory(client, { clock, logger: log.child('informers') });
  const recorder = new ApiEventRecorder(client, { component: 'kube-controller-manager', clock, logger: log.child('events') });
  const names = enabledControllers(opts.controllers, Object.keys(controllerRegistry));
  const started: { name: string; controller: RunnableController }[] = [];
  for (const name of names) {
    try {
      const controller = controllerRegistry[name]!({
        client,
        informers,
        logger: log.child(name),
        clock,
        recorder: recorder.forComponent(eventComponents[name] ?? `${name}-controller`),
        settings: opts.settings,
      });
      started.push({ name, controller });
    } catch (e) {
      log.error('could not create controller', { controller: name, error: (e as Error).message });
    }
  }
  log.info('starting controllers', { controllers: started.map((s) => s.name) });
  const runningInformers = informers.start(signal);
  const runs = started.map(({ name, controller }) =>
    controller.start(signal).catch((e: unknown) => log.error('controller stopped with an error', { controller: name, error: (e as Error).message })),
  );
  await Promise.all(runs);
  await runningInformers;
  await recorder.close();
  outer.removeEventListener('abort', onAbort);
}
