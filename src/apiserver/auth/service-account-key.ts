/**
 * The service-account signing key pair (upstream's `--service-account-key-file` and
 * `--service-account-signing-key-file`), created on first start in `<data-dir>/tls/` as `sa.key`
 * (PKCS#8 PEM, private) and `sa.pub` (SPKI PEM) and reused afterwards, so tokens survive restarts.
 * RSA 2048, as clusters made by kubeadm use.
 */
import { createPrivateKey, createPublicKey, generateKeyPair, type KeyObject } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

export interface ServiceAccountKeys {
  /** Signs new tokens. */
  privateKey: KeyObject;
  /** Verify presented tokens (the signing key's public half first). */
  publicKeys: KeyObject[];
}

/** Parses PEM texts into keys; the public key is derived from the private one when absent. */
export function serviceAccountKeysFromPem(privatePem: string, publicPem?: string): ServiceAccountKeys {
  const privateKey = createPrivateKey(privatePem);
  const own = createPublicKey(privateKey);
  const extra = publicPem ? createPublicKey(publicPem) : undefined;
  const same = extra && extra.export({ type: 'spki', format: 'pem' }) === own.export({ type: 'spki', format: 'pem' });
  return { privateKey, publicKeys: extra && !same ? [own, extra] : [own] };
}

/** Loads `sa.key`/`sa.pub` from `dir`, creating the pair on first start. */
export async function ensureServiceAccountKeys(dir: string): Promise<ServiceAccountKeys> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const keyPath = join(dir, 'sa.key');
  const pubPath = join(dir, 'sa.pub');
  if (existsSync(keyPath)) {
    const priv = await readFile(keyPath, 'utf8');
    const pub = existsSync(pubPath) ? await readFile(pubPath, 'utf8') : undefined;
    const keys = serviceAccountKeysFromPem(priv, pub);
    if (!pub) await writeFile(pubPath, keys.publicKeys[0].export({ type: 'spki', format: 'pem' }) as string);
    return keys;
  }
  const { privateKey, publicKey } = await promisify(generateKeyPair)('rsa', { modulusLength: 2048 });
  const privatePem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  await writeFile(keyPath, privatePem, { mode: 0o600 });
  await writeFile(pubPath, publicKey.export({ type: 'spki', format: 'pem' }) as string);
  return { privateKey, publicKeys: [publicKey] };
}
