/**
 * Where sm-ssh keeps the user's state: `$SM_SSH_CONFIG_DIR`, else `$XDG_CONFIG_HOME/sm-ssh`, else
 * `~/.config/sm-ssh`. The folder is created 0700: it holds a private key and the pinned host keys.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SM_SSH_CONFIG_DIR) {
    return env.SM_SSH_CONFIG_DIR;
  }
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return join(base, 'sm-ssh');
}

/** The files in the config folder. */
export interface IStatePaths {
  dir: string;
  /** The user's private key (OpenSSH format, 0600); its public half is `<identity>.pub`. */
  identity: string;
  /** Pinned host keys, in OpenSSH's known_hosts format (so OpenSSH can use the same file). */
  knownHosts: string;
  /** Which key was delivered to which instance, so a reconnect skips the delivery. */
  deliveries: string;
  /** The caller's UserId per access key id, so a reconnect skips GetCallerIdentity. */
  callers: string;
}

export function statePaths(dir = configDir()): IStatePaths {
  return {
    dir,
    identity: join(dir, 'id_ed25519'),
    knownHosts: join(dir, 'known_hosts'),
    deliveries: join(dir, 'deliveries.json'),
    callers: join(dir, 'callers.json')
  };
}

export function ensureConfigDir(dir: string): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

/** Replaces a file atomically (a temp file renamed over it), mode 0600, its folder created 0700 if missing. */
export function writePrivateFile(path: string, text: string): void {
  ensureConfigDir(dirname(path));
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, text, { mode: 0o600 });
  renameSync(temporary, path);
}
