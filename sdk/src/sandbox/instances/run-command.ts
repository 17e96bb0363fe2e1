/**
 * Run Command in the sandbox: commands of the `AWS-RunShellScript` document, one invocation per instance, run for
 * real and asynchronously inside the instance's host (see host.ts) with the document's `executionTimeout`. Shapes
 * follow AWS: GetCommandInvocation keeps the first 24,000 characters of stdout and 8,000 of stderr, a plugin's
 * `Output` in ListCommandInvocations the first 2,500.
 */
import { randomUUID } from 'node:crypto';
import { AwsServiceError } from '../aws-json-server.js';
import type { IScriptRunner } from './script-run.js';

export const RUN_SHELL_SCRIPT = 'AWS-RunShellScript';
export const PLUGIN_NAME = 'aws:runShellScript';
export const MAX_STDOUT = 24_000;
export const MAX_STDERR = 8_000;
export const MAX_PLUGIN_OUTPUT = 2_500;
/** What the agent reports for a script it had to kill (128 + SIGKILL). */
export const KILLED_EXIT_CODE = 137;

export type InvocationStatus =
  | 'Pending'
  | 'InProgress'
  | 'Delayed'
  | 'Success'
  | 'Cancelled'
  | 'TimedOut'
  | 'Failed'
  | 'Cancelling';

export interface IInvocation {
  commandId: string;
  instanceId: string;
  instanceName: string;
  status: InvocationStatus;
  statusDetails: string;
  responseCode: number;
  stdout: string;
  stderr: string;
  started?: Date;
  ended?: Date;
  cancel?: () => void;
}

export interface ICommand {
  commandId: string;
  account: string;
  region: string;
  documentName: string;
  comment: string;
  parameters: Record<string, string[]>;
  instanceIds: string[];
  targets: unknown[];
  requested: Date;
  /** Delivery timeout (TimeoutSeconds): an invocation not started by then times out undelivered. */
  timeoutSeconds: number;
  /** The document's executionTimeout: a running script is killed after this long. */
  executionTimeoutSeconds: number;
  invocations: Map<string, IInvocation>;
}

const DOCUMENT_PARAMETERS = [
  'commands',
  'workingDirectory',
  'executionTimeout'
];

/** Validates SendCommand's document and parameters (InvalidDocument, InvalidParameters). */
export function documentParameters(input: Record<string, unknown>): {
  parameters: Record<string, string[]>;
  executionTimeoutSeconds: number;
} {
  if (input.DocumentName !== RUN_SHELL_SCRIPT) {
    throw new AwsServiceError(
      'InvalidDocument',
      `Document ${String(input.DocumentName)} does not exist in your account (the sandbox runs ${RUN_SHELL_SCRIPT} only)`
    );
  }
  if (
    input.DocumentVersion !== undefined &&
    !['$DEFAULT', '$LATEST', '1'].includes(String(input.DocumentVersion))
  ) {
    throw new AwsServiceError(
      'InvalidDocumentVersion',
      `Document version ${String(input.DocumentVersion)} of ${RUN_SHELL_SCRIPT} does not exist`
    );
  }
  const raw = (input.Parameters ?? {}) as Record<string, unknown>;
  const parameters: Record<string, string[]> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (!DOCUMENT_PARAMETERS.includes(key)) {
      throw new AwsServiceError(
        'InvalidParameters',
        `Parameter "${key}" is not defined in document ${RUN_SHELL_SCRIPT}`
      );
    }
    if (
      !Array.isArray(value) ||
      !value.every(item => typeof item === 'string')
    ) {
      throw new AwsServiceError(
        'InvalidParameters',
        `Parameter "${key}" must be a list of strings`
      );
    }
    parameters[key] = value as string[];
  }
  if (!parameters.commands || parameters.commands.length === 0) {
    throw new AwsServiceError(
      'InvalidParameters',
      'Parameter "commands" is required'
    );
  }
  const timeout = parameters.executionTimeout?.[0] ?? '3600';
  const executionTimeoutSeconds = Number(timeout);
  if (
    !/^\d+$/.test(timeout) ||
    executionTimeoutSeconds < 1 ||
    executionTimeoutSeconds > 172800
  ) {
    throw new AwsServiceError(
      'InvalidParameters',
      'Parameter "executionTimeout" must be a number of seconds between 1 and 172800'
    );
  }
  return { parameters, executionTimeoutSeconds };
}

export function newCommand(
  fields: Omit<ICommand, 'commandId' | 'requested' | 'invocations'>
): ICommand {
  const command: ICommand = {
    ...fields,
    commandId: randomUUID(),
    requested: new Date(),
    invocations: new Map()
  };
  return command;
}

export function newInvocation(
  command: ICommand,
  instanceId: string,
  instanceName: string
): IInvocation {
  const invocation: IInvocation = {
    commandId: command.commandId,
    instanceId,
    instanceName,
    status: 'Pending',
    statusDetails: 'Pending',
    responseCode: -1,
    stdout: '',
    stderr: ''
  };
  command.invocations.set(instanceId, invocation);
  return invocation;
}

function done(status: InvocationStatus): boolean {
  return !['Pending', 'InProgress', 'Delayed', 'Cancelling'].includes(status);
}

/**
 * Runs the invocation's script with `runner` (the instance's host, or the stand-in agent's own shell); resolves
 * when it has ended (whatever the outcome).
 */
export async function execute(
  command: ICommand,
  invocation: IInvocation,
  runner: IScriptRunner | undefined
): Promise<void> {
  if (invocation.status !== 'Pending') {
    return;
  }
  invocation.status = 'InProgress';
  invocation.statusDetails = 'InProgress';
  invocation.started = new Date();
  if (!runner) {
    finish(
      invocation,
      'Failed',
      'Failed',
      1,
      '',
      'sandbox: this instance has no host to run commands in\n'
    );
    return;
  }
  let running;
  try {
    running = runner.run(command.parameters.commands.join('\n'), {
      timeoutMs: command.executionTimeoutSeconds * 1000,
      cwd: command.parameters.workingDirectory?.[0] || '/',
      env: {
        AWS_SSM_INSTANCE_ID: invocation.instanceId,
        AWS_SSM_REGION_NAME: command.region
      },
      maxStdout: MAX_STDOUT,
      maxStderr: MAX_STDERR
    });
  } catch (error) {
    finish(invocation, 'Failed', 'Undeliverable', -1, '', `${String(error)}\n`);
    return;
  }
  invocation.cancel = running.cancel;
  const result = await running.result;
  invocation.cancel = undefined;
  if (result.cancelled) {
    finish(
      invocation,
      'Cancelled',
      'Cancelled',
      -1,
      result.stdout,
      result.stderr
    );
  } else if (result.timedOut) {
    finish(
      invocation,
      'TimedOut',
      'ExecutionTimedOut',
      KILLED_EXIT_CODE,
      result.stdout,
      `${result.stderr}${result.stderr.length < MAX_STDERR ? 'failed to run commands: exit status 137\n' : ''}`.slice(
        0,
        MAX_STDERR
      )
    );
  } else if (result.exitCode === 0) {
    finish(invocation, 'Success', 'Success', 0, result.stdout, result.stderr);
  } else {
    finish(
      invocation,
      'Failed',
      'Failed',
      result.exitCode ?? KILLED_EXIT_CODE,
      result.stdout,
      result.stderr
    );
  }
}

export function finish(
  invocation: IInvocation,
  status: InvocationStatus,
  details: string,
  code: number,
  stdout: string,
  stderr: string
): void {
  if (done(invocation.status)) {
    return;
  }
  invocation.status = status;
  invocation.statusDetails = details;
  invocation.responseCode = code;
  invocation.stdout = stdout.slice(0, MAX_STDOUT);
  invocation.stderr = stderr.slice(0, MAX_STDERR);
  invocation.ended = new Date();
}

/** The command's status from its invocations, as ListCommands shows it. */
export function commandStatus(command: ICommand): {
  status: InvocationStatus;
  completed: number;
  errors: number;
  deliveryTimedOut: number;
} {
  const all = [...command.invocations.values()];
  const completed = all.filter(item => done(item.status)).length;
  const errors = all.filter(item =>
    ['Failed', 'TimedOut'].includes(item.status)
  ).length;
  const deliveryTimedOut = all.filter(
    item => item.statusDetails === 'DeliveryTimedOut'
  ).length;
  let status: InvocationStatus;
  if (completed < all.length) {
    status = all.every(item => item.status === 'Pending')
      ? 'Pending'
      : 'InProgress';
  } else if (all.every(item => item.status === 'Success')) {
    status = 'Success';
  } else if (all.some(item => item.status === 'Cancelled')) {
    status = 'Cancelled';
  } else if (all.some(item => item.status === 'TimedOut')) {
    status = 'TimedOut';
  } else {
    status = 'Failed';
  }
  return { status, completed, errors, deliveryTimedOut };
}

function iso(date: Date | undefined): string {
  return date ? date.toISOString() : '';
}

function elapsed(invocation: IInvocation): string {
  if (!invocation.started) {
    return '';
  }
  const end = invocation.ended ?? new Date();
  return `PT${((end.getTime() - invocation.started.getTime()) / 1000).toFixed(3)}S`;
}

/** GetCommandInvocation's response. */
export function invocationResponse(
  command: ICommand,
  invocation: IInvocation
): Record<string, unknown> {
  return {
    CommandId: command.commandId,
    InstanceId: invocation.instanceId,
    Comment: command.comment,
    DocumentName: command.documentName,
    DocumentVersion: '$DEFAULT',
    PluginName: PLUGIN_NAME,
    ResponseCode: invocation.responseCode,
    ExecutionStartDateTime: iso(invocation.started),
    ExecutionElapsedTime: elapsed(invocation),
    ExecutionEndDateTime: iso(invocation.ended),
    Status: invocation.status,
    StatusDetails: invocation.statusDetails,
    StandardOutputContent: invocation.stdout,
    StandardOutputUrl: '',
    StandardErrorContent: invocation.stderr,
    StandardErrorUrl: '',
    CloudWatchOutputConfig: {
      CloudWatchLogGroupName: '',
      CloudWatchOutputEnabled: false
    }
  };
}

/** An entry of ListCommandInvocations (with `CommandPlugins` when Details is true). */
export function invocationEntry(
  command: ICommand,
  invocation: IInvocation,
  details: boolean
): Record<string, unknown> {
  return {
    CommandId: command.commandId,
    InstanceId: invocation.instanceId,
    InstanceName: invocation.instanceName,
    Comment: command.comment,
    DocumentName: command.documentName,
    DocumentVersion: '$DEFAULT',
    RequestedDateTime: command.requested.getTime() / 1000,
    Status: invocation.status,
    StatusDetails: invocation.statusDetails,
    TraceOutput: '',
    StandardOutputUrl: '',
    StandardErrorUrl: '',
    CommandPlugins: details
      ? [
          {
            Name: PLUGIN_NAME,
            Status: invocation.status,
            StatusDetails: invocation.statusDetails,
            ResponseCode: invocation.responseCode,
            ...(invocation.started
              ? { ResponseStartDateTime: invocation.started.getTime() / 1000 }
              : {}),
            ...(invocation.ended
              ? { ResponseFinishDateTime: invocation.ended.getTime() / 1000 }
              : {}),
            Output:
              `${invocation.stdout}${invocation.stderr ? `\n----------ERROR-------\n${invocation.stderr}` : ''}`.slice(
                0,
                MAX_PLUGIN_OUTPUT
              ),
            StandardOutputUrl: '',
            StandardErrorUrl: '',
            OutputS3Region: command.region,
            OutputS3BucketName: '',
            OutputS3KeyPrefix: ''
          }
        ]
      : [],
    ...unusedDeliveryOptions()
  };
}

/** The notification and CloudWatch fields AWS returns empty when a command does not use them. */
function unusedDeliveryOptions(): Record<string, unknown> {
  return {
    ServiceRole: '',
    NotificationConfig: {
      NotificationArn: '',
      NotificationEvents: [],
      NotificationType: ''
    },
    CloudWatchOutputConfig: {
      CloudWatchLogGroupName: '',
      CloudWatchOutputEnabled: false
    }
  };
}

/** An entry of ListCommands, and SendCommand's `Command`. */
export function commandEntry(command: ICommand): Record<string, unknown> {
  const summary = commandStatus(command);
  return {
    CommandId: command.commandId,
    DocumentName: command.documentName,
    DocumentVersion: '$DEFAULT',
    Comment: command.comment,
    ExpiresAfter:
      (command.requested.getTime() +
        (command.timeoutSeconds + command.executionTimeoutSeconds) * 1000) /
      1000,
    Parameters: command.parameters,
    InstanceIds: command.instanceIds,
    Targets: command.targets,
    RequestedDateTime: command.requested.getTime() / 1000,
    Status: summary.status,
    StatusDetails: summary.status,
    OutputS3Region: command.region,
    OutputS3BucketName: '',
    OutputS3KeyPrefix: '',
    MaxConcurrency: '50',
    MaxErrors: '0',
    TargetCount: command.invocations.size,
    CompletedCount: summary.completed,
    ErrorCount: summary.errors,
    DeliveryTimedOutCount: summary.deliveryTimedOut,
    ...unusedDeliveryOptions(),
    TimeoutSeconds: command.timeoutSeconds
  };
}
