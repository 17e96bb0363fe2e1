/**
 * Key delivery over Run Command (`SendCommand AWS-RunShellScript`, no S3): the user's public key goes into
 * `/etc/ssh/authorized_keys.d/<owner-id>`, replacing that user's earlier key, and `/etc/ssh/authorized_keys` is
 * rebuilt from the folder — the layout the original project's containers use. The same command prints the
 * instance's host public keys, so pinning them rests on AWS's authentication of the instance, not on first use.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { AwsClients } from '../aws/clients.js';
import { describeAwsError } from '../aws/errors.js';
import { waitForInvocation } from '../aws/invocation.js';
import { ssmSdk } from '../aws/sdk.js';
import { OperationError, UsageError } from '../errors.js';
import { parseHostKey, type IHostPublicKey } from './known-hosts.js';

export const AUTHORIZED_KEYS = '/etc/ssh/authorized_keys';
export const AUTHORIZED_KEYS_DIR = '/etc/ssh/authorized_keys.d';
const HOST_KEY_MARK = 'sm-ssh-host-key';

export interface IDeliveryOptions {
  /** The instance to deliver to. */
  instanceId: string;
  /** The public key line to authorize. */
  publicKey: string;
  /** The caller's `aws:userid`: names the file, so each user has one key there. */
  ownerId: string;
  /** How long to wait for the command (default 60 s). */
  timeoutMs?: number;
  /** Delay function (tests). */
  sleep?: (ms: number) => Promise<void>;
}

export interface IDeliveryResult {
  commandId: string;
  /** The host public keys the instance reported. */
  hostKeys: IHostPublicKey[];
  /** GetCommandInvocation calls it took. */
  polls: number;
}

/** A file name for the owner id (`AROA…:session` stays readable; anything outside a safe set becomes `_`). */
export function keyFileName(ownerId: string): string {
  const name = ownerId.replace(/[^A-Za-z0-9:@._+=,-]/g, '_').slice(0, 200);
  if (name === '' || name.startsWith('.')) {
    throw new UsageError(
      `"${ownerId}" cannot name a key file`,
      'the owner id is the UserId STS GetCallerIdentity returns'
    );
  }
  return name;
}

/** A public key line safe to put between single quotes in sh. */
function checkedPublicKey(publicKey: string): string {
  const line = publicKey.trim();
  if (!parseHostKey(line) || /['\n\r\\]/.test(line)) {
    throw new UsageError(
      'the public key to deliver is not one OpenSSH line',
      'use an OpenSSH public key (ssh-ed25519 AAAA… comment)'
    );
  }
  return line;
}

/** The shell script the instance runs. */
export function deliveryScript(
  publicKey: string,
  ownerId: string,
  // not $$: scripts of concurrent deliveries may each be PID 1 of their own namespace
  unique = randomBytes(6).toString('hex')
): string[] {
  const file = `${AUTHORIZED_KEYS_DIR}/${keyFileName(ownerId)}`;
  return [
    'set -e',
    'umask 022',
    `mkdir -p ${AUTHORIZED_KEYS_DIR}`,
    `printf '%s\\n' '${checkedPublicKey(publicKey)}' > ${AUTHORIZED_KEYS_DIR}/.sm-ssh.${unique}`,
    `mv -f ${AUTHORIZED_KEYS_DIR}/.sm-ssh.${unique} '${file}'`,
    `cat ${AUTHORIZED_KEYS_DIR}/* > ${AUTHORIZED_KEYS}.sm-ssh.${unique}`,
    `chmod 644 ${AUTHORIZED_KEYS}.sm-ssh.${unique}`,
    `mv -f ${AUTHORIZED_KEYS}.sm-ssh.${unique} ${AUTHORIZED_KEYS}`,
    'for f in /etc/ssh/ssh_host_*_key.pub; do',
    `  if [ -r "$f" ]; then printf '${HOST_KEY_MARK} %s\\n' "$(cat "$f")"; fi`,
    'done'
  ];
}

/** The host keys in the command's output. */
export function hostKeysFromOutput(stdout: string): IHostPublicKey[] {
  return stdout
    .split('\n')
    .filter(line => line.startsWith(`${HOST_KEY_MARK} `))
    .map(line => parseHostKey(line.slice(HOST_KEY_MARK.length + 1)))
    .filter((key): key is IHostPublicKey => key !== undefined);
}

/** Delivers the key and returns the instance's host keys; throws OperationError when the instance refuses. */
export async function deliverKey(
  clients: AwsClients,
  options: IDeliveryOptions
): Promise<IDeliveryResult> {
  const ssm = clients.ssm();
  const { SendCommandCommand } = ssmSdk();
  const sleep = options.sleep ?? delay;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const doing = `delivering your SSH key to ${options.instanceId}`;
  let commandId: string;
  try {
    const sent = await ssm.send(
      new SendCommandCommand({
        DocumentName: 'AWS-RunShellScript',
        InstanceIds: [options.instanceId],
        Comment: 'sm-ssh: authorize an SSH key, read the host keys',
        TimeoutSeconds: 30,
        Parameters: {
          commands: deliveryScript(options.publicKey, options.ownerId),
          executionTimeout: ['30']
        }
      })
    );
    commandId = sent.Command?.CommandId ?? '';
  } catch (error) {
    throw describeAwsError(error, doing);
  }
  const started = Date.now();
  const outcome = await waitForInvocation(
    clients,
    commandId,
    options.instanceId,
    { doing, sleep, expired: () => Date.now() - started > timeoutMs }
  );
  if (outcome.kind === 'refused') {
    throw outcome.error;
  }
  if (outcome.kind === 'expired') {
    throw new OperationError(
      `${doing} timed out after ${Math.round(timeoutMs / 1000)} s (command ${commandId} is ${outcome.status || 'not visible yet'})`,
      'the instance is registered but its agent does not run commands; check the job log'
    );
  }
  const { invocation, status, polls } = outcome;
  if (invocation.Status !== 'Success') {
    const why = (invocation.StandardErrorContent ?? '').trim().split('\n')[0];
    throw new OperationError(
      `${doing} failed: the command ended ${status}${why ? `: ${why}` : ''}`,
      'the container must run sshd with AuthorizedKeysFile /etc/ssh/authorized_keys (sm-ssh remote init sets it up)'
    );
  }
  return {
    commandId,
    hostKeys: hostKeysFromOutput(invocation.StandardOutputContent ?? ''),
    polls
  };
}
