/**
 * Secrets: SetDefaults_Secret and the v1 stringData→data conversion (core/v1), ValidateSecret /
 * ValidateSecretUpdate (core validation).
 */
import type { Secret } from 'kubernetes-types/core/v1.js';
import { type FieldError, forbidden, invalid, required, tooLong } from '../../field-errors.js';
import { jsonEqual } from '../../object.js';
import { configKeyErrors, maxDataSize } from './config-key.js';
import { type ClusterStrategy, base64Length, immutable, root } from './util.js';

const immutableMsg = 'field is immutable when `immutable` is set';
const redacted = '<secret contents redacted>';

function decoded(data: Record<string, string>, key: string): Buffer | undefined {
  const v = data[key];
  return typeof v === 'string' && base64Length(v) !== undefined ? Buffer.from(v, 'base64') : undefined;
}

function jsonError(buf: Buffer): string | undefined {
  try {
    const v: unknown = JSON.parse(buf.toString('utf8'));
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return 'json: cannot unmarshal into Go value of type map[string]interface {}';
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

export function validateSecret(s: Secret): FieldError[] {
  const errs: FieldError[] = [];
  const dataPath = root('data');
  const data = (s.data ?? {}) as Record<string, string>;
  let total = 0;
  for (const [k, v] of Object.entries(data)) {
    errs.push(...configKeyErrors(k, dataPath));
    const n = typeof v === 'string' ? base64Length(v) : undefined;
    // Upstream rejects bad base64 while decoding the body; reported here as a field error instead.
    if (n === undefined) errs.push(invalid(dataPath.key(k), redacted, 'illegal base64 data'));
    total += n ?? 0;
  }
  if (total > maxDataSize) errs.push(tooLong(dataPath, '', maxDataSize));
  const has = (k: string) => Object.prototype.hasOwnProperty.call(data, k);
  switch (s.type) {
    case 'kubernetes.io/service-account-token':
      if (!s.metadata?.annotations?.['kubernetes.io/service-account.name'])
        errs.push(required(root('metadata').child('annotations').key('kubernetes.io/service-account.name')));
      break;
    case 'kubernetes.io/dockercfg':
    case 'kubernetes.io/dockerconfigjson': {
      const key = s.type === 'kubernetes.io/dockercfg' ? '.dockercfg' : '.dockerconfigjson';
      if (!has(key)) {
        errs.push(required(dataPath.key(key)));
        break;
      }
      const buf = decoded(data, key);
      const err = buf ? jsonError(buf) : undefined;
      if (err) errs.push(invalid(dataPath.key(key), redacted, err));
      break;
    }
    case 'kubernetes.io/basic-auth':
      if (!has('username') && !has('password')) errs.push(required(dataPath.key('username')), required(dataPath.key('password')));
      break;
    case 'kubernetes.io/ssh-auth':
      if (!decoded(data, 'ssh-privatekey')?.length) errs.push(required(dataPath.key('ssh-privatekey')));
      break;
    case 'kubernetes.io/tls':
      if (!has('tls.crt')) errs.push(required(dataPath.key('tls.crt')));
      if (!has('tls.key')) errs.push(required(dataPath.key('tls.key')));
      break;
    default:
  }
  return errs;
}

export const secretStrategy: ClusterStrategy = {
  default(obj) {
    const s = obj as unknown as Secret & { stringData?: Record<string, string> };
    // The v1→internal conversion folds write-only stringData into data (stringData wins).
    if (s.stringData) {
      const data = { ...((s.data ?? {}) as Record<string, string>) };
      for (const [k, v] of Object.entries(s.stringData)) data[k] = Buffer.from(String(v), 'utf8').toString('base64');
      (s as { data?: Record<string, string> }).data = data;
      delete s.stringData;
    }
    if (!s.type) (s as { type?: string }).type = 'Opaque';
  },
  validate(obj) {
    return validateSecret(obj as unknown as Secret);
  },
  validateUpdate(obj, old) {
    const s = obj as unknown as Secret;
    const prev = old as unknown as Secret;
    const errs = immutable(s.type, prev.type, root('type'));
    if (prev.immutable) {
      if (!s.immutable) errs.push(forbidden(root('immutable'), immutableMsg));
      if (!jsonEqual(s.data ?? {}, prev.data ?? {})) errs.push(forbidden(root('data'), immutableMsg));
    }
    return errs;
  },
};
