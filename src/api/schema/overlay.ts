/**
 * Facts about the API that the `kubernetes-types` declarations do not carry, applied by the schema
 * generator on top of what it reads from them. Sources are upstream's Go types
 * (`k8s.io/api/<group>/<version>/types.go` markers `patchStrategy`, `patchMergeKey`, `+listType`,
 * `+listMapKey`, `+mapType`, `+structType`) and the formats of api/openapi-spec/swagger.json.
 *
 * Keep this file declarative: tables keyed by definition name and field.
 */
import type { SchemaNode } from './schema-types.js';

/** kubernetes-types module (path under the package, no extension) → upstream definition prefix. */
export function definitionPrefix(modulePath: string): string {
  switch (modulePath) {
    case 'meta/v1':
      return 'io.k8s.apimachinery.pkg.apis.meta.v1';
    case 'api/resource':
      return 'io.k8s.apimachinery.pkg.api.resource';
    case 'runtime':
      return 'io.k8s.apimachinery.pkg.runtime';
    case 'version':
      return 'io.k8s.apimachinery.pkg.version';
    case 'apiextensions/v1':
      return 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1';
    default:
      return `io.k8s.api.${modulePath.replace(/\//g, '.')}`;
  }
}

/** kubernetes-types directory → API group name. */
export const apiGroupOfDirectory: Readonly<Record<string, string>> = {
  core: '',
  meta: '',
  apps: 'apps',
  batch: 'batch',
  autoscaling: 'autoscaling',
  policy: 'policy',
  admissionregistration: 'admissionregistration.k8s.io',
  apiextensions: 'apiextensions.k8s.io',
  apiserverinternal: 'internal.apiserver.k8s.io',
  authentication: 'authentication.k8s.io',
  authorization: 'authorization.k8s.io',
  certificates: 'certificates.k8s.io',
  coordination: 'coordination.k8s.io',
  discovery: 'discovery.k8s.io',
  events: 'events.k8s.io',
  flowcontrol: 'flowcontrol.apiserver.k8s.io',
  networking: 'networking.k8s.io',
  node: 'node.k8s.io',
  rbac: 'rbac.authorization.k8s.io',
  resource: 'resource.k8s.io',
  scheduling: 'scheduling.k8s.io',
  storage: 'storage.k8s.io',
  storagemigration: 'storagemigration.k8s.io',
};

export const intOrStringDefinition = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';

/** Definitions whose shape is special on the wire (custom JSON marshalling upstream). */
export const specialDefinitions: Readonly<Record<string, SchemaNode>> = {
  [intOrStringDefinition]: {
    description: 'An integer or a string (for example a port number or name, or a count or percentage).',
    type: 'string',
    format: 'int-or-string',
  },
  'io.k8s.apimachinery.pkg.api.resource.Quantity': { type: 'string' },
  'io.k8s.apimachinery.pkg.apis.meta.v1.Time': { type: 'string', format: 'date-time' },
  'io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime': { type: 'string', format: 'date-time' },
  'io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1': { type: 'object' },
  'io.k8s.apimachinery.pkg.apis.meta.v1.Patch': { type: 'object' },
  'io.k8s.apimachinery.pkg.runtime.RawExtension': { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
  // apiextensions' JSON and the JSONSchemaProps unions hold any JSON value: no `type`.
  'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSON': {},
  'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrArray': {},
  'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrBool': {},
  'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrStringArray': {},
};

/**
 * TS `number` fields are integers (API conventions forbid floats), int32 unless listed here. The
 * int64 fields of the built-in API, by field name (these names are int64 wherever they occur)...
 */
const int64FieldNames = new Set([
  'activeDeadlineSeconds', 'deletionGracePeriodSeconds', 'expirationSeconds', 'fsGroup', 'generation', 'gid',
  'gracePeriodSeconds', 'maxItems', 'maxLength', 'maxProperties', 'minItems', 'minLength', 'minProperties',
  'observedGeneration', 'remainingItemCount', 'revision', 'runAsGroup', 'runAsUser', 'seconds', 'sizeBytes',
  'startingDeadlineSeconds', 'supplementalGroups', 'terminationGracePeriodSeconds', 'tolerationSeconds', 'uid',
  'capacity', 'ints',
]);
/** ...except these definition fields, which share a name with an int64 field but are int32. */
const int32Exceptions = new Set(['io.k8s.api.storage.v1.TokenRequest.expirationSeconds']);
/** The only floating-point fields of the built-in API. */
const doubleFields = new Set(
  ['maximum', 'minimum', 'multipleOf'].map((f) => `io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps.${f}`),
);

/** The schema of a TS `number` member `field` of definition `definition`. */
export function numberSchema(definition: string, field: string): SchemaNode {
  const qualified = `${definition}.${field}`;
  if (doubleFields.has(qualified)) return { type: 'number', format: 'double' };
  if (int64FieldNames.has(field) && !int32Exceptions.has(qualified)) return { type: 'integer', format: 'int64' };
  return { type: 'integer', format: 'int32' };
}

/** Base64 strings (Go `[]byte`), by definition field; for maps the format applies to values. */
export const byteFields = new Set([
  'io.k8s.api.core.v1.ConfigMap.binaryData',
  'io.k8s.api.core.v1.Secret.data',
  'io.k8s.api.certificates.v1.CertificateSigningRequestSpec.request',
  'io.k8s.api.certificates.v1.CertificateSigningRequestStatus.certificate',
  'io.k8s.api.admissionregistration.v1.WebhookClientConfig.caBundle',
  'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.WebhookClientConfig.caBundle',
]);

type Ext = Partial<SchemaNode>;
const atomic: Ext = { 'x-kubernetes-list-type': 'atomic' };
const set: Ext = { 'x-kubernetes-list-type': 'set' };
const atomicMap: Ext = { 'x-kubernetes-map-type': 'atomic' };
/** patchStrategy=merge + patchMergeKey=key, listType=map with listMapKeys (default [key]). */
const mergeOn = (key: string, ...mapKeys: string[]): Ext => ({
  'x-kubernetes-patch-strategy': 'merge',
  'x-kubernetes-patch-merge-key': key,
  'x-kubernetes-list-type': 'map',
  'x-kubernetes-list-map-keys': mapKeys.length ? mapKeys : [key],
});
const conditions = mergeOn('type');

const core = 'io.k8s.api.core.v1.';
const apps = 'io.k8s.api.apps.v1.';
const meta = 'io.k8s.apimachinery.pkg.apis.meta.v1.';

const containerLists: Record<string, Ext> = {
  command: atomic,
  args: atomic,
  ports: mergeOn('containerPort', 'containerPort', 'protocol'),
  env: mergeOn('name'),
  envFrom: atomic,
  volumeMounts: mergeOn('mountPath'),
  volumeDevices: mergeOn('devicePath'),
  resizePolicy: atomic,
};

/** Extensions per definition field (merged into the generated property node). */
export const fieldExtensions: Readonly<Record<string, Readonly<Record<string, Ext>>>> = {
  [`${meta}ObjectMeta`]: {
    finalizers: { 'x-kubernetes-patch-strategy': 'merge', 'x-kubernetes-list-type': 'set' },
    ownerReferences: mergeOn('uid'),
    managedFields: atomic,
  },
  [`${meta}LabelSelector`]: { matchExpressions: atomic },
  [`${meta}LabelSelectorRequirement`]: { values: atomic },
  [`${core}PodSpec`]: {
    volumes: { ...mergeOn('name'), 'x-kubernetes-patch-strategy': 'merge,retainKeys' },
    initContainers: mergeOn('name'),
    containers: mergeOn('name'),
    ephemeralContainers: mergeOn('name'),
    imagePullSecrets: mergeOn('name'),
    hostAliases: mergeOn('ip'),
    tolerations: atomic,
    readinessGates: atomic,
    schedulingGates: mergeOn('name'),
    resourceClaims: { ...mergeOn('name'), 'x-kubernetes-patch-strategy': 'merge,retainKeys' },
    topologySpreadConstraints: mergeOn('topologyKey', 'topologyKey', 'whenUnsatisfiable'),
    nodeSelector: atomicMap,
  },
  [`${core}Container`]: containerLists,
  [`${core}EphemeralContainer`]: containerLists,
  [`${core}PodStatus`]: {
    conditions,
    podIPs: mergeOn('ip'),
    hostIPs: { 'x-kubernetes-patch-strategy': 'merge', 'x-kubernetes-patch-merge-key': 'ip', 'x-kubernetes-list-type': 'atomic' },
    initContainerStatuses: atomic,
    containerStatuses: atomic,
    ephemeralContainerStatuses: atomic,
    resourceClaimStatuses: { ...mergeOn('name'), 'x-kubernetes-patch-strategy': 'merge,retainKeys' },
  },
  [`${core}PodSecurityContext`]: { supplementalGroups: atomic, sysctls: atomic },
  [`${core}Capabilities`]: { add: atomic, drop: atomic },
  [`${core}ResourceRequirements`]: { claims: mergeOn('name') },
  [`${core}ServiceSpec`]: {
    ports: mergeOn('port', 'port', 'protocol'),
    selector: atomicMap,
    clusterIPs: atomic,
    externalIPs: atomic,
    ipFamilies: atomic,
    loadBalancerSourceRanges: atomic,
  },
  [`${core}ServiceStatus`]: { conditions },
  [`${core}LoadBalancerStatus`]: { ingress: atomic },
  [`${core}NodeSpec`]: { taints: atomic, podCIDRs: { 'x-kubernetes-patch-strategy': 'merge', 'x-kubernetes-list-type': 'set' } },
  [`${core}NodeStatus`]: { conditions, addresses: mergeOn('type'), images: atomic, volumesInUse: atomic, volumesAttached: atomic },
  [`${core}NamespaceSpec`]: { finalizers: atomic },
  [`${core}NamespaceStatus`]: { conditions },
  [`${core}PersistentVolumeClaimSpec`]: { accessModes: atomic },
  [`${core}PersistentVolumeClaimStatus`]: { conditions, accessModes: atomic },
  [`${core}PersistentVolumeSpec`]: { accessModes: atomic, mountOptions: atomic },
  [`${core}ReplicationControllerStatus`]: { conditions },
  [`${core}Endpoints`]: { subsets: atomic },
  [`${core}EndpointSubset`]: { addresses: atomic, notReadyAddresses: atomic, ports: atomic },
  [`${core}NodeSelector`]: { nodeSelectorTerms: atomic },
  [`${core}NodeSelectorTerm`]: { matchExpressions: atomic, matchFields: atomic },
  [`${core}NodeSelectorRequirement`]: { values: atomic },
  [`${core}NodeAffinity`]: { preferredDuringSchedulingIgnoredDuringExecution: atomic },
  [`${core}PodAffinity`]: { requiredDuringSchedulingIgnoredDuringExecution: atomic, preferredDuringSchedulingIgnoredDuringExecution: atomic },
  [`${core}PodAntiAffinity`]: { requiredDuringSchedulingIgnoredDuringExecution: atomic, preferredDuringSchedulingIgnoredDuringExecution: atomic },
  [`${core}ServiceAccount`]: { secrets: mergeOn('name'), imagePullSecrets: atomic },
  [`${apps}DeploymentSpec`]: { strategy: { 'x-kubernetes-patch-strategy': 'retainKeys' } },
  [`${apps}DeploymentStatus`]: { conditions },
  [`${apps}ReplicaSetStatus`]: { conditions },
  [`${apps}StatefulSetSpec`]: { volumeClaimTemplates: atomic },
  [`${apps}StatefulSetStatus`]: { conditions },
  [`${apps}DaemonSetStatus`]: { conditions },
  'io.k8s.api.batch.v1.JobStatus': {
    conditions: { 'x-kubernetes-patch-strategy': 'merge', 'x-kubernetes-patch-merge-key': 'type', 'x-kubernetes-list-type': 'atomic' },
  },
  'io.k8s.api.batch.v1.CronJobStatus': { active: atomic },
  'io.k8s.api.autoscaling.v2.HorizontalPodAutoscalerSpec': { metrics: atomic },
  'io.k8s.api.autoscaling.v2.HorizontalPodAutoscalerStatus': { conditions, currentMetrics: atomic },
  'io.k8s.api.policy.v1.PodDisruptionBudgetStatus': { conditions },
  'io.k8s.api.networking.v1.IngressSpec': { rules: atomic, tls: atomic },
  'io.k8s.api.networking.v1.NetworkPolicySpec': { ingress: atomic, egress: atomic, policyTypes: atomic },
  'io.k8s.api.discovery.v1.EndpointSlice': { endpoints: atomic, ports: atomic },
  'io.k8s.api.rbac.v1.PolicyRule': { apiGroups: atomic, resources: atomic, resourceNames: atomic, verbs: atomic, nonResourceURLs: atomic },
  'io.k8s.api.rbac.v1.Role': { rules: atomic },
  'io.k8s.api.rbac.v1.ClusterRole': { rules: atomic },
  'io.k8s.api.rbac.v1.RoleBinding': { subjects: atomic },
  'io.k8s.api.rbac.v1.ClusterRoleBinding': { subjects: atomic },
};

/** Extensions on whole definitions (`+structType=atomic` types). */
export const definitionExtensions: Readonly<Record<string, Ext>> = {
  [`${meta}LabelSelector`]: atomicMap,
  [`${meta}OwnerReference`]: atomicMap,
  [`${core}ObjectReference`]: atomicMap,
  [`${core}LocalObjectReference`]: atomicMap,
  [`${core}TypedLocalObjectReference`]: atomicMap,
  [`${core}NodeSelector`]: atomicMap,
};

/** A few closed string sets that `kubectl explain` shows and clients rely on. */
export const fieldEnums: Readonly<Record<string, readonly string[]>> = {
  [`${core}Container.imagePullPolicy`]: ['Always', 'IfNotPresent', 'Never'],
  [`${core}PodSpec.restartPolicy`]: ['Always', 'Never', 'OnFailure'],
  [`${core}PodSpec.dnsPolicy`]: ['ClusterFirst', 'ClusterFirstWithHostNet', 'Default', 'None'],
  [`${core}ContainerPort.protocol`]: ['SCTP', 'TCP', 'UDP'],
  [`${core}ServicePort.protocol`]: ['SCTP', 'TCP', 'UDP'],
  [`${core}ServiceSpec.type`]: ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'],
  [`${apps}DeploymentStrategy.type`]: ['Recreate', 'RollingUpdate'],
  [`${meta}DeleteOptions.propagationPolicy`]: ['Background', 'Foreground', 'Orphan'],
};
