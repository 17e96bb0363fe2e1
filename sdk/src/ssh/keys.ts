/**
 * The user's SSH identity: one ed25519 key pair under the config folder, created on first use (private key 0600,
 * in OpenSSH's format so `ssh -i` and the ssh-config block can use it too), or an existing key via `--identity`.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { UsageError } from '../errors.js';
import { ensureConfigDir, type IStatePaths } from './paths.js';
import { ssh2 } from './ssh2.js';

export interface IIdentity {
  privateKeyPath: string;
  privateKey: Buffer;
  /** The public key line for authorized_keys (`ssh-ed25519 AAAA… comment`). */
  publicKey: string;
  /** `SHA256:…`, as `ssh-keygen -l` prints it. */
  fingerprint: string;
}

/** `SHA256:<base64 without padding>` of a public key blob, as OpenSSH prints fingerprints. */
export function fingerprintOf(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** Reads a private key; refuses one that others can read (as OpenSSH does) or that needs a passphrase. */
export function loadIdentity(path: string): IIdentity {
  if (!existsSync(path)) {
    throw new UsageError(
      `the identity file ${path} does not exist`,
      'pass the path of an OpenSSH private key, or leave out --identity to use the key sm-ssh creates'
    );
  }
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new UsageError(
      `the private key ${path} can be read by other users (mode ${mode.toString(8)})`,
      `run chmod 600 ${path}`
    );
  }
  const privateKey = readFileSync(path);
  const parsed = ssh2().utils.parseKey(privateKey);
  if (parsed instanceof Error) {
    throw new UsageError(
      `cannot use ${path} as an SSH private key: ${parsed.message}`,
      /encrypted|passphrase/i.test(parsed.message)
        ? 'sm-ssh needs a key without a passphrase; create one with ssh-keygen -t ed25519 -N ""'
        : 'pass an OpenSSH, PEM or PPK private key (ed25519, ecdsa or rsa)'
    );
  }
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  const blob = key.getPublicSSH();
  return {
    privateKeyPath: path,
    privateKey,
    publicKey: `${key.type} ${blob.toString('base64')}${key.comment ? ` ${key.comment}` : ''}`,
    fingerprint: fingerprintOf(blob)
  };
}

/** The identity at `paths.identity`, created first if it does not exist. */
export function ensureIdentity(paths: IStatePaths): IIdentity {
  if (!existsSync(paths.identity)) {
    ensureConfigDir(paths.dir);
    const pair = ssh2().utils.generateKeyPairSync('ed25519', {
      comment: `sm-ssh@${hostname()}`
    });
    // 'wx': never overwrite a key another process created in the meantime
    try {
      writeFileSync(paths.identity, pair.private, { mode: 0o600, flag: 'wx' });
      writeFileSync(`${paths.identity}.pub`, `${pair.public}\n`, {
        mode: 0o644
      });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw error;
      }
    }
  }
  return loadIdentity(paths.identity);
}
