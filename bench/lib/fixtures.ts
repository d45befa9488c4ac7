/**
 * Objects the benchmarks create: small but realistic, as a Deployment's pod template or a typical
 * app config would produce.
 */
import type { ConfigMap, Pod } from 'kubernetes-types/core/v1.js';

export function benchConfigMap(name: string): ConfigMap {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, labels: { app: 'bench', tier: 'config' } },
    data: {
      'app.properties': 'log.level=info\ncache.size=128\nfeature.flags=a,b,c\n',
      'endpoint': 'https://backend.bench.svc.cluster.local:8443',
    },
  };
}

export function benchPod(name: string): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      labels: { app: 'web', tier: 'frontend', 'pod-template-hash': '6d4cf56db6' },
      annotations: { 'bench.capstan.dev/run': 'list' },
    },
    spec: {
      containers: [
        {
          name: 'web',
          image: 'nginx:1.27',
          ports: [{ name: 'http', containerPort: 80 }],
          env: [{ name: 'MODE', value: 'production' }],
          resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '500m', memory: '128Mi' } },
          readinessProbe: { httpGet: { path: '/healthz', port: 80 }, periodSeconds: 10 },
        },
      ],
    },
  };
}

export function namespace(name: string): { apiVersion: string; kind: string; metadata: { name: string } } {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name } };
}
