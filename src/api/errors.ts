/**
 * The catalog of API errors. Every failure that reaches a client is one of these, rendered as a
 * Kubernetes `Status` (k8s.io/apimachinery/pkg/api/errors). Storage errors are translated into these
 * once, at the registry boundary.
 */
import { type FieldError, errorMessage, errorBody } from './field-errors.js';

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface StatusObject {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, unknown>;
  status: 'Failure' | 'Success';
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

export type StatusReason =
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Gone'
  | 'Invalid'
  | 'Expired'
  | 'MethodNotAllowed'
  | 'NotAcceptable'
  | 'RequestEntityTooLarge'
  | 'UnsupportedMediaType'
  | 'TooManyRequests'
  | 'InternalError'
  | 'Timeout'
  | 'ServiceUnavailable'
  | '';

/** An error that carries the Kubernetes Status it becomes on the wire. */
export class StatusError extends Error {
  constructor(
    readonly code: number,
    readonly reason: StatusReason,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message);
    this.name = 'StatusError';
  }

  toStatus(): StatusObject {
    const s: StatusObject = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: this.message, code: this.code };
    if (this.reason) s.reason = this.reason;
    if (this.details) s.details = this.details;
    return s;
  }
}

/** The `Kind.group` qualified name that Kubernetes messages use (`deployments.apps`, `pods`). */
export interface GroupResource {
  group: string;
  resource: string;
}
export const qualifiedResource = (gr: GroupResource): string => (gr.group ? `${gr.resource}.${gr.group}` : gr.resource);

export const badRequest = (message: string): StatusError => new StatusError(400, 'BadRequest', message);
export const unauthorized = (message = 'Unauthorized'): StatusError => new StatusError(401, 'Unauthorized', message);
export const forbiddenError = (message: string): StatusError => new StatusError(403, 'Forbidden', message);

export const notFoundError = (gr: GroupResource, name: string): StatusError =>
  new StatusError(404, 'NotFound', `${qualifiedResource(gr)} "${name}" not found`, { name, group: gr.group || undefined, kind: gr.resource });

export const notFoundPath = (): StatusError => new StatusError(404, 'NotFound', 'the server could not find the requested resource', {});

export const alreadyExists = (gr: GroupResource, name: string): StatusError =>
  new StatusError(409, 'AlreadyExists', `${qualifiedResource(gr)} "${name}" already exists`, { name, group: gr.group || undefined, kind: gr.resource });

export const conflict = (gr: GroupResource, name: string, reason: string): StatusError =>
  new StatusError(409, 'Conflict', `Operation cannot be fulfilled on ${qualifiedResource(gr)} "${name}": ${reason}`, {
    name,
    group: gr.group || undefined,
    kind: gr.resource,
  });

export const staleConflict = (gr: GroupResource, name: string): StatusError =>
  conflict(gr, name, 'the object has been modified; please apply your changes to the latest version and try again');

export const gone = (message: string): StatusError => new StatusError(410, 'Expired', message);

export const methodNotSupported = (gr: GroupResource, verb: string): StatusError =>
  new StatusError(405, 'MethodNotAllowed', `${verb} is not supported on resources of kind "${qualifiedResource(gr)}"`, {
    group: gr.group || undefined,
    kind: gr.resource,
  });

export const notAcceptable = (message: string): StatusError => new StatusError(406, 'NotAcceptable', message);
export const tooLarge = (message = 'Request entity too large: limit is 3145728'): StatusError => new StatusError(413, 'RequestEntityTooLarge', message);
export const unsupportedMediaType = (accepted: readonly string[]): StatusError =>
  new StatusError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`);
export const internal = (message: string): StatusError =>
  new StatusError(500, 'InternalError', `Internal error occurred: ${message}`, { causes: [{ message }] });
export const serviceUnavailable = (message: string): StatusError => new StatusError(503, 'ServiceUnavailable', message);
export const timeoutError = (message: string): StatusError => new StatusError(504, 'Timeout', message);

/**
 * 422 Invalid, with one cause per field error:
 * `Deployment.apps "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0`.
 */
export function invalidError(qualifiedKind: { group: string; kind: string }, name: string, errs: FieldError[]): StatusError {
  const kindText = qualifiedKind.group ? `${qualifiedKind.kind}.${qualifiedKind.group}` : qualifiedKind.kind;
  const msgs = errs.map(errorMessage);
  const joined = msgs.length === 1 ? msgs[0] : `[${msgs.join(', ')}]`;
  return new StatusError(422, 'Invalid', `${kindText} "${name}" is invalid: ${joined}`, {
    name,
    group: qualifiedKind.group || undefined,
    kind: qualifiedKind.kind,
    causes: errs.map((e) => ({ reason: e.type, message: errorBody(e), field: e.field })),
  });
}

export function isStatusError(e: unknown): e is StatusError {
  return e instanceof StatusError;
}
