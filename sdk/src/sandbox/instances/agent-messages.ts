/**
 * Run Command for instances that run an agent of their own (the stand-in for `amazon-ssm-agent` in a sandbox
 * container, registered through RegisterManagedInstance): instead of running the script itself, the sandbox queues
 * the command for the instance's agent, as SSM does, and the agent fetches it from the EC2 Messages service
 * (`ec2messages`, JSON 1.1 prefix `EC2WindowsMessageDeliveryService`): GetMessages (long poll), AcknowledgeMessage,
 * SendReply (InProgress, then the result), FailMessage, DeleteMessage. Message ids, topics and payloads have the real
 * agent's shapes (`aws.ssm.<CommandId>.<InstanceId>`, SendCommandPayload, SendReplyPayload).
 *
 * The agent's calls are also its heartbeat: an agent that has not polled for `agentTimeoutMs` goes ConnectionLost.
 */
import { createHash, randomUUID } from 'node:crypto';
import {
  AwsServiceError,
  type ICallContext,
  type IJsonService
} from '../aws-json-server.js';
import { validationError } from './filters.js';
import {
  finish,
  PLUGIN_NAME,
  RUN_SHELL_SCRIPT,
  type ICommand,
  type IInvocation,
  type InvocationStatus
} from './run-command.js';

export const EC2_MESSAGES_PREFIX = 'EC2WindowsMessageDeliveryService';
export const SEND_COMMAND_TOPIC = 'aws.ssm.sendCommand';
export const CANCEL_COMMAND_TOPIC = 'aws.ssm.cancelCommand';

export interface IAgentMessagesOptions {
  /** How long GetMessages holds a poll open when there is nothing to deliver (default 10 s). */
  pollHoldMs?: number;
  /** An agent silent this long goes ConnectionLost (default 60 s). */
  agentTimeoutMs?: number;
}

/** What the message service needs of the registry. */
export interface IAgentRegistry {
  /** The agent-run instance `id` in the call's account and region, or InvalidInstanceId. */
  agentInstance(call: ICallContext, id: unknown): { instanceId: string };
  /** The agent was heard from (`alive`) or has been silent too long. */
  agentSeen(instanceId: string, alive: boolean): void;
}

interface IMessage {
  messageId: string;
  instanceId: string;
  topic: string;
  payload: string;
  created: Date;
  /** Hidden from GetMessages until then (ms since epoch); an acknowledged message stays hidden. */
  visibleAt: number;
  acknowledged: boolean;
  /** The Run Command invocation a send-command message carries. */
  work?: { command: ICommand; invocation: IInvocation };
}

/** The SSM document content an agent receives for AWS-RunShellScript (schema 1.2, one plugin). */
function documentContent(): Record<string, unknown> {
  return {
    schemaVersion: '1.2',
    description: 'Run a shell script or specify the commands to run.',
    parameters: {
      commands: {
        type: 'StringList',
        description: '(Required) Specify a shell script or a command to run.'
      },
      workingDirectory: {
        type: 'String',
        default: '',
        description:
          '(Optional) The path to the working directory on your instance.'
      },
      executionTimeout: {
        type: 'String',
        default: '3600',
        description:
          '(Optional) The time in seconds for a command to complete before it is considered to have failed.'
      }
    },
    runtimeConfig: {
      [PLUGIN_NAME]: {
        properties: [
          {
            id: `0.${PLUGIN_NAME}`,
            runCommand: '{{ commands }}',
            workingDirectory: '{{ workingDirectory }}',
            timeoutSeconds: '{{ executionTimeout }}'
          }
        ]
      }
    }
  };
}

/** The final statuses an agent reports, and the StatusDetails SSM shows for each. */
const FINAL: Partial<Record<InvocationStatus, string>> = {
  Success: 'Success',
  Failed: 'Failed',
  TimedOut: 'ExecutionTimedOut',
  Cancelled: 'Cancelled'
};

interface IPluginStatus {
  status?: unknown;
  code?: unknown;
  standardOutput?: unknown;
  standardError?: unknown;
}

export class AgentMessages {
  private readonly messages = new Map<string, IMessage>();
  private readonly waiters = new Map<string, Set<() => void>>();
  private readonly silence = new Map<string, NodeJS.Timeout>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(
    private readonly registry: IAgentRegistry,
    private readonly options: IAgentMessagesOptions = {}
  ) {}

  private later(ms: number, callback: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      callback();
    }, ms);
    this.timers.add(timer);
  }

  private enqueue(message: IMessage): void {
    this.messages.set(message.messageId, message);
    this.wake(message.instanceId);
  }

  private wake(instanceId: string): void {
    this.waiters.get(instanceId)?.forEach(wake => wake());
  }

  /** The agent was heard from: Online now, ConnectionLost if it falls silent. */
  heard(instanceId: string): void {
    if (this.closed) {
      return;
    }
    this.registry.agentSeen(instanceId, true);
    clearTimeout(this.silence.get(instanceId));
    this.silence.set(
      instanceId,
      setTimeout(() => {
        this.silence.delete(instanceId);
        this.registry.agentSeen(instanceId, false);
      }, this.options.agentTimeoutMs ?? 60_000)
    );
  }

  /**
   * Queues a Run Command invocation for the instance's agent. It stays Pending until the agent reports
   * InProgress; not picked up by `deadline` (ms since epoch) it times out undelivered.
   */
  deliver(command: ICommand, invocation: IInvocation, deadline: number): void {
    const message: IMessage = {
      messageId: `aws.ssm.${command.commandId}.${invocation.instanceId}`,
      instanceId: invocation.instanceId,
      topic: `${SEND_COMMAND_TOPIC}.${command.region}`,
      payload: JSON.stringify({
        Parameters: command.parameters,
        DocumentContent: documentContent(),
        CommandId: command.commandId,
        DocumentName: RUN_SHELL_SCRIPT,
        OutputS3KeyPrefix: '',
        OutputS3BucketName: '',
        CloudWatchLogGroupName: '',
        CloudWatchOutputEnabled: 'false'
      }),
      created: new Date(),
      visibleAt: 0,
      acknowledged: false,
      work: { command, invocation }
    };
    invocation.cancel = () => this.cancel(message);
    this.enqueue(message);
    this.later(Math.max(0, deadline - Date.now()), () => {
      if (invocation.status === 'Pending') {
        this.messages.delete(message.messageId);
        finish(invocation, 'TimedOut', 'DeliveryTimedOut', -1, '', '');
      }
    });
  }

  /** CancelCommand: a message not yet taken is withdrawn; one the agent took gets a cancel message. */
  private cancel(message: IMessage): void {
    const invocation = message.work?.invocation;
    if (!invocation) {
      return;
    }
    if (!message.acknowledged) {
      this.messages.delete(message.messageId);
      finish(invocation, 'Cancelled', 'Cancelled', -1, '', '');
      return;
    }
    invocation.status = 'Cancelling';
    invocation.statusDetails = 'Cancelling';
    this.enqueue({
      messageId: `aws.ssm.${randomUUID()}.${message.instanceId}`,
      instanceId: message.instanceId,
      topic: `${CANCEL_COMMAND_TOPIC}.${message.work?.command.region ?? ''}`,
      payload: JSON.stringify({ CancelMessageId: message.messageId }),
      created: new Date(),
      visibleAt: 0,
      acknowledged: false
    });
  }

  /** Drops the instance's messages and ends its polls (deregistration). */
  forget(instanceId: string): void {
    for (const [id, message] of this.messages) {
      if (message.instanceId === instanceId) {
        this.messages.delete(id);
      }
    }
    clearTimeout(this.silence.get(instanceId));
    this.silence.delete(instanceId);
    this.wake(instanceId);
  }

  close(): void {
    this.closed = true;
    this.timers.forEach(timer => clearTimeout(timer));
    this.timers.clear();
    this.silence.forEach(timer => clearTimeout(timer));
    this.silence.clear();
    [...this.waiters.keys()].forEach(instanceId => this.wake(instanceId));
  }

  private visible(instanceId: string): IMessage[] {
    const now = Date.now();
    return [...this.messages.values()].filter(
      message =>
        message.instanceId === instanceId &&
        !message.acknowledged &&
        message.visibleAt <= now
    );
  }

  /** GetMessages: what is visible for the destination now, or after waiting up to the poll's hold time. */
  async getMessages(
    call: ICallContext,
    input: Record<string, unknown>
  ): Promise<Record<string, unknown>> {
    const { instanceId } = this.registry.agentInstance(call, input.Destination);
    const requestId = input.MessagesRequestId;
    if (typeof requestId !== 'string' || requestId.length === 0) {
      throw validationError(
        "Value null at 'messagesRequestId' failed to satisfy constraint: Member must not be null"
      );
    }
    const visibility = Number(input.VisibilityTimeoutInSeconds ?? 10);
    this.heard(instanceId);
    let found = this.visible(instanceId);
    if (found.length === 0 && !this.closed) {
      await new Promise<void>(resolve => {
        const waiters = this.waiters.get(instanceId) ?? new Set();
        this.waiters.set(instanceId, waiters);
        const done = () => {
          clearTimeout(timer);
          waiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, this.options.pollHoldMs ?? 10_000);
        waiters.add(done);
      });
      found = this.visible(instanceId);
    }
    const hiddenUntil = Date.now() + visibility * 1000;
    found.forEach(message => (message.visibleAt = hiddenUntil));
    if (!this.closed) {
      this.heard(instanceId);
    }
    return {
      Destination: instanceId,
      MessagesRequestId: requestId,
      Messages: found.map(message => ({
        CreatedDate: message.created.toISOString(),
        Destination: instanceId,
        MessageId: message.messageId,
        Payload: message.payload,
        PayloadDigest: createHash('sha256')
          .update(message.payload)
          .digest('hex'),
        PayloadType: 'application/json',
        Topic: message.topic
      }))
    };
  }

  private requireMessage(input: Record<string, unknown>): IMessage {
    const id = input.MessageId;
    const message = typeof id === 'string' ? this.messages.get(id) : undefined;
    if (!message) {
      throw new AwsServiceError(
        'InvalidMessageId',
        `Message ${String(id)} does not exist or was deleted`
      );
    }
    return message;
  }

  acknowledge(input: Record<string, unknown>): void {
    this.requireMessage(input).acknowledged = true;
  }

  /** SendReply: the agent's SendReplyPayload moves the invocation to InProgress or to its result. */
  sendReply(input: Record<string, unknown>): void {
    const message = this.requireMessage(input);
    const invocation = message.work?.invocation;
    if (typeof input.Payload !== 'string' || !invocation) {
      return;
    }
    let reply: { runtimeStatus?: Record<string, IPluginStatus> };
    try {
      reply = JSON.parse(input.Payload) as typeof reply;
    } catch {
      throw new AwsServiceError('InvalidParameters', 'Payload is not JSON');
    }
    const plugin = reply.runtimeStatus?.[PLUGIN_NAME] ?? {};
    const status = String(plugin.status ?? '') as InvocationStatus;
    if (status === 'InProgress') {
      if (invocation.status === 'Pending') {
        invocation.status = 'InProgress';
        invocation.statusDetails = 'InProgress';
        invocation.started = new Date();
      }
      return;
    }
    const details = FINAL[status];
    if (!details) {
      throw new AwsServiceError(
        'InvalidParameters',
        `runtimeStatus.${PLUGIN_NAME}.status ${status} is not a result`
      );
    }
    invocation.started ??= new Date();
    invocation.cancel = undefined;
    finish(
      invocation,
      status,
      details,
      typeof plugin.code === 'number' ? plugin.code : -1,
      String(plugin.standardOutput ?? ''),
      String(plugin.standardError ?? '')
    );
  }

  /** FailMessage: the agent could not handle the message at all. */
  failMessage(input: Record<string, unknown>): void {
    const message = this.requireMessage(input);
    this.messages.delete(message.messageId);
    if (message.work) {
      finish(
        message.work.invocation,
        'Failed',
        'Undeliverable',
        -1,
        '',
        `the agent failed the message: ${String(input.FailureType ?? '')}\n`
      );
    }
  }

  deleteMessage(input: Record<string, unknown>): void {
    this.messages.delete(this.requireMessage(input).messageId);
  }

  /** The `ec2messages` service (`AWS_ENDPOINT_URL_EC2MESSAGES`). */
  service(): IJsonService {
    return {
      targetPrefix: EC2_MESSAGES_PREFIX,
      name: 'EC2Messages',
      operations: {
        GetMessages: (input, call) => this.getMessages(call, input),
        AcknowledgeMessage: input => {
          this.acknowledge(input);
          return {};
        },
        SendReply: input => {
          this.sendReply(input);
          return {};
        },
        FailMessage: input => {
          this.failMessage(input);
          return {};
        },
        DeleteMessage: input => {
          this.deleteMessage(input);
          return {};
        }
      }
    };
  }
}
