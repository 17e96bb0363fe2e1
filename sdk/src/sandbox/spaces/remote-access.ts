/**
 * SageMaker remote access in the sandbox: for each `sagemaker:StartSession` the front has checked, a fresh SSH
 * server in the space's root (ssh-server.ts) and a Session Manager session relaying to it, announced like an
 * `AWS-StartSSHSession` port session, with a presigned StreamUrl. The server ends with its session.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IRemoteAccessSpace } from '../sagemaker/studio.js';
import type { ISessionGrant, SessionManager } from '../sessions.js';
import { SpaceRoot } from './space-root.js';
import { SpaceSshServer } from './ssh-server.js';

export interface ISpaceRemoteAccessOptions {
  sessions: SessionManager;
  /** Where the spaces' directories go (default: a new temp directory, removed by `close`). */
  root?: string;
}

export class SpaceRemoteAccess {
  private rootDir?: string;
  private readonly spaces = new Map<string, SpaceRoot>();
  private readonly servers = new Set<SpaceSshServer>();

  constructor(private readonly options: ISpaceRemoteAccessOptions) {}

  private get root(): string {
    this.rootDir ??=
      this.options.root ?? mkdtempSync(join(tmpdir(), 'sm-ssh-spaces-'));
    return this.rootDir;
  }

  /** The space's root (its `home` is `/home/sagemaker-user` inside), created on first use. */
  space(
    space: Pick<IRemoteAccessSpace, 'scope' | 'domainId' | 'spaceName'>
  ): SpaceRoot {
    const key = [
      space.scope.account,
      space.scope.region,
      space.domainId,
      space.spaceName
    ].join('/');
    let found = this.spaces.get(key);
    if (!found) {
      found = new SpaceRoot(join(this.root, key), space.spaceName);
      this.spaces.set(key, found);
    }
    return found;
  }

  /** What StartSession answers: a session to a new SSH server in the space. */
  async start(space: IRemoteAccessSpace): Promise<ISessionGrant> {
    const server = await SpaceSshServer.start(this.space(space));
    this.servers.add(server);
    return this.options.sessions.startRelay({
      target: space.spaceArn,
      endpoint: { host: '127.0.0.1', port: server.port },
      properties: { portNumber: '22' },
      presign: { region: space.scope.region },
      onEnded: () => {
        this.servers.delete(server);
        void server.close();
      }
    });
  }

  /** Kills every session's processes and removes the spaces' directories. */
  async close(): Promise<void> {
    const servers = [...this.servers];
    this.servers.clear();
    await Promise.all(servers.map(server => server.close()));
    if (this.rootDir && !this.options.root) {
      rmSync(this.rootDir, { recursive: true, force: true });
    }
  }
}
