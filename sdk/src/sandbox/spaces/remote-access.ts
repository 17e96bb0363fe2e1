/**
 * SageMaker remote access in the sandbox: for each `sagemaker:StartSession` the front has checked, a fresh SSH
 * server in the space's root (ssh-server.ts) and a Session Manager session relaying to it, announced like an
 * `AWS-StartSSHSession` port session, with a presigned StreamUrl. The server ends with its session.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IRemoteAccessSpace, ISpaceAddress } from '../sagemaker/studio.js';
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
  /** The servers of the sessions still open, with the space they serve. */
  private readonly servers = new Map<SpaceSshServer, SpaceRoot>();

  constructor(private readonly options: ISpaceRemoteAccessOptions) {}

  private get root(): string {
    this.rootDir ??=
      this.options.root ?? mkdtempSync(join(tmpdir(), 'sm-ssh-spaces-'));
    return this.rootDir;
  }

  /** The space's root (its `home` is `/home/sagemaker-user` inside), created on first use. */
  space(space: ISpaceAddress): SpaceRoot {
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
    const root = this.space(space);
    const server = await SpaceSshServer.start(root);
    this.servers.set(server, root);
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

  /** Ends the space's sessions (its app stopped): their servers close, and the sessions with them. */
  async end(space: ISpaceAddress): Promise<void> {
    const root = this.space(space);
    const ending = [...this.servers].filter(([, of]) => of === root);
    ending.forEach(([server]) => this.servers.delete(server));
    await Promise.all(ending.map(([server]) => server.close()));
  }

  /** Kills every session's processes and removes the spaces' directories. */
  async close(): Promise<void> {
    const servers = [...this.servers.keys()];
    this.servers.clear();
    await Promise.all(servers.map(server => server.close()));
    if (this.rootDir && !this.options.root) {
      rmSync(this.rootDir, { recursive: true, force: true });
    }
  }
}
