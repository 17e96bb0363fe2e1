/**
 * The SSH server behind one remote-access session, standing in for the one SageMaker runs in a space: an ssh2
 * server on 127.0.0.1 with a host key of its own (new every session, as AWS's), the banner `SSH-2.0-Go`, `none`
 * authentication for `sagemaker-user` only (Session Manager authenticated the caller), and sessions (exec, shell,
 * with or without a pty, the sftp subsystem) and direct-tcpip forwards to the space's loopback. Every process runs
 * in the space's root as `sagemaker-user` (space-root.ts); forwards are opened by the sandbox itself. Closing the
 * server kills them all.
 */
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { ChildProcess } from 'node:child_process';
import type {
  Connection,
  PseudoTtyInfo,
  Server,
  ServerChannel,
  Session
} from 'ssh2';
import { shellQuote } from '../../shell.js';
import { generateEd25519Pair } from '../../ssh/keys.js';
import { ssh2 } from '../../ssh/ssh2.js';
import { childrenOf, killNamespace } from '../instances/host.js';
import { SPACE_HOME, SPACE_USER } from '../../spaces/types.js';
import type { SpaceRoot } from './space-root.js';
import { resizeTerminal } from './terminal.js';

/** What AWS's remote-access server identifies as (`SSH-2.0-Go`). */
export const SPACE_SSH_IDENT = 'Go';
const SFTP_SERVER = '/usr/lib/openssh/sftp-server';

/** Every process of a namespace: its `unshare`'s descendants. */
function namespacePids(child: ChildProcess): number[] {
  const found: number[] = [];
  const walk = (pid: number) => {
    for (const next of childrenOf(pid)) {
      found.push(next);
      walk(next);
    }
  };
  if (child.pid !== undefined) {
    walk(child.pid);
  }
  return found;
}

/** Runs `command` in a pseudo-terminal of util-linux `script` (Node has no pty), sized first. */
function inTerminal(command: string, pty: PseudoTtyInfo): string {
  const inner = `stty rows ${pty.rows || 24} cols ${pty.cols || 80} 2>/dev/null; exec ${command}`;
  return `exec /usr/bin/script -qfec ${shellQuote(inner)} /dev/null`;
}

export class SpaceSshServer {
  private readonly processes = new Set<ChildProcess>();
  private readonly connections = new Set<Connection>();
  private closed = false;

  private constructor(
    private readonly server: Server,
    readonly port: number,
    /** The host public key of this server (`ssh-ed25519 AAAA…`). */
    readonly hostKey: string
  ) {}

  /** Listens on 127.0.0.1 and a free port with a fresh ed25519 host key. */
  static async start(space: SpaceRoot): Promise<SpaceSshServer> {
    const { Server: SshServer } = ssh2();
    const keys = generateEd25519Pair();
    const server = new SshServer({
      hostKeys: [keys.private],
      ident: SPACE_SSH_IDENT
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const instance = new SpaceSshServer(
      server,
      (server.address() as AddressInfo).port,
      keys.public.trim()
    );
    server.on('connection', connection => instance.accept(connection, space));
    return instance;
  }

  private accept(connection: Connection, space: SpaceRoot): void {
    if (this.closed) {
      connection.end();
      return;
    }
    this.connections.add(connection);
    connection.on('close', () => this.connections.delete(connection));
    connection.on('error', () => connection.end());
    connection.on('authentication', context => {
      if (context.method === 'none' && context.username === SPACE_USER) {
        context.accept();
      } else {
        context.reject(['none']);
      }
    });
    connection.on('ready', () => {
      connection.on('session', accept => this.serveSession(accept(), space));
      connection.on('tcpip', (accept, reject, info) => {
        const host = /^(localhost|::1)$/i.test(info.destIP)
          ? '127.0.0.1'
          : info.destIP;
        const socket = connect({ host, port: info.destPort });
        socket.once('connect', () => {
          const channel = accept();
          socket.pipe(channel).pipe(socket);
          channel.once('close', () => socket.destroy());
          socket.once('close', () => channel.close());
        });
        socket.once('error', () => {
          socket.destroy();
          reject();
        });
      });
    });
  }

  private serveSession(session: Session, space: SpaceRoot): void {
    const env: Record<string, string> = {};
    let pty: PseudoTtyInfo | undefined;
    let running: ChildProcess | undefined;
    session.on('env', (accept, _reject, info) => {
      env[info.key] = info.val;
      accept?.();
    });
    session.on('pty', (accept, _reject, info) => {
      pty = info;
      accept?.();
    });
    session.on('window-change', (accept, _reject, info) => {
      if (pty) {
        pty = { ...pty, rows: info.rows, cols: info.cols };
      }
      if (running) {
        resizeTerminal(namespacePids(running), info.rows, info.cols);
      }
      accept?.();
    });
    session.on('signal', (accept, _reject, info) => {
      // to the namespace's init, which passes it to the command (as sshd signals the session's child)
      const init =
        running?.pid === undefined ? undefined : childrenOf(running.pid)[0];
      if (init !== undefined) {
        try {
          process.kill(init, `SIG${info.name}` as NodeJS.Signals);
        } catch {
          // gone, or not a signal name
        }
      }
      accept?.();
    });
    const run = (channel: ServerChannel, command: string) => {
      const withTerm = pty ? { TERM: pty.term || 'xterm', ...env } : env;
      running = this.run(
        channel,
        space,
        pty ? inTerminal(command, pty) : `exec ${command}`,
        withTerm
      );
    };
    // Node's stdio pipes are sockets, which bash takes for rshd's and answers by reading ~/.bashrc (with HOME unset,
    // the passwd entry's home). A space's shells read the space's ~/.bashrc when interactive only.
    session.on('exec', (accept, _reject, info) => {
      run(accept(), `/bin/bash --norc -c ${shellQuote(info.command)}`);
    });
    session.on('shell', accept => {
      run(
        accept(),
        pty ? `/bin/bash --rcfile ${SPACE_HOME}/.bashrc -i` : '/bin/bash --norc'
      );
    });
    session.on('subsystem', (accept, reject, info) => {
      if (info.name !== 'sftp') {
        reject();
        return;
      }
      // no pty for sftp, whatever was asked before
      pty = undefined;
      run(accept(), SFTP_SERVER);
    });
  }

  /** Starts `command` in the space with the channel as its stdio; exit status (or signal) back, then close. */
  private run(
    channel: ServerChannel,
    space: SpaceRoot,
    command: string,
    env: Record<string, string>
  ): ChildProcess {
    const { child, ended } = space.spawn(command, env);
    this.processes.add(child);
    child.stdout?.pipe(channel, { end: false });
    child.stderr?.pipe(channel.stderr, { end: false });
    if (child.stdin) {
      channel.pipe(child.stdin);
      child.stdin.on('error', () => undefined);
    }
    void ended.then(({ code, signal }) => {
      this.processes.delete(child);
      if (signal) {
        channel.exit(signal.replace(/^SIG/, ''), false, '');
      } else {
        channel.exit(code ?? 0);
      }
      channel.end();
    });
    channel.once('close', () => void killNamespace(child));
    return child;
  }

  /** Stops listening, closes every connection and kills everything the sessions started. */
  async close(): Promise<void> {
    if (this.closed) {
      return;
    }
    this.closed = true;
    this.server.close();
    this.connections.forEach(connection => connection.end());
    await Promise.all([...this.processes].map(child => killNamespace(child)));
  }
}
