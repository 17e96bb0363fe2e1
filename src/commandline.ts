/**
 * Command lines for a POSIX shell: `sm-ssh connect …` (what a terminal runs) and the OpenSSH command that reaches
 * a target through `sm-ssh proxy` (what "Copy ssh command" copies). Both start from the bridge's own
 * `smSshShellCommand` (its node and CLI script, already quoted), so nothing depends on the PATH.
 */
import type { BridgeTargetKind, IBridgeInfo } from './tokens';

/** Words a POSIX shell (and zsh, bash) takes literally, unquoted. `=` is left out at the start (zsh's `=cmd`). */
const BARE_WORD = /^[A-Za-z0-9_@%+:,./-][A-Za-z0-9_@%+=:,./-]*$/;

/**
 * Quotes one word for a POSIX shell: bare when safe, else in single quotes (`'` as `'\''`). The same rules as
 * `sdk/src/shell.ts`, which the browser cannot import (it takes only types from the SDK).
 */
export function shellQuote(word: string): string {
  if (word.includes('\0')) {
    throw new Error('a shell word cannot contain a NUL character');
  }
  if (BARE_WORD.test(word)) {
    return word;
  }
  return `'${word.replace(/'/g, "'\\''")}'`;
}

/** The words quoted and joined by spaces. */
export function shellJoin(words: readonly string[]): string {
  return words.map(shellQuote).join(' ');
}

/** What the AWS side of a command line is about; '' or undefined leaves the CLI's default. */
export interface IScopeFlags {
  region?: string;
  profile?: string;
  /** Reach a target whose SSHOwner is another user (`--any-owner`). */
  anyOwner?: boolean;
}

export interface IConnectOptions extends IScopeFlags {
  /** 1-based node; `--node` is passed only above 1. */
  node?: number;
  /** Login user; the CLI's default (root, sagemaker-user for spaces) when empty. */
  user?: string;
  /** `-L` specs, e.g. `8888:localhost:8888`. */
  forwards?: readonly string[];
}

function scopeWords(options: IScopeFlags): string[] {
  const words: string[] = [];
  if (options.region) {
    words.push('--region', options.region);
  }
  if (options.profile) {
    words.push('--profile', options.profile);
  }
  if (options.anyOwner) {
    words.push('--any-owner');
  }
  return words;
}

function nodeWords(node: number | undefined): string[] {
  return node !== undefined && node > 1 ? ['--node', String(node)] : [];
}

function forwardWords(specs: readonly string[]): string[] {
  const words: string[] = [];
  for (const spec of specs) {
    words.push('-L', spec);
  }
  return words;
}

/** `<sm-ssh> connect <target> [--node N] [--user U] [--region R] [--profile P] [--any-owner] [-L spec]…` */
export function buildConnectCommand(
  smSshShellCommand: string,
  target: string,
  options: IConnectOptions = {}
): string {
  const words = [
    'connect',
    target,
    ...nodeWords(options.node),
    ...(options.user ? ['--user', options.user] : []),
    ...scopeWords(options),
    ...forwardWords(options.forwards ?? [])
  ];
  return `${smSshShellCommand} ${shellJoin(words)}`;
}

/** The user an OpenSSH login uses: the setting, else the bridge's default for the kind, else root. */
export function loginUser(
  info: Pick<IBridgeInfo, 'defaultUsers'>,
  kind: BridgeTargetKind,
  defaultUser?: string
): string {
  return defaultUser || info.defaultUsers[kind] || 'root';
}

export interface ISshOptions extends IScopeFlags {
  user: string;
  node?: number;
  /**
   * A Studio space through SageMaker remote access: no key and no pins (its server has a new host key in every
   * session; the SigV4-signed StartSession authenticates it), HOME and USER sent since the server sets neither —
   * the options of the `Host *.space.sagemaker` block `sm-ssh ssh-config` writes.
   */
  remoteAccess?: boolean;
}

/** The home of a space's user (the SDK's SPACE_HOME, which the browser cannot import). */
const SPACE_HOME = '/home/sagemaker-user';

/**
 * `ssh -i <key> -o UserKnownHostsFile=<pins> -o ProxyCommand='<sm-ssh> proxy %n' <user>@<target>` (for a space
 * reached through remote access, no key and no pins: see ISshOptions.remoteAccess). The proxy
 * gets the name as typed (`%n`, as `sm-ssh ssh-config` writes it): `%h` is lower-cased by OpenSSH, and SageMaker
 * names (thus the tags the proxy looks up) are case-sensitive.
 */
export function buildSshCommand(
  info: Pick<
    IBridgeInfo,
    'identityFile' | 'knownHostsFile' | 'smSshShellCommand'
  >,
  target: string,
  options: ISshOptions
): string {
  const proxyFlags = shellJoin([
    ...nodeWords(options.node),
    ...scopeWords(options)
  ]);
  const proxy = `${info.smSshShellCommand} proxy ${proxyFlags ? `${proxyFlags} ` : ''}%n`;
  if (options.remoteAccess) {
    const home =
      options.user === 'sagemaker-user' ? SPACE_HOME : `/home/${options.user}`;
    return shellJoin([
      'ssh',
      '-o',
      'StrictHostKeyChecking=no',
      '-o',
      'UserKnownHostsFile=/dev/null',
      '-o',
      'LogLevel=ERROR',
      '-o',
      `SetEnv=HOME=${home} USER=${options.user}`,
      '-o',
      `ProxyCommand=${proxy}`,
      `${options.user}@${target}`
    ]);
  }
  return shellJoin([
    'ssh',
    '-i',
    info.identityFile,
    '-o',
    `UserKnownHostsFile=${info.knownHostsFile}`,
    '-o',
    `ProxyCommand=${proxy}`,
    `${options.user}@${target}`
  ]);
}
