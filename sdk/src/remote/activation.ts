/**
 * The AWS side of a container's registration: who the container is (STS), the activation it registers with
 * (CreateActivation, registration limit 1, the original project's tags), and its deregistration at exit —
 * which the setup guide's server policy does not allow, so an AccessDenied there is reported, not fatal.
 */
import type { AwsClients } from '../aws/clients.js';
import { describeAwsError, errorName } from '../aws/errors.js';
import { partitionOf } from '../aws/regions.js';
import { ssmSdk, stsSdk } from '../aws/sdk.js';
import type { IActivationTag } from './tags.js';

export interface ICallerIdentity {
  userId: string;
  arn: string;
  account: string;
}

export interface IRemoteActivation {
  activationId: string;
  /** Secret: handed to the agent only, never printed. */
  activationCode: string;
}

export const ACTIVATION_DESCRIPTION =
  'Activation for Amazon SageMaker integration with SSH and IDEs';

export async function callerIdentity(
  clients: AwsClients
): Promise<ICallerIdentity> {
  const { GetCallerIdentityCommand } = stsSdk();
  try {
    const answer = await clients.sts().send(new GetCallerIdentityCommand({}));
    return {
      userId: answer.UserId ?? '',
      arn: answer.Arn ?? '',
      account: answer.Account ?? ''
    };
  } catch (error) {
    throw describeAwsError(error, "reading the container's identity (STS)");
  }
}

/** CreateActivation for exactly one registration, with the tags the instance inherits. */
export async function createActivation(
  clients: AwsClients,
  role: string,
  tags: IActivationTag[]
): Promise<IRemoteActivation> {
  const { CreateActivationCommand } = ssmSdk();
  try {
    const answer = await clients.ssm().send(
      new CreateActivationCommand({
        Description: ACTIVATION_DESCRIPTION,
        IamRole: role,
        RegistrationLimit: 1,
        Tags: tags
      })
    );
    return {
      activationId: answer.ActivationId ?? '',
      activationCode: answer.ActivationCode ?? ''
    };
  } catch (error) {
    throw describeAwsError(
      error,
      `creating the SSM activation for role ${role}`
    );
  }
}

export interface IDeregistration {
  instanceId: string;
  deregistered: boolean;
  /** Why not, in one line (AccessDenied: which permission would allow it). */
  note?: string;
}

/** DeregisterManagedInstance; AccessDenied and an instance already gone are results, not errors. */
export async function deregisterInstance(
  clients: AwsClients,
  instanceId: string,
  account = '<account>'
): Promise<IDeregistration> {
  const { DeregisterManagedInstanceCommand } = ssmSdk();
  try {
    await clients
      .ssm()
      .send(new DeregisterManagedInstanceCommand({ InstanceId: instanceId }));
    return { instanceId, deregistered: true };
  } catch (error) {
    const name = errorName(error);
    if (/AccessDenied|NotAuthorized|UnauthorizedOperation/i.test(name)) {
      return {
        instanceId,
        deregistered: false,
        note:
          `${instanceId} stays registered (it will show ConnectionLost): the container's role may not call ` +
          "ssm:DeregisterManagedInstance, which the setup guide's SSHSageMakerServerPolicy does not grant; allowing it " +
          `on arn:${partitionOf(clients.region)}:ssm:${clients.region}:${account}:managed-instance/* would remove the instance at exit`
      };
    }
    if (name === 'InvalidInstanceId') {
      return {
        instanceId,
        deregistered: false,
        note: `${instanceId} was already deregistered`
      };
    }
    throw describeAwsError(error, `deregistering ${instanceId}`);
  }
}
