// The original project's name → prompt (SageMaker SSH Helper 2.3: `sm-ssh connect` → `sm-local-ssh-<kind>` →
// manager.py's resolution → `sm-connect-ssh-proxy`), reimplemented as the benchmark's reference from
// ../shared/reference/original-project.md, "Resolution" and "Connect":
//   1. resolution: every managed instance, then one ListTagsForResource each (original-resolve.mjs);
//   2. the instance must be Online: DescribeInstanceInformation with its id;
//   3. a fresh ECDSA key (`ssh-keygen`, a process, as the original runs it); its public half goes to S3. That upload
//      is NOT made here: the sandbox does not see S3 (its REST paths go to moto unseen), so it is one more AWS call
//      this reference neither makes nor counts (and SageMaker's default-bucket lookup before it is not counted either);
//   4. SendCommand AWS-RunShellScript that puts the key into /etc/ssh/authorized_keys.d and rebuilds
//      /etc/ssh/authorized_keys (inline here, where the original's script copies it from S3), then a 5 s sleep, then
//      GetCommandInvocation up to 15 times, 1 s apart, until the command is done;
//   5. ssh through `aws ssm start-session --document-name AWS-StartSSHSession` with StrictHostKeyChecking=no: here
//      StartSession and ssh2 in this process (no aws CLI, plugin or ssh process starts, so its wall time is, if
//      anything, shorter than the original's).
//
//   import { originalConnect } from './support/original-connect.mjs';
//   const connection = await originalConnect(clients, { type: 'training-job', name: 'my-job', node: 1, scratch });
//   // … connection.client is an ssh2 Client at the prompt; await connection.close();
import {
  DescribeInstanceInformationCommand,
  GetCommandInvocationCommand,
  SendCommandCommand
} from '@aws-sdk/client-ssm';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { sshConnect } from '../../dist/ssh/index.js';
import {
  PortDocument,
  sessionDuplex,
  startPortSession
} from '../../dist/ssm/index.js';
import { originalInstanceIds } from './original-resolve.mjs';

const DONE = new Set(['Success', 'Failed', 'Cancelled', 'TimedOut']);

/** The original's connect to node `node` (1-based) of `type`/`name`, up to the SSH prompt; `scratch` holds its key. */
export async function originalConnect(
  clients,
  { type, name, node = 1, scratch }
) {
  const ssm = clients.ssm();
  const instanceId = (await originalInstanceIds(ssm, type, name))[node - 1];
  if (!instanceId) {
    throw new Error(`original: no instance of ${type} ${name} node ${node}`);
  }
  const { InstanceInformationList = [] } = await ssm.send(
    new DescribeInstanceInformationCommand({
      Filters: [{ Key: 'InstanceIds', Values: [instanceId] }]
    })
  );
  if (InstanceInformationList[0]?.PingStatus !== 'Online') {
    throw new Error(`original: ${instanceId} is not Online`);
  }
  const keyFile = join(scratch, 'sagemaker-ssh-gw');
  await promisify(execFile)('ssh-keygen', [
    '-q',
    '-t',
    'ecdsa',
    '-N',
    '',
    '-f',
    keyFile
  ]);
  const publicKey = readFileSync(`${keyFile}.pub`, 'utf8').trim();
  const { Command } = await ssm.send(
    new SendCommandCommand({
      InstanceIds: [instanceId],
      DocumentName: 'AWS-RunShellScript',
      Comment: 'Copy public key for SSH helper',
      Parameters: {
        commands: [
          'mkdir -p /etc/ssh/authorized_keys.d/',
          `printf '%s\\n' '${publicKey}' > /etc/ssh/authorized_keys.d/sagemaker-ssh-gw.pub`,
          'cat /etc/ssh/authorized_keys.d/* > /etc/ssh/authorized_keys',
          'cat /etc/ssh/authorized_keys'
        ]
      }
    })
  );
  await sleep(5_000);
  let status = '';
  for (let poll = 0; poll < 15 && !DONE.has(status); poll++) {
    if (poll > 0) {
      await sleep(1_000);
    }
    status = (
      await ssm.send(
        new GetCommandInvocationCommand({
          CommandId: Command?.CommandId,
          InstanceId: instanceId
        })
      )
    ).Status;
  }
  if (status !== 'Success') {
    throw new Error(`original: the key command ended ${status || 'unseen'}`);
  }
  const session = await startPortSession(clients, {
    target: instanceId,
    document: PortDocument.Ssh,
    parameters: { portNumber: '22' },
    reason: 'original project reference'
  });
  try {
    const client = await sshConnect({
      sock: sessionDuplex(session),
      username: 'root',
      privateKey: readFileSync(keyFile),
      verifyHostKey: async () => true
    });
    return {
      client,
      instanceId,
      close: async () => {
        client.end();
        await session.close();
      }
    };
  } catch (error) {
    await session.close();
    throw error;
  }
}
