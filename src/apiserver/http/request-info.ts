/**
 * Parses a request path into what it addresses (after k8s.io/apiserver/pkg/endpoints/request
 * RequestInfoFactory): API group/version, namespace, resource, name, subresource, and the verb.
 */
export interface ResourceRequest {
  kind: 'resource';
  group: string;
  version: string;
  namespace?: string;
  resource: string;
  name?: string;
  subresource?: string;
  /** For `.../proxy/...` subresources: the path after `proxy` ('' when none), passed to the target. */
  proxyPath?: string;
  verb: 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';
}

export interface NonResourceRequest {
  kind: 'nonresource';
  path: string;
}

/** A request under /api or /apis that stops above the resource level (discovery). */
export interface DiscoveryRequest {
  kind: 'discovery';
  prefix: 'api' | 'apis';
  group?: string;
  version?: string;
}

export type RequestInfo = ResourceRequest | NonResourceRequest | DiscoveryRequest;

export function parseRequestInfo(method: string, pathname: string, query: URLSearchParams): RequestInfo {
  const parts = pathname.split('/').filter((p) => p !== '');
  if (parts[0] !== 'api' && parts[0] !== 'apis') return { kind: 'nonresource', path: pathname };
  const prefix = parts[0];
  let i = 1;
  let group = '';
  if (prefix === 'apis') {
    if (parts.length < 2) return { kind: 'discovery', prefix };
    group = parts[1];
    i = 2;
    if (parts.length === 2) return { kind: 'discovery', prefix, group };
  } else if (parts.length === 1) return { kind: 'discovery', prefix };
  const version = parts[i++];
  if (i >= parts.length) return { kind: 'discovery', prefix, group: group || undefined, version };
  let rest = parts.slice(i);
  let watchPath = false;
  if (rest[0] === 'watch') {
    watchPath = true;
    rest = rest.slice(1);
  }
  let namespace: string | undefined;
  // /namespaces/{ns}/{resource}... but /namespaces and /namespaces/{name}[/status|/finalize] address namespaces themselves.
  if (rest[0] === 'namespaces' && rest.length >= 3 && !(rest.length === 3 && (rest[2] === 'status' || rest[2] === 'finalize'))) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [resource, name, subresource] = rest;
  const isWatch = watchPath || ['1', 'true'].includes(query.get('watch') ?? '');
  let verb: ResourceRequest['verb'];
  switch (method) {
    case 'GET':
    case 'HEAD':
      verb = name ? (isWatch ? 'watch' : 'get') : isWatch ? 'watch' : 'list';
      break;
    case 'POST':
      verb = 'create';
      break;
    case 'PUT':
      verb = 'update';
      break;
    case 'PATCH':
      verb = 'patch';
      break;
    case 'DELETE':
      verb = name ? 'delete' : 'deletecollection';
      break;
    default:
      verb = 'get';
  }
  if (subresource === 'proxy' && name) {
    // {resource}/{name}/proxy[/path...]: the rest of the path goes to the proxied target as is.
    const marker = `/${resource}/${name}/proxy`;
    const at = pathname.indexOf(marker);
    const proxyPath = at >= 0 ? pathname.slice(at + marker.length) : '/' + rest.slice(3).join('/');
    return { kind: 'resource', group, version, namespace, resource, name, subresource, verb: verb === 'deletecollection' ? 'delete' : verb, proxyPath };
  }
  if (rest.length > 3) return { kind: 'nonresource', path: pathname };
  return { kind: 'resource', group, version, namespace, resource, name, subresource, verb };
}
