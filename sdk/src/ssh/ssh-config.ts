/**
 * The `Host *.space.sagemaker` and `Host *.sagemaker` block of `~/.ssh/config`, so OpenSSH, scp, rsync and VS Code Remote-SSH reach targets by
 * name through `sm-ssh proxy`. The block sits between markers and is replaced in place, so writing it twice changes
 * nothing; it goes before the first Host/Match line, since OpenSSH takes the first value it finds (a `Host *` at
 * the top of a user's config would otherwise set User and IdentityFile for our names).
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { SPACE_HOME, SPACE_USER } from '../spaces/types.js';
import { writePrivateFile, type IStatePaths } from './paths.js';

export const BEGIN_MARK =
  '# >>> sm-ssh: managed by `sm-ssh ssh-config --write`; edits inside are replaced';
export const END_MARK = '# <<< sm-ssh';

export interface ISshConfigOptions {
  paths: IStatePaths;
  /** The command line that starts our CLI (`"node" "…/main.js"`). */
  command: string;
  /** Extra proxy flags, e.g. `--profile x --region y`. */
  proxyFlags?: string[];
  user?: string;
}

/** Quotes a word for ssh_config (which hands ProxyCommand to the shell). */
export function configWord(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word)
    ? word
    : `"${word.replace(/(["\\$`])/g, '\\$1')}"`;
}

/**
 * The block: spaces first (OpenSSH takes the first value of each option, and `*.sagemaker` matches spaces too),
 * then every other target.
 */
export function sshConfigBlock(options: ISshConfigOptions): string {
  const flags = (options.proxyFlags ?? []).map(configWord).join(' ');
  // %n is the name as typed: %h is lower-cased, and tag filters (like SageMaker names) are case-sensitive
  const proxyCommand = `  ProxyCommand ${options.command} proxy ${flags ? `${flags} ` : ''}%n`;
  return [
    BEGIN_MARK,
    '# Studio spaces, through SageMaker remote access. Its SSH server has a new host key in every session, so there',
    '# is nothing to pin or check here: the channel itself, from the SigV4-signed sagemaker:StartSession, is what',
    '# authenticates the space. Login is sagemaker-user with no key; the server sets neither HOME nor USER.',
    'Host *.space.sagemaker',
    proxyCommand,
    `  User ${SPACE_USER}`,
    '  StrictHostKeyChecking no',
    '  UserKnownHostsFile /dev/null',
    '  LogLevel ERROR',
    `  SetEnv HOME=${SPACE_HOME} USER=${SPACE_USER}`,
    '  ServerAliveInterval 15',
    '',
    'Host *.sagemaker',
    proxyCommand,
    `  User ${options.user ?? 'root'}`,
    `  IdentityFile ${configWord(options.paths.identity)}`,
    '  IdentitiesOnly yes',
    `  UserKnownHostsFile ${configWord(options.paths.knownHosts)}`,
    '  StrictHostKeyChecking yes',
    '  CheckHostIP no',
    '  ServerAliveInterval 15',
    END_MARK
  ].join('\n');
}

/** The config text with the block put in (or replaced). */
export function withBlock(config: string, block: string): string {
  const begin = config.indexOf(BEGIN_MARK);
  const end = config.indexOf(END_MARK, begin);
  if (begin >= 0 && end > begin) {
    return config.slice(0, begin) + block + config.slice(end + END_MARK.length);
  }
  const lines = config.split('\n');
  const first = lines.findIndex(line => /^\s*(Host|Match)\s/i.test(line));
  if (first < 0) {
    return `${config}${config === '' || config.endsWith('\n') ? '' : '\n'}${block}\n`;
  }
  lines.splice(first, 0, block, '');
  return lines.join('\n');
}

export function defaultSshConfigPath(
  env: NodeJS.ProcessEnv = process.env
): string {
  return join(env.HOME || homedir(), '.ssh', 'config');
}

/** Writes the block into the file; returns whether the file changed. */
export function writeSshConfig(path: string, block: string): boolean {
  const before = existsSync(path) ? readFileSync(path, 'utf8') : '';
  const after = withBlock(before, block);
  if (after === before) {
    return false;
  }
  writePrivateFile(path, after);
  return true;
}
