/**
 * Agent-run instances of the registry: RegisterManagedInstance from an activation, the agent's reports
 * (UpdateInstanceInformation, its polls as heartbeat), Run Command through ec2messages in the real agent's shapes,
 * cancellation, ports, deregistration.
 */
import type { ICallContext } from '../aws-json-server.js';
import { InstanceRegistry } from './registry.js';

const call: ICallContext = { account: '123456789012', region: 'us-east-1' };
let registry: InstanceRegistry;

// operation outputs are JSON documents; the tests read them as such
function ssm(name: string, input: Record<string, unknown>): Promise<any> {
  return Promise.resolve(registry.operations()[name](input, call));
}

function messages(name: string, input: Record<string, unknown>): Promise<any> {
  return Promise.resolve(
    registry.agentMessages.service().operations[name](input, call)
  );
}

/** An agent-run instance; `online`: its agent has reported in. */
async function registered(online = true): Promise<string> {
  const activation = await ssm('CreateActivation', {
    IamRole: 'service-role/AmazonSageMaker-ExecutionRole-test',
    RegistrationLimit: 1,
    Tags: [{ Key: 'SSHOwner', Value: 'AROAEXAMPLE:alice' }]
  });
  const { InstanceId } = await ssm('RegisterManagedInstance', {
    ActivationId: activation.ActivationId,
    ActivationCode: activation.ActivationCode,
    PublicKey: 'MIIBIjAN',
    PublicKeyType: 'Rsa',
    Fingerprint: 'f0e1d2c3'
  });
  if (online) {
    await ssm('UpdateInstanceInformation', { InstanceId });
  }
  return InstanceId as string;
}

async function sendCommand(instanceId: string, commands: string[]) {
  const { Command } = await ssm('SendCommand', {
    DocumentName: 'AWS-RunShellScript',
    InstanceIds: [instanceId],
    Parameters: { commands }
  });
  return Command.CommandId as string;
}

function reply(messageId: string, status: string, extra = {}) {
  return messages('SendReply', {
    MessageId: messageId,
    ReplyId: 'reply-1',
    Payload: JSON.stringify({
      additionalInfo: { agent: { name: 'amazon-ssm-agent' } },
      documentStatus: status,
      documentTraceOutput: '',
      runtimeStatus: {
        'aws:runShellScript': { name: 'aws:runShellScript', status, ...extra }
      }
    })
  });
}

beforeEach(() => {
  registry = new InstanceRegistry({
    agentMessages: { pollHoldMs: 200, agentTimeoutMs: 300 }
  });
});

afterEach(() => registry.close());

describe('agent-run instances', () => {
  it('register from an activation with its tags, no host, ConnectionLost until the agent reports in', async () => {
    const id = await registered(false);
    const instance = registry.require(id);
    expect(instance.host).toBeUndefined();
    expect(instance.tags.get('SSHOwner')).toBe('AROAEXAMPLE:alice');
    expect(instance.iamRole).toBe(
      'service-role/AmazonSageMaker-ExecutionRole-test'
    );
    expect(instance.pingStatus).toBe('ConnectionLost');
    expect(registry.resolveTarget(id, 22)).toBeUndefined();
    await ssm('UpdateInstanceInformation', {
      InstanceId: id,
      AgentName: 'amazon-ssm-agent',
      AgentVersion: '3.3.0.0',
      ComputerName: 'algo-1',
      SandboxLocalPorts: { '22': 40022 }
    });
    expect(instance.pingStatus).toBe('Online');
    expect(instance.computerName).toBe('algo-1');
    expect(registry.resolveTarget(id, 22)).toEqual({
      host: '127.0.0.1',
      port: 40022
    });
    expect(registry.resolveTarget(id, 8888)).toEqual({
      host: '127.0.0.1',
      port: 8888
    });
  });

  it('refuses a wrong code and a second registration with a limit-1 activation', async () => {
    const activation = await ssm('CreateActivation', {
      IamRole: 'r',
      RegistrationLimit: 1
    });
    const input = {
      ActivationId: activation.ActivationId,
      ActivationCode: 'wrong',
      PublicKey: 'k'
    };
    await expect(ssm('RegisterManagedInstance', input)).rejects.toMatchObject({
      code: 'InvalidActivation'
    });
    input.ActivationCode = activation.ActivationCode;
    await ssm('RegisterManagedInstance', input);
    await expect(ssm('RegisterManagedInstance', input)).rejects.toThrow(
      /registration limit of 1/
    );
  });

  it("carries a Run Command invocation to the agent and back in the real agent's shapes", async () => {
    const id = await registered();
    const poll = messages('GetMessages', {
      Destination: id,
      MessagesRequestId: 'req-1',
      VisibilityTimeoutInSeconds: 10
    });
    const commandId = await sendCommand(id, ['echo hi']);
    const { Messages } = await poll;
    expect(Messages).toHaveLength(1);
    const [message] = Messages;
    expect(message.MessageId).toBe(`aws.ssm.${commandId}.${id}`);
    expect(message.Topic).toMatch(/^aws\.ssm\.sendCommand\./);
    const payload = JSON.parse(message.Payload);
    expect(payload).toMatchObject({
      CommandId: commandId,
      DocumentName: 'AWS-RunShellScript',
      Parameters: { commands: ['echo hi'] }
    });
    expect(payload.DocumentContent.runtimeConfig).toHaveProperty(
      'aws:runShellScript'
    );
    const invocation = () =>
      ssm('GetCommandInvocation', { CommandId: commandId, InstanceId: id });
    await messages('AcknowledgeMessage', { MessageId: message.MessageId });
    expect((await invocation()).Status).toBe('Pending');
    await reply(message.MessageId, 'InProgress');
    expect((await invocation()).Status).toBe('InProgress');
    await reply(message.MessageId, 'Failed', {
      code: 3,
      standardOutput: 'out\n',
      standardError: 'err\n'
    });
    expect(await invocation()).toMatchObject({
      Status: 'Failed',
      StatusDetails: 'Failed',
      ResponseCode: 3,
      StandardOutputContent: 'out\n',
      StandardErrorContent: 'err\n'
    });
    await messages('DeleteMessage', { MessageId: message.MessageId });
    const again = await messages('GetMessages', {
      Destination: id,
      MessagesRequestId: 'req-2'
    });
    expect(again.Messages).toEqual([]);
  });

  it('redelivers a message the agent did not acknowledge once its visibility timeout passes', async () => {
    const id = await registered();
    await sendCommand(id, ['true']);
    const first = await messages('GetMessages', {
      Destination: id,
      MessagesRequestId: 'a',
      VisibilityTimeoutInSeconds: 0.1
    });
    expect(first.Messages).toHaveLength(1);
    await new Promise(resolve => setTimeout(resolve, 150));
    const second = await messages('GetMessages', {
      Destination: id,
      MessagesRequestId: 'b'
    });
    expect(second.Messages.map((m: any) => m.MessageId)).toEqual(
      first.Messages.map((m: any) => m.MessageId)
    );
  });

  it('cancels: a message not yet taken is withdrawn, one taken gets a cancel message', async () => {
    const id = await registered();
    const waiting = await sendCommand(id, ['sleep 5']);
    await ssm('CancelCommand', { CommandId: waiting });
    expect(
      (
        await ssm('GetCommandInvocation', {
          CommandId: waiting,
          InstanceId: id
        })
      ).Status
    ).toBe('Cancelled');
    const running = await sendCommand(id, ['sleep 5']);
    const { Messages } = await messages('GetMessages', {
      Destination: id,
      MessagesRequestId: 'c'
    });
    expect(Messages).toHaveLength(1);
    await messages('AcknowledgeMessage', { MessageId: Messages[0].MessageId });
    await reply(Messages[0].MessageId, 'InProgress');
    await ssm('CancelCommand', { CommandId: running });
    const cancel = await messages('GetMessages', {
      Destination: id,
      MessagesRequestId: 'd'
    });
    expect(cancel.Messages[0].Topic).toMatch(/^aws\.ssm\.cancelCommand\./);
    expect(JSON.parse(cancel.Messages[0].Payload)).toEqual({
      CancelMessageId: Messages[0].MessageId
    });
    await reply(Messages[0].MessageId, 'Cancelled');
    expect(
      (
        await ssm('GetCommandInvocation', {
          CommandId: running,
          InstanceId: id
        })
      ).Status
    ).toBe('Cancelled');
  });

  it('goes ConnectionLost when its agent falls silent, and ends polls at deregistration', async () => {
    const id = await registered();
    expect(registry.require(id).pingStatus).toBe('Online');
    await new Promise(resolve => setTimeout(resolve, 400));
    expect(registry.require(id).pingStatus).toBe('ConnectionLost');
    const poll = messages('GetMessages', {
      Destination: id,
      MessagesRequestId: 'e'
    });
    expect(registry.require(id).pingStatus).toBe('Online');
    const started = Date.now();
    await ssm('DeregisterManagedInstance', { InstanceId: id });
    expect((await poll).Messages).toEqual([]);
    expect(Date.now() - started).toBeLessThan(150);
    await expect(
      messages('GetMessages', { Destination: id, MessagesRequestId: 'f' })
    ).rejects.toMatchObject({ code: 'InvalidInstanceId' });
  });

  it('keeps sandbox-launched instances off ec2messages', async () => {
    const instance = await registry.launch({ host: false });
    await expect(
      messages('GetMessages', {
        Destination: instance.instanceId,
        MessagesRequestId: 'g'
      })
    ).rejects.toThrow(/was not registered by an agent/);
  });
});
