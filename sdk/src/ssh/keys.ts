/**
 * The user's SSH identity: one ed25519 key pair under the config folder, created on first use (private key 0600,
 * in OpenSSH's format so `ssh -i` and the ssh-config block can use it too), or an existing key via `--identity`.
 */
import { createHash } from 'node:crypto';
import {
  existsSync,
  linkSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync
} from 'node:fs';
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

/**
 * Reads a private key; refuses one that others can read (as OpenSSH does) or that needs a passphrase.
 * `unreadableHint` replaces the hint for a key that does not parse (sm-ssh's own key: remove it for a new one).
 */
export function loadIdentity(path: string, unreadableHint?: string): IIdentity {
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
      unreadableHint ??
        (/encrypted|passphrase/i.test(parsed.message)
          ? 'sm-ssh needs a key without a passphrase; create one with ssh-keygen -t ed25519 -N ""'
          : 'pass an OpenSSH, PEM or PPK private key (ed25519, ecdsa or rsa)')
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

/** Tries before giving up; each fails with probability about 1/256, so 16 in a row is 2^-128. */
const KEY_TRIES = 16;

/**
 * A fresh ed25519 pair in OpenSSH's format. ssh2's generator drops leading zero bytes of the public key, so about one
 * pair in 256 is one that its own parseKey rejects as malformed (mscdex/ssh2#1513, open): such a pair is drawn again.
 */
export function generateEd25519Pair(comment?: string): {
  private: string;
  public: string;
} {
  const { utils } = ssh2();
  for (let tries = 0; tries < KEY_TRIES; tries++) {
    const pair = utils.generateKeyPairSync(
      'ed25519',
      comment ? { comment } : undefined
    );
    if (
      !(utils.parseKey(pair.private) instanceof Error) &&
      !(utils.parseKey(pair.public) instanceof Error)
    ) {
      return pair;
    }
  }
  throw new Error(
    `ssh2 generated ${KEY_TRIES} ed25519 keys in a row that it cannot read`
  );
}

/**
 * Puts the written `temporary` at `path` unless `path` exists (EEXIST then). A file system without hard links gets
 * an exclusive create instead, which a reader could see before its bytes.
 */
function placeOnce(temporary: string, path: string, text: string): void {
  try {
    linkSync(temporary, path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') {
      throw error;
    }
    writeFileSync(path, text, { mode: 0o600, flag: 'wx' });
  }
}

/** The identity at `paths.identity`, created first if it does not exist. */
export function ensureIdentity(paths: IStatePaths): IIdentity {
  if (!existsSync(paths.identity)) {
    ensureConfigDir(paths.dir);
    const pair = generateEd25519Pair(`sm-ssh@${hostname()}`);
    // written whole beside it, then linked into place: link never overwrites a key another process created in the
    // meantime, and no process ever reads a key file that is still being written (the panel, a terminal and an
    // editor's ssh can all start at once on a fresh machine)
    const temporary = `${paths.identity}.${process.pid}.tmp`;
    writeFileSync(temporary, pair.private, { mode: 0o600 });
    try {
      placeOnce(temporary, paths.identity, pair.private);
      writeFileSync(`${paths.identity}.pub`, `${pair.public}\n`, {
        mode: 0o644
      });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw error;
      }
    } finally {
      rmSync(temporary, { force: true });
    }
  }
  // sm-ssh's own key: the fix for one that does not parse is a new one, which the next connect delivers again
  return loadIdentity(
    paths.identity,
    `remove ${paths.identity} and ${paths.identity}.pub: sm-ssh creates a new key on the next command and delivers it again`
  );
}
