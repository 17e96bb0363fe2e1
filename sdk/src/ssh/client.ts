/**
 * ssh2's client over a stream the data channel gives (no TCP of its own): host key verified by a callback that may
 * wait (for the key delivery that reports the pinned keys), keep-alives, and one authentication method: public key
 * (SSM targets: nothing else is ever tried) or `none` (remote access to spaces, whose channel AWS authenticated).
 */
import type { Duplex } from 'node:stream';
import type { Client, ConnectConfig } from 'ssh2';
import { OperationError } from '../errors.js';
import { ssh2 } from './ssh2.js';

export interface ISshClientOptions {
  sock: Duplex;
  username: string;
  /** Public-key authentication with this key, and no other method. */
  privateKey?: Buffer;
  /** `none` authentication instead of a key (remote access: the data channel is what AWS authenticated). */
  noneAuth?: boolean;
  /** Resolves true to accept the server's host key blob; a thrown error becomes the connect error. */
  verifyHostKey: (blob: Buffer) => Promise<boolean>;
  /** SSH keep-alive interval (default 15 s, as the original project's ServerAliveInterval). */
  keepaliveIntervalMs?: number;
  /** How long the handshake may take (default 60 s; it includes the key delivery's wait). */
  readyTimeoutMs?: number;
}

/** The server accepted the transport but not our key (an old delivery record, or no key delivered). */
export class SshAuthError extends OperationError {}

/** Opens an SSH connection over `sock`; rejects with the verifier's error, SshAuthError or OperationError. */
export function sshConnect(options: ISshClientOptions): Promise<Client> {
  if (Boolean(options.privateKey) === Boolean(options.noneAuth)) {
    throw new TypeError('sshConnect takes either privateKey or noneAuth');
  }
  const client = new (ssh2().Client)();
  let verifyError: unknown;
  let settled = false;
  let fail: (error: Error & { level?: string }) => void = () => undefined;
  const config: ConnectConfig = {
    sock: options.sock,
    username: options.username,
    privateKey: options.privateKey,
    // ssh2 tries `none` first by default: name the one method, so a key-only target is never offered anything else
    authHandler: options.noneAuth ? ['none'] : ['publickey'],
    tryKeyboard: false,
    keepaliveInterval: options.keepaliveIntervalMs ?? 15_000,
    keepaliveCountMax: 4,
    readyTimeout: options.readyTimeoutMs ?? 60_000,
    hostVerifier: (blob: Buffer, verify: (valid: boolean) => void) => {
      options.verifyHostKey(blob).then(
        valid => settled || verify(valid),
        (error: unknown) => {
          verifyError = error;
          if (!settled) {
            // ssh2 throws if the transport already went away while we waited; the error is ours either way
            try {
              verify(false);
            } catch {
              fail(new Error('host key refused'));
            }
          }
        }
      );
    }
  };
  return new Promise((resolve, reject) => {
    fail = (error: Error & { level?: string }) => {
      if (settled) {
        return;
      }
      settled = true;
      client.end();
      if (verifyError) {
        reject(verifyError);
      } else if (error.level === 'client-authentication') {
        reject(
          options.noneAuth
            ? new SshAuthError(
                `the server refused user ${options.username} without a key`,
                "remote access logs in as sagemaker-user: leave out --user, or check the space's remote-access setting"
              )
            : new SshAuthError(
                `the server refused the key for user ${options.username}`,
                'pass --user if the container logs in as another user, or check /etc/ssh/authorized_keys on it'
              )
        );
      } else {
        reject(
          new OperationError(
            `the SSH connection failed: ${error.message}`,
            'rerun with --verbose to see how far the session got'
          )
        );
      }
    };
    client.once('error', fail);
    client.once('close', () =>
      fail(new Error('the server closed the connection'))
    );
    client.once('ready', () => {
      settled = true;
      client.off('error', fail);
      resolve(client);
    });
    client.connect(config);
  });
}
