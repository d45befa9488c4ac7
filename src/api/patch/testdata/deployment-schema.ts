/**
 * A hand-written, trimmed Deployment schema in the shape of kube-apiserver's OpenAPI v2 document,
 * for the patch and apply tests: containers keyed by name, ports by containerPort+protocol, env by
 * name, finalizers a set, tolerations atomic, selector an atomic struct, strategy with retainKeys.
 */
import { schemaFromDefinitions, type PatchSchema, type PatchSchemaNode } from '../patch-schema.js';

const ref = (name: string): PatchSchemaNode => ({ $ref: `#/definitions/${name}` });
const str: PatchSchemaNode = { type: 'string' };
const int: PatchSchemaNode = { type: 'integer' };
const strMap: PatchSchemaNode = { type: 'object', additionalProperties: str };

export const definitions: Record<string, PatchSchemaNode> = {
  Deployment: {
    type: 'object',
    properties: { apiVersion: str, kind: str, metadata: ref('ObjectMeta'), spec: ref('DeploymentSpec'), status: ref('DeploymentStatus') },
  },
  ObjectMeta: {
    type: 'object',
    properties: {
      name: str,
      namespace: str,
      uid: str,
      resourceVersion: str,
      generation: int,
      creationTimestamp: str,
      labels: strMap,
      annotations: strMap,
      finalizers: { type: 'array', items: str, 'x-kubernetes-patch-strategy': 'merge', 'x-kubernetes-list-type': 'set' },
      ownerReferences: {
        type: 'array',
        items: { type: 'object', properties: { uid: str, name: str, kind: str, apiVersion: str } },
        'x-kubernetes-patch-merge-key': 'uid',
        'x-kubernetes-patch-strategy': 'merge',
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['uid'],
      },
      managedFields: { type: 'array', items: { type: 'object', additionalProperties: true } },
    },
  },
  DeploymentSpec: {
    type: 'object',
    properties: {
      replicas: int,
      paused: { type: 'boolean' },
      selector: { ...ref('LabelSelector') },
      strategy: { ...ref('DeploymentStrategy'), 'x-kubernetes-patch-strategy': 'retainKeys' },
      template: ref('PodTemplateSpec'),
    },
  },
  DeploymentStatus: { type: 'object', properties: { replicas: int, observedGeneration: int } },
  LabelSelector: { type: 'object', properties: { matchLabels: strMap }, 'x-kubernetes-map-type': 'atomic' },
  DeploymentStrategy: {
    type: 'object',
    properties: { type: str, rollingUpdate: { type: 'object', properties: { maxSurge: str, maxUnavailable: str } } },
  },
  PodTemplateSpec: { type: 'object', properties: { metadata: ref('ObjectMeta'), spec: ref('PodSpec') } },
  PodSpec: {
    type: 'object',
    properties: {
      containers: {
        type: 'array',
        items: ref('Container'),
        'x-kubernetes-patch-merge-key': 'name',
        'x-kubernetes-patch-strategy': 'merge',
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['name'],
      },
      tolerations: { type: 'array', items: { type: 'object', properties: { key: str, operator: str, effect: str } }, 'x-kubernetes-list-type': 'atomic' },
      nodeSelector: { ...strMap, 'x-kubernetes-map-type': 'atomic' },
      volumes: {
        type: 'array',
        items: ref('Volume'),
        'x-kubernetes-patch-merge-key': 'name',
        'x-kubernetes-patch-strategy': 'merge,retainKeys',
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['name'],
      },
      restartPolicy: str,
      dnsPolicy: str,
    },
  },
  Volume: { type: 'object', properties: { name: str, emptyDir: { type: 'object', properties: { medium: str } }, configMap: { type: 'object', properties: { name: str } } } },
  Container: {
    type: 'object',
    properties: {
      name: str,
      image: str,
      args: { type: 'array', items: str, 'x-kubernetes-list-type': 'atomic' },
      ports: {
        type: 'array',
        items: ref('ContainerPort'),
        'x-kubernetes-patch-merge-key': 'containerPort',
        'x-kubernetes-patch-strategy': 'merge',
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['containerPort', 'protocol'],
      },
      env: { type: 'array', items: ref('EnvVar'), 'x-kubernetes-patch-merge-key': 'name', 'x-kubernetes-patch-strategy': 'merge' },
      resources: { type: 'object', properties: { limits: strMap, requests: strMap } },
    },
  },
  ContainerPort: { type: 'object', properties: { containerPort: int, name: str, protocol: { type: 'string', default: 'TCP' } } },
  EnvVar: { type: 'object', properties: { name: str, value: str } },
};

export const deploymentSchema: PatchSchema = schemaFromDefinitions(definitions, 'Deployment');
