/** IsConfigMapKey (apimachinery util/validation): keys of ConfigMap and Secret data. */
import { type FieldError, FieldPath, invalid } from '../../field-errors.js';

const configMapKeyRe = /^[-._a-zA-Z0-9]+$/;

export function isConfigMapKey(v: string): string[] {
  const errs: string[] = [];
  if (v.length > 253) errs.push('must be no more than 253 characters');
  if (!configMapKeyRe.test(v))
    errs.push(
      "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name' or 'KEY_NAME' or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
    );
  if (v === '.') errs.push("must not be '.'");
  else if (v === '..') errs.push("must not be '..'");
  else if (v.startsWith('..')) errs.push("must not start with '..'");
  return errs;
}

export const configKeyErrors = (key: string, path: FieldPath): FieldError[] => isConfigMapKey(key).map((m) => invalid(path.key(key), key, m));

/** core.MaxSecretSize: the total data size limit of ConfigMaps and Secrets. */
export const maxDataSize = 1024 * 1024;
