/**
 * HTTPRoute strategy: the defaults and validation of the Gateway API v1.2 HTTPRoute CRD (OpenAPI
 * defaults, patterns, enums and item limits, and its CEL rules on paths, filters, backends and
 * timeouts).
 */
import { type FieldError, FieldPath, required } from '../../field-errors.js';
import type { ResourceStrategy } from '../../strategy.js';
import type { BackendObjectReference, HTTPPathModifier, HTTPRoute, HTTPRouteFilter, HTTPRouteMatch, HTTPRouteRule, ParentReference } from './types.js';
import { gatewayApiGroup } from './types.js';
import {
  duplicateKeyErrors,
  enumErrors,
  groupPattern,
  headerNamePattern,
  hostnamePattern,
  preciseHostnamePattern,
  intRangeErrors,
  kindPattern,
  namespacePattern,
  parseGatewayDuration,
  pathCharsPattern,
  patternErrors,
  rule,
  sectionNamePattern,
  stringErrors,
  tooManyItems,
} from './rules.js';

export const httpMethods = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH'];
export const filterTypes = ['RequestHeaderModifier', 'ResponseHeaderModifier', 'RequestMirror', 'RequestRedirect', 'URLRewrite', 'ExtensionRef'];
const filterFields: Record<string, keyof HTTPRouteFilter> = {
  RequestHeaderModifier: 'requestHeaderModifier',
  ResponseHeaderModifier: 'responseHeaderModifier',
  RequestMirror: 'requestMirror',
  RequestRedirect: 'requestRedirect',
  URLRewrite: 'urlRewrite',
  ExtensionRef: 'extensionRef',
};

export const maxRules = 16;
export const maxMatches = 64;
export const maxTotalMatches = 128;

function defaultMatch(m: HTTPRouteMatch): void {
  m.path ??= {};
  m.path.type ??= 'PathPrefix';
  m.path.value ??= '/';
  for (const h of m.headers ?? []) h.type ??= 'Exact';
  for (const q of m.queryParams ?? []) q.type ??= 'Exact';
}

function defaultBackendRef(b: BackendObjectReference): void {
  b.group ??= '';
  b.kind ??= 'Service';
}

function defaultFilters(fs: HTTPRouteFilter[] | undefined): void {
  for (const f of fs ?? []) {
    if (f.requestMirror?.backendRef) defaultBackendRef(f.requestMirror.backendRef);
    if (f.requestRedirect) f.requestRedirect.statusCode ??= 302;
  }
}

export function defaultHttpRoute(route: HTTPRoute): void {
  route.spec ??= {};
  for (const p of route.spec.parentRefs ?? []) {
    p.group ??= gatewayApiGroup;
    p.kind ??= 'Gateway';
  }
  route.spec.rules ??= [{ matches: [{ path: { type: 'PathPrefix', value: '/' } }] }];
  for (const r of route.spec.rules) {
    r.matches ??= [{ path: { type: 'PathPrefix', value: '/' } }];
    for (const m of r.matches) defaultMatch(m);
    defaultFilters(r.filters);
    for (const b of r.backendRefs ?? []) {
      defaultBackendRef(b);
      b.weight ??= 1;
      defaultFilters(b.filters);
    }
  }
}

function validateParentRef(p: ParentReference, path: FieldPath): FieldError[] {
  const errs = stringErrors(p.group, path.child('group'), { pattern: groupPattern, max: 253 });
  errs.push(...stringErrors(p.kind, path.child('kind'), { pattern: kindPattern, max: 63, min: 1 }));
  errs.push(...stringErrors(p.namespace, path.child('namespace'), { pattern: namespacePattern, max: 63, min: 1 }));
  errs.push(...stringErrors(p.name, path.child('name'), { max: 253, min: 1, must: true }));
  errs.push(...stringErrors(p.sectionName, path.child('sectionName'), { pattern: sectionNamePattern, max: 253, min: 1 }));
  errs.push(...intRangeErrors(p.port, path.child('port'), 1, 65535));
  return errs;
}

export function validateBackendObjectRef(b: BackendObjectReference, path: FieldPath): FieldError[] {
  const errs = stringErrors(b.group, path.child('group'), { pattern: groupPattern, max: 253 });
  errs.push(...stringErrors(b.kind, path.child('kind'), { pattern: kindPattern, max: 63, min: 1 }));
  errs.push(...stringErrors(b.name, path.child('name'), { max: 253, min: 1, must: true }));
  errs.push(...stringErrors(b.namespace, path.child('namespace'), { pattern: namespacePattern, max: 63, min: 1 }));
  errs.push(...intRangeErrors(b.port, path.child('port'), 1, 65535));
  if ((b.group ?? '') === '' && (b.kind ?? 'Service') === 'Service' && b.port === undefined) errs.push(rule(path, 'object', 'Must have port for Service reference'));
  return errs;
}

function validatePathValue(type: string | undefined, v: string, path: FieldPath): FieldError[] {
  const errs = stringErrors(v, path.child('value'), { max: 1024 });
  if (type !== 'Exact' && type !== 'PathPrefix') return errs;
  const fail = (m: string) => errs.push(rule(path, 'object', m));
  const types = "when type one of ['Exact', 'PathPrefix']";
  if (!v.startsWith('/')) fail(`value must be an absolute path and start with '/' ${types}`);
  for (const seq of ['//', '/./', '/../', '%2f', '%2F', '#']) if (v.includes(seq)) fail(`must not contain '${seq}' ${types}`);
  for (const suffix of ['/..', '/.']) if (v.endsWith(suffix)) fail(`must not end with '${suffix}' ${types}`);
  if (v && !new RegExp(pathCharsPattern).test(v)) fail(`must only contain valid characters (matching ${pathCharsPattern}) for types ['Exact', 'PathPrefix']`);
  return errs;
}

function validateMatch(m: HTTPRouteMatch, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  if (m.path) {
    errs.push(...enumErrors(m.path.type, path.child('path', 'type'), ['Exact', 'PathPrefix', 'RegularExpression']));
    if (m.path.type === 'RegularExpression') {
      try {
        new RegExp(m.path.value ?? '');
      } catch {
        errs.push(rule(path.child('path'), 'object', 'value must be a valid regular expression'));
      }
    }
    errs.push(...validatePathValue(m.path.type, m.path.value ?? '/', path.child('path')));
  }
  for (const [field, max] of [['headers', 256], ['queryParams', 256]] as const) {
    const list = m[field];
    errs.push(...tooManyItems(list, path.child(field), 16));
    errs.push(...duplicateKeyErrors(list, path.child(field), (h) => (field === 'headers' ? h.name?.toLowerCase() : h.name)));
    (list ?? []).forEach((h, i) => {
      const hp = path.child(field).index(i);
      errs.push(...enumErrors(h.type, hp.child('type'), ['Exact', 'RegularExpression']));
      errs.push(...stringErrors(h.name, hp.child('name'), { pattern: headerNamePattern, max, min: 1, must: true }));
      errs.push(...stringErrors(h.value, hp.child('value'), { max: field === 'headers' ? 4096 : 1024, min: 1, must: true }));
    });
  }
  errs.push(...enumErrors(m.method, path.child('method'), httpMethods));
  return errs;
}

function validatePathModifier(p: HTTPPathModifier, path: FieldPath): FieldError[] {
  const errs = enumErrors(p.type, path.child('type'), ['ReplaceFullPath', 'ReplacePrefixMatch']);
  if (!p.type) errs.push(required(path.child('type')));
  errs.push(...stringErrors(p.replaceFullPath, path.child('replaceFullPath'), { max: 1024 }));
  errs.push(...stringErrors(p.replacePrefixMatch, path.child('replacePrefixMatch'), { max: 1024 }));
  if (p.replaceFullPath !== undefined && p.type !== 'ReplaceFullPath') errs.push(rule(path, 'object', 'replaceFullPath must be specified when type is set to \'ReplaceFullPath\''));
  if (p.type === 'ReplaceFullPath' && p.replaceFullPath === undefined) errs.push(rule(path, 'object', "type must be 'ReplaceFullPath' when replaceFullPath is set"));
  if (p.replacePrefixMatch !== undefined && p.type !== 'ReplacePrefixMatch') errs.push(rule(path, 'object', "type must be 'ReplacePrefixMatch' when replacePrefixMatch is set"));
  if (p.type === 'ReplacePrefixMatch' && p.replacePrefixMatch === undefined) errs.push(rule(path, 'object', "replacePrefixMatch must be specified when type is set to 'ReplacePrefixMatch'"));
  return errs;
}

function validateHeaderFilter(f: NonNullable<HTTPRouteFilter['requestHeaderModifier']>, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  for (const field of ['set', 'add'] as const) {
    errs.push(...tooManyItems(f[field], path.child(field), 16));
    errs.push(...duplicateKeyErrors(f[field], path.child(field), (h) => h.name?.toLowerCase()));
    (f[field] ?? []).forEach((h, i) => {
      errs.push(...stringErrors(h.name, path.child(field).index(i).child('name'), { pattern: headerNamePattern, max: 256, min: 1, must: true }));
      errs.push(...stringErrors(h.value, path.child(field).index(i).child('value'), { max: 4096, min: 1, must: true }));
    });
  }
  errs.push(...tooManyItems(f.remove, path.child('remove'), 16));
  return errs;
}

function validateFilters(fs: HTTPRouteFilter[] | undefined, path: FieldPath, inBackend: boolean): FieldError[] {
  const errs = tooManyItems(fs, path, 16);
  const list = fs ?? [];
  list.forEach((f, i) => {
    const fp = path.index(i);
    if (!f.type) errs.push(required(fp.child('type')));
    errs.push(...enumErrors(f.type, fp.child('type'), filterTypes));
    for (const [type, field] of Object.entries(filterFields)) {
      if (f.type !== type && f[field] !== undefined) errs.push(rule(fp, 'object', `filter.${field} must be nil if the filter.type is not ${type}`));
      if (f.type === type && f[field] === undefined) errs.push(rule(fp, 'object', `filter.${field} must be specified for ${type} filter.type`));
    }
    if (f.requestHeaderModifier) errs.push(...validateHeaderFilter(f.requestHeaderModifier, fp.child('requestHeaderModifier')));
    if (f.responseHeaderModifier) errs.push(...validateHeaderFilter(f.responseHeaderModifier, fp.child('responseHeaderModifier')));
    if (f.requestMirror) {
      if (!f.requestMirror.backendRef) errs.push(required(fp.child('requestMirror', 'backendRef')));
      else errs.push(...validateBackendObjectRef(f.requestMirror.backendRef, fp.child('requestMirror', 'backendRef')));
    }
    const redirect = f.requestRedirect;
    if (redirect) {
      const rp = fp.child('requestRedirect');
      errs.push(...enumErrors(redirect.scheme, rp.child('scheme'), ['http', 'https']));
      errs.push(...stringErrors(redirect.hostname, rp.child('hostname'), { pattern: preciseHostnamePattern, max: 253, min: 1 }));
      errs.push(...intRangeErrors(redirect.port, rp.child('port'), 1, 65535));
      errs.push(...enumErrors(redirect.statusCode, rp.child('statusCode'), [301, 302]));
      if (redirect.path) errs.push(...validatePathModifier(redirect.path, rp.child('path')));
    }
    if (f.urlRewrite) {
      errs.push(...stringErrors(f.urlRewrite.hostname, fp.child('urlRewrite', 'hostname'), { pattern: preciseHostnamePattern, max: 253, min: 1 }));
      if (f.urlRewrite.path) errs.push(...validatePathModifier(f.urlRewrite.path, fp.child('urlRewrite', 'path')));
    }
  });
  if (list.some((f) => f.type === 'RequestRedirect') && list.some((f) => f.type === 'URLRewrite'))
    errs.push(rule(path, 'array', 'May specify either httpRouteFilterRequestRedirect or httpRouteFilterRequestRewrite, but not both'));
  for (const t of ['RequestHeaderModifier', 'ResponseHeaderModifier', 'RequestRedirect', 'URLRewrite'])
    if (list.filter((f) => f.type === t).length > 1) errs.push(rule(path, 'array', `${t} filter cannot be repeated`));
  if (inBackend && list.some((f) => f.type === 'RequestRedirect')) errs.push(rule(path, 'array', 'RequestRedirect filter is not supported on backendRefs'));
  return errs;
}

function validateRule(r: HTTPRouteRule, path: FieldPath): FieldError[] {
  const errs = tooManyItems(r.matches, path.child('matches'), maxMatches);
  (r.matches ?? []).forEach((m, i) => errs.push(...validateMatch(m, path.child('matches').index(i))));
  errs.push(...validateFilters(r.filters, path.child('filters'), false));
  errs.push(...tooManyItems(r.backendRefs, path.child('backendRefs'), 16));
  (r.backendRefs ?? []).forEach((b, i) => {
    const bp = path.child('backendRefs').index(i);
    errs.push(...validateBackendObjectRef(b, bp));
    errs.push(...intRangeErrors(b.weight, bp.child('weight'), 0, 1_000_000));
    errs.push(...validateFilters(b.filters, bp.child('filters'), true));
  });
  const hasRedirect = (r.filters ?? []).some((f) => f.requestRedirect !== undefined);
  if ((r.backendRefs ?? []).length > 0 && hasRedirect) errs.push(rule(path, 'object', 'RequestRedirect filter must not be used together with backendRefs'));
  const onePrefixMatch = (r.matches ?? []).length === 1 && r.matches![0]!.path?.type === 'PathPrefix';
  for (const [type, field] of [['RequestRedirect', 'requestRedirect'], ['URLRewrite', 'urlRewrite']] as const) {
    const replacesPrefix = (r.filters ?? []).some((f) => f.type === type && f[field]?.path?.type === 'ReplacePrefixMatch' && f[field]?.path?.replacePrefixMatch !== undefined);
    if (replacesPrefix && !onePrefixMatch) errs.push(rule(path, 'object', `When using ${type} filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified`));
  }
  const t = r.timeouts;
  if (t) {
    const tp = path.child('timeouts');
    for (const f of ['request', 'backendRequest'] as const) if (t[f] !== undefined && parseGatewayDuration(t[f]!) === undefined) errs.push(...patternErrors(t[f]!, '^([0-9]{1,5}(h|m|s|ms)){1,4}$', tp.child(f)));
    const req = t.request !== undefined ? parseGatewayDuration(t.request) : undefined;
    const back = t.backendRequest !== undefined ? parseGatewayDuration(t.backendRequest) : undefined;
    if (req !== undefined && back !== undefined && req !== 0 && back > req) errs.push(rule(tp, 'object', 'backendRequest timeout cannot be longer than request timeout'));
  }
  return errs;
}

export function validateHttpRoute(route: HTTPRoute): FieldError[] {
  const sp = FieldPath.root('spec');
  const spec = route.spec ?? {};
  const errs = tooManyItems(spec.parentRefs, sp.child('parentRefs'), 32);
  (spec.parentRefs ?? []).forEach((p, i) => errs.push(...validateParentRef(p, sp.child('parentRefs').index(i))));
  const refs = spec.parentRefs ?? [];
  const keyOf = (p: ParentReference) => `${p.group ?? ''}/${p.kind ?? ''}/${p.namespace ?? ''}/${p.name}`;
  const allSame = (g: ParentReference[]) => g.every((p) => p.sectionName === undefined) || g.every((p) => p.sectionName !== undefined);
  const groups = new Map<string, ParentReference[]>();
  for (const p of refs) groups.set(keyOf(p), [...(groups.get(keyOf(p)) ?? []), p]);
  if ([...groups.values()].some((g) => !allSame(g)))
    errs.push(rule(sp.child('parentRefs'), 'array', 'sectionName must be specified when parentRefs includes 2 or more references to the same parent'));
  if (new Set(refs.map((p) => `${keyOf(p)}/${p.sectionName ?? ''}/${p.port ?? ''}`)).size !== refs.length)
    errs.push(rule(sp.child('parentRefs'), 'array', 'sectionName must be unique when parentRefs includes 2 or more references to the same parent'));
  errs.push(...tooManyItems(spec.hostnames, sp.child('hostnames'), 16));
  (spec.hostnames ?? []).forEach((h, i) => errs.push(...stringErrors(h, sp.child('hostnames').index(i), { pattern: hostnamePattern, max: 253, min: 1 })));
  const rules = spec.rules ?? [];
  errs.push(...tooManyItems(spec.rules, sp.child('rules'), maxRules));
  rules.forEach((r, i) => errs.push(...validateRule(r, sp.child('rules').index(i))));
  const total = rules.reduce((n, r) => n + (r.matches?.length ?? 0), 0);
  if (total > maxTotalMatches)
    errs.push(rule(sp.child('rules'), 'array', `While 16 rules and 64 matches per rule are allowed, the total number of matches across all rules in a route must be less than ${maxTotalMatches}`));
  return errs;
}

export const httpRouteStrategy: ResourceStrategy = {
  default: (obj) => defaultHttpRoute(obj as HTTPRoute),
  validate: (obj) => validateHttpRoute(obj as HTTPRoute),
};
