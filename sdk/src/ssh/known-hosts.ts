/**
 * Pinned host keys, in OpenSSH's known_hosts format so `ssh` reads the same file (the ssh-config block points
 * `UserKnownHostsFile` at it). Two kinds of line:
 * - a pin, `mi-… <type> <key> sm-ssh:<name>`: the keys an instance reported through Run Command (authenticated by
 *   AWS), written once per managed instance and never replaced silently;
 * - an alias, `<name> <type> <key> sm-ssh:alias:mi-…`: the pins of the instance a name reaches now, rewritten by
 *   the proxy before OpenSSH checks the key (a job run again under the same name is a new instance with new keys).
 * Lines sm-ssh did not write are kept as they are.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fingerprintOf } from './keys.js';
import { writePrivateFile } from './paths.js';

export interface IHostPublicKey {
  /** `ssh-ed25519`, `ecdsa-sha2-nistp256`, `ssh-rsa`, … */
  type: string;
  /** The key blob, base64 (the second field of a `.pub` file). */
  key: string;
}

export type HostKeyCheck = 'match' | 'mismatch' | 'unpinned';

interface ILine {
  text: string;
  host?: string;
  hostKey?: IHostPublicKey;
  /** The sm-ssh marker in the comment: `sm-ssh:<name>` or `sm-ssh:alias:<instance>`. */
  marker?: string;
}

const MARKER = 'sm-ssh:';
const ALIAS = `${MARKER}alias:`;

/** Parses `type base64 [comment]` (a `.pub` line or ssh-keyscan output without the host). */
export function parseHostKey(line: string): IHostPublicKey | undefined {
  const [type, key] = line.trim().split(/\s+/);
  if (!type || !key || !/^[a-z0-9@.-]+$/.test(type)) {
    return undefined;
  }
  const blob = Buffer.from(key, 'base64');
  const length = blob.length >= 4 ? blob.readUInt32BE(0) : -1;
  if (length < 1 || blob.subarray(4, 4 + length).toString() !== type) {
    return undefined;
  }
  return { type, key };
}

/** The key type written at the start of an SSH public key blob. */
export function blobType(blob: Buffer): string {
  return blob.length >= 4
    ? blob.subarray(4, 4 + blob.readUInt32BE(0)).toString()
    : '';
}

export function hostKeyFingerprint(hostKey: IHostPublicKey): string {
  return fingerprintOf(Buffer.from(hostKey.key, 'base64'));
}

function parseLine(text: string): ILine {
  if (text.trim() === '' || text.trimStart().startsWith('#')) {
    return { text };
  }
  const [host, ...rest] = text.trim().split(/\s+/);
  const hostKey = parseHostKey(rest.join(' '));
  const marker = rest.slice(2).find(word => word.startsWith(MARKER));
  return { text, host, hostKey, marker };
}

export class KnownHosts {
  private constructor(
    readonly path: string,
    private lines: ILine[]
  ) {}

  static load(path: string): KnownHosts {
    const text = existsSync(path) ? readFileSync(path, 'utf8') : '';
    const lines = text.split('\n');
    if (lines[lines.length - 1] === '') {
      lines.pop();
    }
    return new KnownHosts(path, lines.map(parseLine));
  }

  /** The keys pinned for a managed instance. */
  pinsOf(instanceId: string): IHostPublicKey[] {
    return this.lines
      .filter(
        line =>
          line.host === instanceId && line.hostKey && !isAlias(line.marker)
      )
      .map(line => line.hostKey as IHostPublicKey);
  }

  /** Whether a key the server presents is one pinned for the instance. */
  check(instanceId: string, blob: Buffer): HostKeyCheck {
    const pins = this.pinsOf(instanceId);
    if (pins.length === 0) {
      return 'unpinned';
    }
    const presented = blob.toString('base64');
    return pins.some(pin => pin.key === presented) ? 'match' : 'mismatch';
  }

  /** Pins an instance's keys (replacing earlier pins of that instance: only after a `forget` or when there are none). */
  pin(
    instanceId: string,
    name: string | undefined,
    keys: IHostPublicKey[]
  ): void {
    this.lines = this.lines.filter(
      line => !(line.host === instanceId && !isAlias(line.marker))
    );
    for (const hostKey of keys) {
      this.add(instanceId, hostKey, `${MARKER}${name ?? ''}`);
    }
  }

  /** Makes `name` (as OpenSSH will look it up: lower case) stand for the pins of `instanceId`. */
  alias(name: string, instanceId: string): void {
    const host = name.toLowerCase();
    this.lines = this.lines.filter(
      line => !(line.host === host && isAlias(line.marker))
    );
    for (const hostKey of this.pinsOf(instanceId)) {
      this.add(host, hostKey, `${ALIAS}${instanceId}`);
    }
  }

  /** The instances whose pins a name or id stands for. */
  instancesOf(nameOrId: string): string[] {
    const host = nameOrId.toLowerCase();
    const found = new Set<string>();
    for (const line of this.lines) {
      if (!line.marker || !line.host) {
        continue;
      }
      if (isAlias(line.marker) && line.host === host) {
        found.add(line.marker.slice(ALIAS.length));
      } else if (
        !isAlias(line.marker) &&
        (line.host === nameOrId ||
          line.marker.slice(MARKER.length).toLowerCase() === host)
      ) {
        found.add(line.host);
      }
    }
    return [...found];
  }

  /** Removes the pins and aliases of a name or instance id; returns how many lines went. */
  forget(nameOrId: string): number {
    const host = nameOrId.toLowerCase();
    const instances = new Set(
      this.lines
        .filter(line => line.host === host && isAlias(line.marker))
        .map(line => line.marker?.slice(ALIAS.length))
    );
    const before = this.lines.length;
    this.lines = this.lines.filter(line => {
      if (!line.marker) {
        return true;
      }
      const pinnedName = isAlias(line.marker)
        ? undefined
        : line.marker.slice(MARKER.length).toLowerCase();
      return !(
        line.host === host ||
        line.host === nameOrId ||
        pinnedName === host ||
        (line.host !== undefined && instances.has(line.host))
      );
    });
    return before - this.lines.length;
  }

  /** Writes the file atomically (0600). */
  save(): void {
    writePrivateFile(
      this.path,
      this.lines.map(line => `${line.text}\n`).join('')
    );
  }

  private add(host: string, hostKey: IHostPublicKey, marker: string): void {
    this.lines.push({
      text: `${host} ${hostKey.type} ${hostKey.key} ${marker}`,
      host,
      hostKey,
      marker
    });
  }
}

function isAlias(marker: string | undefined): boolean {
  return marker?.startsWith(ALIAS) ?? false;
}
