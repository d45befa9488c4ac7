/**
 * GatewayClass and Gateway strategies: the defaults and validation rules of the Gateway API v1.2
 * CRDs (OpenAPI defaults, patterns and limits, and their CEL rules), and the initial status the CRDs
 * default (`Unknown`/`Pending` "Waiting for controller").
 */
import type { Condition } from 'kubernetes-types/meta/v1.js';
import { type FieldError, FieldPath, invalid, required } from '../../field-errors.js';
import type { ResourceStrategy } from '../../strategy.js';
import type { Gateway, GatewayClass, GatewayListener } from './types.js';
import {
  controllerNamePattern,
  enumErrors,
  groupPattern,
  hostnamePattern,
  intRangeErrors,
  kindPattern,
  namespacePattern,
  protocolPattern,
  rule,
  sectionNamePattern,
  stringErrors,
  tooManyItems,
} from './rules.js';

const pending = (type: string): Condition => ({ type, status: 'Unknown', reason: 'Pending', message: 'Waiting for controller', lastTransitionTime: '1970-01-01T00:00:00Z' });

export const gatewayClassStrategy: ResourceStrategy = {
  prepareForCreate(obj) {
    (obj as GatewayClass).status = { conditions: [pending('Accepted')] };
  },
  validate(obj) {
    const gc = obj as GatewayClass;
    const sp = FieldPath.root('spec');
    const errs = stringErrors(gc.spec?.controllerName, sp.child('controllerName'), { pattern: controllerNamePattern, max: 253, min: 1, must: true });
    errs.push(...stringErrors(gc.spec?.description, sp.child('description'), { max: 64 }));
    const p = gc.spec?.parametersRef;
    if (p) {
      const pp = sp.child('parametersRef');
      errs.push(...stringErrors(p.group, pp.child('group'), { pattern: groupPattern, max: 253, must: true }));
      errs.push(...stringErrors(p.kind, pp.child('kind'), { pattern: kindPattern, max: 63, min: 1, must: true }));
      errs.push(...stringErrors(p.name, pp.child('name'), { max: 253, min: 1, must: true }));
      errs.push(...stringErrors(p.namespace, pp.child('namespace'), { pattern: namespacePattern, max: 63, min: 1 }));
    }
    return errs;
  },
  validateUpdate(obj, old) {
    const a = (obj as GatewayClass).spec?.controllerName;
    const b = (old as GatewayClass).spec?.controllerName;
    return a !== b ? [invalid(FieldPath.root('spec').child('controllerName'), a ?? '', 'Value is immutable')] : [];
  },
};

export const gatewayListenerProtocols = ['HTTP', 'HTTPS', 'TLS', 'TCP', 'UDP'];

function defaultListener(l: GatewayListener): void {
  l.allowedRoutes ??= { namespaces: { from: 'Same' } };
  l.allowedRoutes.namespaces ??= { from: 'Same' };
  l.allowedRoutes.namespaces.from ??= 'Same';
  for (const k of l.allowedRoutes.kinds ?? []) k.group ??= 'gateway.networking.k8s.io';
  if (l.tls) {
    l.tls.mode ??= 'Terminate';
    for (const c of l.tls.certificateRefs ?? []) {
      c.group ??= '';
      c.kind ??= 'Secret';
    }
  }
}

function validateListener(l: GatewayListener, path: FieldPath): FieldError[] {
  const errs = stringErrors(l.name, path.child('name'), { pattern: sectionNamePattern, max: 253, min: 1, must: true });
  errs.push(...stringErrors(l.hostname, path.child('hostname'), { pattern: hostnamePattern, max: 253, min: 1 }));
  if (l.port === undefined) errs.push(required(path.child('port')));
  else errs.push(...intRangeErrors(l.port, path.child('port'), 1, 65535));
  errs.push(...stringErrors(l.protocol, path.child('protocol'), { pattern: protocolPattern, max: 255, min: 1, must: true }));
  const tls = l.tls;
  if (tls) {
    const tp = path.child('tls');
    errs.push(...enumErrors(tls.mode, tp.child('mode'), ['Terminate', 'Passthrough']));
    errs.push(...tooManyItems(tls.certificateRefs, tp.child('certificateRefs'), 64));
    (tls.certificateRefs ?? []).forEach((c, i) => {
      const cp = tp.child('certificateRefs').index(i);
      errs.push(...stringErrors(c.group, cp.child('group'), { pattern: groupPattern, max: 253 }));
      errs.push(...stringErrors(c.kind, cp.child('kind'), { pattern: kindPattern, max: 63, min: 1 }));
      errs.push(...stringErrors(c.name, cp.child('name'), { max: 253, min: 1, must: true }));
      errs.push(...stringErrors(c.namespace, cp.child('namespace'), { pattern: namespacePattern, max: 63, min: 1 }));
    });
    if (tls.mode === 'Terminate' && !(tls.certificateRefs ?? []).length && !Object.keys(tls.options ?? {}).length)
      errs.push(rule(tp, 'object', 'certificateRefs or options must be specified when mode is Terminate'));
  }
  const ns = l.allowedRoutes?.namespaces;
  if (ns) {
    const np = path.child('allowedRoutes', 'namespaces');
    errs.push(...enumErrors(ns.from, np.child('from'), ['All', 'Selector', 'Same']));
    if (ns.from === 'Selector' && !ns.selector) errs.push(rule(np, 'object', "selector must be specified when from is 'Selector'"));
  }
  errs.push(...tooManyItems(l.allowedRoutes?.kinds, path.child('allowedRoutes', 'kinds'), 8));
  return errs;
}

export const gatewayStrategy: ResourceStrategy = {
  default(obj) {
    const gw = obj as Gateway;
    for (const l of gw.spec?.listeners ?? []) defaultListener(l);
    for (const a of gw.spec?.addresses ?? []) a.type ??= 'IPAddress';
  },
  prepareForCreate(obj) {
    (obj as Gateway).status = { conditions: [pending('Accepted'), pending('Programmed')] };
  },
  validate(obj) {
    const gw = obj as Gateway;
    const sp = FieldPath.root('spec');
    const errs = stringErrors(gw.spec?.gatewayClassName, sp.child('gatewayClassName'), { max: 253, min: 1, must: true });
    const listeners = gw.spec?.listeners;
    const lp = sp.child('listeners');
    if (!listeners) errs.push(required(lp));
    else if (listeners.length === 0) errs.push(invalid(lp, listeners.length, `${lp.toString()} in body should have at least 1 items`));
    errs.push(...tooManyItems(listeners, lp, 64));
    (listeners ?? []).forEach((l, i) => errs.push(...validateListener(l, lp.index(i))));
    const ls = listeners ?? [];
    if (!ls.every((l) => (['HTTP', 'TCP', 'UDP'].includes(l.protocol ?? '') ? !l.tls : true)))
      errs.push(rule(lp, 'array', "tls must not be specified for protocols ['HTTP', 'TCP', 'UDP']"));
    if (!ls.every((l) => (['HTTPS', 'TLS'].includes(l.protocol ?? '') ? !!l.tls?.mode : true)))
      errs.push(rule(lp, 'array', "tls mode must be set for protocols ['HTTPS', 'TLS']"));
    if (!ls.every((l) => (['TCP', 'UDP'].includes(l.protocol ?? '') ? !l.hostname : true)))
      errs.push(rule(lp, 'array', "hostname must not be specified for protocols ['TCP', 'UDP']"));
    if (new Set(ls.map((l) => l.name)).size !== ls.length) errs.push(rule(lp, 'array', 'Listener name must be unique within the Gateway'));
    if (new Set(ls.map((l) => `${l.port}/${l.protocol}/${l.hostname ?? ''}`)).size !== ls.length)
      errs.push(rule(lp, 'array', 'Combination of port, protocol and hostname must be unique for each listener'));
    errs.push(...tooManyItems(gw.spec?.addresses, sp.child('addresses'), 16));
    (gw.spec?.addresses ?? []).forEach((a, i) => {
      errs.push(...stringErrors(a.value, sp.child('addresses').index(i).child('value'), { max: 253, min: 1, must: true }));
    });
    return errs;
  },
};
