/**
 * The space's `/etc/passwd` and `/etc/group`: the machine's own, plus `sagemaker-user` (uid 1000, group `users`,
 * gid 100) as in a SageMaker Distribution image. They are bind-mounted inside the space's namespace only, so the
 * machine's accounts stay as they are.
 */
import { readFileSync } from 'node:fs';
import { SPACE_HOME, SPACE_USER } from '../../spaces/types.js';

/** Who a space's processes run as. */
export const SPACE_UID = 1000;
export const SPACE_GID = 100;
const SPACE_GROUP = 'users';

/**
 * `lines` with `name`'s entry (the one given, or the existing one when `keep` accepts it) placed before the first
 * other entry with the same id: lookups by id answer the first match, so another name the machine gives that id
 * (say its uid 1000) stays listed but no longer answers `id -un`.
 */
function placeEntry(
  text: string,
  name: string,
  id: number,
  entry: string,
  keep: (fields: string[]) => boolean
): string {
  const lines = text.split('\n').filter(line => line !== '');
  const existing = lines.find(line => line.split(':')[0] === name);
  const chosen =
    existing !== undefined && keep(existing.split(':')) ? existing : entry;
  const others = lines.filter(line => line.split(':')[0] !== name);
  const at = others.findIndex(line => line.split(':')[2] === String(id));
  others.splice(at === -1 ? others.length : at, 0, chosen);
  return `${others.join('\n')}\n`;
}

export function spacePasswd(host: string): string {
  return placeEntry(
    host,
    SPACE_USER,
    SPACE_UID,
    `${SPACE_USER}:x:${SPACE_UID}:${SPACE_GID}::${SPACE_HOME}:/bin/bash`,
    () => false
  );
}

/** The machine's `users` group is kept (with its members) when its gid is 100. */
export function spaceGroup(host: string): string {
  return placeEntry(
    host,
    SPACE_GROUP,
    SPACE_GID,
    `${SPACE_GROUP}:x:${SPACE_GID}:`,
    fields => fields[2] === String(SPACE_GID)
  );
}

function readOrEmpty(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** The two files' text, from the machine's current ones. */
export function spaceAccounts(): { passwd: string; group: string } {
  return {
    passwd: spacePasswd(readOrEmpty('/etc/passwd')),
    group: spaceGroup(readOrEmpty('/etc/group'))
  };
}
