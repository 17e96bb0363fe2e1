/**
 * The sandbox with moto and the demo fleet (real sshd hosts and the SageMaker resources behind them), owned by the
 * caller that the sandbox's fake credentials are in moto's STS, so resolution's SSHOwner check passes as on AWS.
 */
import { AwsClients } from '../../src/aws/index.js';
import {
  createDemoFleet,
  SANDBOX_CREDENTIALS,
  sandboxCaller,
  startSandbox,
  type IDemoFleet,
  type ISageMakerTimings,
  type ISandbox
} from '../../src/sandbox/index.js';
import { MOTO_SERVER } from './cloud.js';

export interface IDemoCloud {
  sandbox: ISandbox;
  fleet: IDemoFleet;
  /** The caller's STS UserId: SSHOwner of the fleet but for bob's job. */
  caller: string;
  /** SDK clients for the sandbox (its endpoints must be in process.env: see `useInProcess`). */
  clients: AwsClients;
  /** The instance and host of a demo resource's node (0-based, newest first). */
  nodeOf(
    name: string,
    node?: number
  ): { instanceId: string; hostname: string; etcSsh: string };
  close(): Promise<void>;
}

export const credentials = async () => ({
  accessKeyId: SANDBOX_CREDENTIALS.AWS_ACCESS_KEY_ID,
  secretAccessKey: SANDBOX_CREDENTIALS.AWS_SECRET_ACCESS_KEY
});

export async function startDemoCloud(
  options: {
    pacing?: boolean;
    hosts?: boolean;
    /** How long SageMaker transitions take (apps starting, a space's remote-access boot delay, …). */
    sagemaker?: ISageMakerTimings;
  } = {}
): Promise<IDemoCloud> {
  const sandbox = await startSandbox({
    motoServer: MOTO_SERVER,
    pacing: options.pacing,
    sagemaker: options.sagemaker
  });
  const saved = { ...process.env };
  // the SDK clients of the tests find the sandbox as users' programs find AWS: through the environment
  Object.assign(process.env, sandbox.env, { AWS_MAX_ATTEMPTS: '1' });
  const caller = await sandboxCaller(sandbox);
  const fleet = await createDemoFleet(sandbox.ssm.instances, {
    owner: caller,
    hosts: options.hosts,
    cloud: { url: sandbox.url, sagemaker: sandbox.sagemaker }
  });
  return {
    sandbox,
    fleet,
    caller,
    clients: new AwsClients('us-east-1', credentials),
    nodeOf(name, node = 0) {
      const found = fleet.instances.find(
        i => i.name === name && i.node === node
      );
      const host =
        found && sandbox.ssm.instances.require(found.instanceId).host;
      if (!found) {
        throw new Error(`no demo instance ${name} node ${node}`);
      }
      return {
        instanceId: found.instanceId,
        hostname: host?.hostname ?? '',
        etcSsh: host?.etcSsh ?? ''
      };
    },
    close: async () => {
      process.env = saved;
      await sandbox.close();
    }
  };
}
