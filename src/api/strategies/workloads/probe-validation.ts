/**
 * Probe and lifecycle-handler validation (pkg/apis/core/validation/validation.go: validateProbe,
 * validateHandler, validateLifecycle, validateHTTPGetAction, ValidatePortNumOrName).
 */
import type { Lifecycle, LifecycleHandler, Probe } from 'kubernetes-types/core/v1.js';
import { type FieldError, FieldPath, forbidden, invalid, notSupported, required } from '../../field-errors.js';
import { isValidPortName, isValidPortNum } from '../../validation/names.js';
import { isObject, nonNegative, regexError } from './util.js';

/** ValidatePortNumOrName: an intstr port, checked as a number or an IANA port name. */
export function validatePortNumOrName(port: unknown, path: FieldPath): FieldError[] {
  if (typeof port === 'number') return isValidPortNum(port).map((m) => invalid(path, port, m));
  if (typeof port === 'string') return isValidPortName(port).map((m) => invalid(path, port, m));
  return [invalid(path, port ?? null, 'unknown type')];
}

const httpHeaderNameRe = /^[-A-Za-z0-9]+$/;

function validateHTTPGet(h: Record<string, unknown>, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  if (!h.path) errs.push(required(path.child('path')));
  errs.push(...validatePortNumOrName(h.port, path.child('port')));
  const scheme = h.scheme as string | undefined;
  if (scheme !== 'HTTP' && scheme !== 'HTTPS') errs.push(notSupported(path.child('scheme'), scheme ?? '', ['HTTP', 'HTTPS']));
  for (const hdr of (h.httpHeaders as { name?: string }[] | undefined) ?? []) {
    const name = hdr?.name ?? '';
    if (!httpHeaderNameRe.test(name))
      errs.push(invalid(path.child('httpHeaders'), name, regexError("a valid HTTP header must consist of alphanumeric characters or '-'", '[-A-Za-z0-9]+', 'X-Header-Name')));
  }
  return errs;
}

function validateExec(e: Record<string, unknown>, path: FieldPath): FieldError[] {
  return Array.isArray(e.command) && e.command.length > 0 ? [] : [required(path.child('command'))];
}

type HandlerKind = 'exec' | 'httpGet' | 'tcpSocket' | 'grpc' | 'sleep';

/** validateHandler / validateLifecycleHandler: exactly one handler type. */
function validateHandler(h: Record<string, unknown>, kinds: readonly HandlerKind[], gracePeriod: number | undefined, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  let n = 0;
  for (const kind of kinds) {
    const v: unknown = h[kind];
    if (v === undefined || v === null) continue;
    const kp = path.child(kind);
    if (n > 0) {
      errs.push(forbidden(kp, 'may not specify more than 1 handler type'));
      continue;
    }
    n++;
    if (!isObject(v as unknown)) continue;
    const o = v as Record<string, unknown>;
    if (kind === 'exec') errs.push(...validateExec(o, kp));
    else if (kind === 'httpGet') errs.push(...validateHTTPGet(o, kp));
    else if (kind === 'tcpSocket') errs.push(...validatePortNumOrName(o.port, kp.child('port')));
    else if (kind === 'grpc') {
      const port = o.port as number;
      errs.push(...isValidPortNum(port).map((m) => invalid(kp.child('port'), port, m)));
    } else if (kind === 'sleep') {
      const secs = o.seconds as number;
      const grace = gracePeriod ?? 30;
      if (typeof secs !== 'number' || secs <= 0 || secs > grace)
        errs.push(invalid(kp.child('seconds'), secs, `must be greater than 0 and less than terminationGracePeriodSeconds (${grace})`));
    }
  }
  if (n === 0) errs.push(required(path, 'must specify a handler type'));
  return errs;
}

/** validateProbe: the handler and the non-negative timings. */
function validateProbe(p: Probe | undefined, gracePeriod: number | undefined, path: FieldPath): FieldError[] {
  if (!isObject(p)) return [];
  const errs = validateHandler(p as Record<string, unknown>, ['exec', 'httpGet', 'tcpSocket', 'grpc'], gracePeriod, path);
  errs.push(...nonNegative(p.initialDelaySeconds, path.child('initialDelaySeconds')));
  errs.push(...nonNegative(p.timeoutSeconds, path.child('timeoutSeconds')));
  errs.push(...nonNegative(p.periodSeconds, path.child('periodSeconds')));
  errs.push(...nonNegative(p.successThreshold, path.child('successThreshold')));
  errs.push(...nonNegative(p.failureThreshold, path.child('failureThreshold')));
  if (p.terminationGracePeriodSeconds !== undefined && p.terminationGracePeriodSeconds !== null && p.terminationGracePeriodSeconds <= 0)
    errs.push(invalid(path.child('terminationGracePeriodSeconds'), p.terminationGracePeriodSeconds, 'must be greater than 0'));
  return errs;
}

export function validateLivenessProbe(p: Probe | undefined, gracePeriod: number | undefined, path: FieldPath): FieldError[] {
  if (!isObject(p)) return [];
  const errs = validateProbe(p, gracePeriod, path);
  if (p.successThreshold !== 1) errs.push(invalid(path.child('successThreshold'), p.successThreshold ?? 0, 'must be 1'));
  return errs;
}

export function validateReadinessProbe(p: Probe | undefined, gracePeriod: number | undefined, path: FieldPath): FieldError[] {
  if (!isObject(p)) return [];
  const errs = validateProbe(p, gracePeriod, path);
  if (p.terminationGracePeriodSeconds !== undefined && p.terminationGracePeriodSeconds !== null)
    errs.push(invalid(path.child('terminationGracePeriodSeconds'), p.terminationGracePeriodSeconds, 'must not be set for readinessProbes'));
  return errs;
}

export const validateStartupProbe = validateLivenessProbe;

/** validateLifecycle: postStart and preStop handlers. */
export function validateLifecycle(l: Lifecycle | undefined, gracePeriod: number | undefined, path: FieldPath): FieldError[] {
  if (!isObject(l)) return [];
  const errs: FieldError[] = [];
  const kinds: HandlerKind[] = ['exec', 'httpGet', 'tcpSocket', 'sleep'];
  const one = (h: LifecycleHandler | undefined, name: string) => {
    if (isObject(h)) errs.push(...validateHandler(h as Record<string, unknown>, kinds, gracePeriod, path.child(name)));
  };
  one(l.postStart, 'postStart');
  one(l.preStop, 'preStop');
  return errs;
}
