/**
 * The sandbox's stand-in for the `amazon-ssm-agent` binary, for containers that bootstrap themselves
 * (`sdk/remote/sm-ssh-init.sh`, `sm-ssh remote init`): the real agent cannot run here. It has the real agent's
 * command line and calls:
 *
 * - `-register -id <ActivationId> -code <ActivationCode> -region <region> [-y]`: RegisterManagedInstance with a
 *   fresh RSA key pair, the registration kept in its state directory, and the line SageMaker's logs carry
 *   (`Successfully registered the instance with AWS SSM using Managed instance-id: mi-…`);
 * - no arguments: runs. UpdateInstanceInformation (health, and the ports the container's services really listen on
 *   when they cannot have their own numbers, `SM_SSH_AGENT_PORTS="22=40022"`), then ec2messages long polls; Run
 *   Command scripts run here, in the container (local-shell.ts), and their results go back with SendReply.
 *   SIGTERM or SIGINT stops it and every script it runs.
 *
 * It talks only to the sandbox: AWS_ENDPOINT_URL_SSM and AWS_ENDPOINT_URL_EC2MESSAGES must be set. Sessions are
 * served by the sandbox itself (its port agent dials the ports this agent reported). The activation code is never
 * printed.
 */
import { generateKeyPairSync, createHash, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, networkInterfaces, release } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { AGENT_VERSION } from '../instances/registry.js';
import {
  documentParameters,
  execute,
  MAX_PLUGIN_OUTPUT,
  newInvocation,
  PLUGIN_NAME,
  type ICommand,
  type IInvocation
} from '../instances/run-command.js';
import {
  AgentCallError,
  callJson,
  environmentCredentials,
  type IJsonCall
} from './json-client.js';
import { LocalShell } from './local-shell.js';

export const DEFAULT_STATE_DIR = '/var/lib/amazon/ssm';
const REGISTRATION_LINE =
  'Successfully registered the instance with AWS SSM using Managed instance-id:';

export interface IAgentEnvironment {
  env: NodeJS.ProcessEnv;
  /** Where log lines go (the real agent logs to stdout too). */
  log: (line: string) => void;
  /** The first line of stdin, for the re-registration question (`echo Yes | amazon-ssm-agent -register …`). */
  readAnswer: () => Promise<string>;
}

interface IRegistration {
  ManagedInstanceID: string;
  Region: string;
}

/** A usage or setup problem: printed as one line, exit code 1 (as the real agent exits). */
class AgentError extends Error {}

function timestamp(): string {
  return new Date().toISOString().replace('T', ' ').slice(0, 19);
}

function stateDir(env: NodeJS.ProcessEnv): string {
  return env.SM_SSH_AGENT_STATE_DIR || DEFAULT_STATE_DIR;
}

function endpoint(
  env: NodeJS.ProcessEnv,
  service: 'SSM' | 'EC2MESSAGES'
): string {
  const url = env[`AWS_ENDPOINT_URL_${service}`] ?? env.AWS_ENDPOINT_URL;
  if (!url) {
    throw new AgentError(
      `AWS_ENDPOINT_URL_${service} is not set: this is the sandbox's stand-in for amazon-ssm-agent and talks only to the sandbox`
    );
  }
  return url;
}

function readRegistration(env: NodeJS.ProcessEnv): IRegistration | undefined {
  try {
    const parsed = JSON.parse(
      readFileSync(join(stateDir(env), 'registration'), 'utf8')
    ) as Partial<IRegistration>;
    return parsed.ManagedInstanceID && parsed.Region
      ? { ManagedInstanceID: parsed.ManagedInstanceID, Region: parsed.Region }
      : undefined;
  } catch {
    return undefined;
  }
}

/** `-flag value` pairs and bare flags, as the agent's Go flag package reads them (`-flag` or `--flag`). */
function parseFlags(argv: string[]): Map<string, string | true> {
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!/^--?[a-zA-Z]/.test(arg)) {
      throw new AgentError(`unexpected argument ${arg}`);
    }
    const [name, inline] = arg.replace(/^--?/, '').split('=', 2);
    if (inline !== undefined) {
      flags.set(name, inline);
    } else if (['register', 'y', 'clear'].includes(name)) {
      flags.set(name, true);
    } else if (i + 1 < argv.length) {
      flags.set(name, argv[++i]);
    } else {
      throw new AgentError(`flag needs an argument: -${name}`);
    }
  }
  return flags;
}

async function register(
  flags: Map<string, string | true>,
  agent: IAgentEnvironment
): Promise<void> {
  const id = flags.get('id');
  const code = flags.get('code');
  const region = flags.get('region');
  if (
    typeof id !== 'string' ||
    typeof code !== 'string' ||
    typeof region !== 'string'
  ) {
    throw new AgentError(
      'usage: amazon-ssm-agent -register -id <activation id> -code <activation code> -region <region> [-y]'
    );
  }
  const previous = readRegistration(agent.env);
  if (previous && flags.get('y') !== true) {
    agent.log(
      `${timestamp()} INFO This instance is registered as ${previous.ManagedInstanceID}. Register it again? [Yes/No]`
    );
    if (!/^y(es)?$/i.test((await agent.readAnswer()).trim())) {
      throw new AgentError('Registration canceled by user');
    }
  }
  const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const publicKey = keys.publicKey
    .export({ type: 'spki', format: 'der' })
    .toString('base64');
  const answer = await callJson(
    {
      endpoint: endpoint(agent.env, 'SSM'),
      targetPrefix: 'AmazonSSM',
      signingName: 'ssm',
      region
    },
    'RegisterManagedInstance',
    {
      ActivationCode: code,
      ActivationId: id,
      PublicKey: publicKey,
      PublicKeyType: 'Rsa',
      Fingerprint: createHash('sha256').update(hostname()).digest('hex')
    }
  ).catch((error: unknown) => {
    throw new AgentError(
      `Registration failed due to ${error instanceof Error ? error.message : String(error)}`
    );
  });
  const instanceId = String(answer.InstanceId ?? '');
  const dir = stateDir(agent.env);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(
    join(dir, 'registration'),
    JSON.stringify({ ManagedInstanceID: instanceId, Region: region }),
    { mode: 0o600 }
  );
  writeFileSync(
    join(dir, 'registration-key'),
    keys.privateKey.export({ type: 'pkcs8', format: 'pem' }),
    { mode: 0o600 }
  );
  agent.log(`${timestamp()} INFO ${REGISTRATION_LINE} ${instanceId}`);
}

/** `SM_SSH_AGENT_PORTS="22=40022,8888=18888"`: the container's ports as this machine's. */
export function parsePortMap(text: string | undefined): Record<string, number> {
  const ports: Record<string, number> = {};
  for (const pair of (text ?? '').split(',').filter(Boolean)) {
    const match = /^\s*(\d{1,5})\s*[=:]\s*(\d{1,5})\s*$/.exec(pair);
    if (!match) {
      throw new AgentError(
        `SM_SSH_AGENT_PORTS: "${pair}" is not <port>=<local port>, e.g. 22=40022`
      );
    }
    ports[match[1]] = Number(match[2]);
  }
  return ports;
}

function ipAddress(): string {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? []) {
      if (address.family === 'IPv4' && !address.internal) {
        return address.address;
      }
    }
  }
  return '127.0.0.1';
}

interface IRunning {
  messageId: string;
  invocation: IInvocation;
}

/** The running agent: reports in, polls ec2messages, runs what it gets. */
class RunningAgent {
  private readonly shell: LocalShell;
  private readonly running = new Map<string, IRunning>();
  private readonly abort = new AbortController();
  private readonly ssm: IJsonCall;
  private readonly messages: IJsonCall;

  constructor(
    private readonly registration: IRegistration,
    private readonly agent: IAgentEnvironment
  ) {
    this.shell = new LocalShell(agent.env);
    const credentials = environmentCredentials(agent.env);
    const common = {
      region: registration.Region,
      credentials,
      signal: this.abort.signal
    };
    this.ssm = {
      ...common,
      endpoint: endpoint(agent.env, 'SSM'),
      targetPrefix: 'AmazonSSM',
      signingName: 'ssm'
    };
    this.messages = {
      ...common,
      endpoint: endpoint(agent.env, 'EC2MESSAGES'),
      targetPrefix: 'EC2WindowsMessageDeliveryService',
      signingName: 'ec2messages'
    };
  }

  private get instanceId(): string {
    return this.registration.ManagedInstanceID;
  }

  stop(): void {
    this.abort.abort();
  }

  private get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  private reportHealth(ports: Record<string, number>): Promise<unknown> {
    return callJson(this.ssm, 'UpdateInstanceInformation', {
      InstanceId: this.instanceId,
      AgentName: 'amazon-ssm-agent',
      AgentStatus: 'Active',
      AgentVersion: AGENT_VERSION,
      ComputerName: hostname(),
      IPAddress: ipAddress(),
      PlatformName: 'Linux',
      PlatformType: 'Linux',
      PlatformVersion: release(),
      ...(Object.keys(ports).length > 0 ? { SandboxLocalPorts: ports } : {})
    });
  }

  async run(): Promise<void> {
    const ports = parsePortMap(this.agent.env.SM_SSH_AGENT_PORTS);
    const healthMs =
      Number(this.agent.env.SM_SSH_AGENT_HEALTH_SECONDS || 300) * 1000;
    this.agent.log(
      `${timestamp()} INFO amazon-ssm-agent (sandbox stand-in) ${AGENT_VERSION} running as ${this.instanceId}`
    );
    let failures = 0;
    let lastHealth = 0;
    while (!this.stopped) {
      try {
        if (Date.now() - lastHealth >= healthMs) {
          await this.reportHealth(ports);
          lastHealth = Date.now();
        }
        const answer = await callJson(this.messages, 'GetMessages', {
          Destination: this.instanceId,
          MessagesRequestId: randomUUID(),
          VisibilityTimeoutInSeconds: 10
        });
        failures = 0;
        for (const message of (answer.Messages ?? []) as Record<
          string,
          unknown
        >[]) {
          void this.handle(message);
        }
      } catch (error) {
        if (this.stopped) {
          break;
        }
        failures++;
        lastHealth = 0;
        const wait = Math.min(30_000, 500 * 2 ** Math.min(failures, 6));
        this.agent.log(
          `${timestamp()} ERROR ${error instanceof AgentCallError ? error.message : String(error)}; retrying in ${wait / 1000} s`
        );
        await delay(wait, undefined, { signal: this.abort.signal }).catch(
          () => undefined
        );
      }
    }
    await this.shell.stop();
  }

  private async handle(message: Record<string, unknown>): Promise<void> {
    const messageId = String(message.MessageId);
    const topic = String(message.Topic ?? '');
    try {
      await callJson(this.messages, 'AcknowledgeMessage', {
        MessageId: messageId
      });
      const payload = JSON.parse(String(message.Payload)) as Record<
        string,
        unknown
      >;
      if (topic.startsWith('aws.ssm.cancelCommand')) {
        const target = [...this.running.values()].find(
          entry => entry.messageId === payload.CancelMessageId
        );
        target?.invocation.cancel?.();
      } else if (topic.startsWith('aws.ssm.sendCommand')) {
        await this.runCommand(messageId, payload);
      } else {
        await callJson(this.messages, 'FailMessage', {
          MessageId: messageId,
          FailureType: 'NoHandlerExists'
        });
        return;
      }
      await callJson(this.messages, 'DeleteMessage', { MessageId: messageId });
    } catch (error) {
      if (!this.stopped) {
        this.agent.log(
          `${timestamp()} ERROR message ${messageId}: ${error instanceof Error ? error.message : String(error)}`
        );
      }
    }
  }

  private async runCommand(
    messageId: string,
    payload: Record<string, unknown>
  ): Promise<void> {
    const commandId = String(payload.CommandId);
    const { parameters, executionTimeoutSeconds } = documentParameters({
      DocumentName: payload.DocumentName,
      Parameters: payload.Parameters
    });
    const command: ICommand = {
      commandId,
      account: '',
      region: this.registration.Region,
      documentName: String(payload.DocumentName),
      comment: '',
      parameters,
      instanceIds: [this.instanceId],
      targets: [],
      requested: new Date(),
      timeoutSeconds: 0,
      executionTimeoutSeconds,
      invocations: new Map()
    };
    const invocation = newInvocation(command, this.instanceId, hostname());
    this.agent.log(`${timestamp()} INFO [${commandId}] running ${PLUGIN_NAME}`);
    const started = new Date();
    await this.reply(messageId, 'InProgress', { code: 0, started });
    this.running.set(commandId, { messageId, invocation });
    try {
      await execute(command, invocation, this.shell);
    } finally {
      this.running.delete(commandId);
    }
    await this.reply(messageId, invocation.status, {
      code: invocation.responseCode,
      started,
      ended: invocation.ended ?? new Date(),
      stdout: invocation.stdout,
      stderr: invocation.stderr
    });
    this.agent.log(
      `${timestamp()} INFO [${commandId}] ${invocation.status} (exit code ${invocation.responseCode})`
    );
  }

  /** SendReply with the real agent's SendReplyPayload. */
  private reply(
    messageId: string,
    status: string,
    result: {
      code: number;
      started: Date;
      ended?: Date;
      stdout?: string;
      stderr?: string;
    }
  ): Promise<unknown> {
    const stdout = result.stdout ?? '';
    const stderr = result.stderr ?? '';
    const payload = {
      additionalInfo: {
        agent: {
          lang: 'en-US',
          name: 'amazon-ssm-agent',
          os: 'Linux',
          osver: release(),
          ver: AGENT_VERSION
        },
        dateTime: new Date().toISOString(),
        runId: '',
        runtimeStatusCounts: { [status]: 1 }
      },
      documentStatus: status,
      documentTraceOutput: '',
      runtimeStatus: {
        [PLUGIN_NAME]: {
          status,
          code: result.code,
          name: PLUGIN_NAME,
          output:
            `${stdout}${stderr ? `\n----------ERROR-------\n${stderr}` : ''}`.slice(
              0,
              MAX_PLUGIN_OUTPUT
            ),
          startDateTime: result.started.toISOString(),
          endDateTime: result.ended?.toISOString() ?? '',
          outputS3BucketName: '',
          outputS3KeyPrefix: '',
          stepName: '',
          standardOutput: stdout,
          standardError: stderr
        }
      }
    };
    return callJson(this.messages, 'SendReply', {
      MessageId: messageId,
      Payload: JSON.stringify(payload),
      ReplyId: randomUUID()
    });
  }
}

/**
 * Runs the stand-in with the agent's command line; resolves with its exit code. `stop` (a signal) ends a running
 * agent after its scripts.
 */
export async function runAgent(
  argv: string[],
  agent: IAgentEnvironment,
  stopSignal: AbortSignal
): Promise<number> {
  try {
    const flags = parseFlags(argv);
    if (flags.get('register') === true) {
      await register(flags, agent);
      return 0;
    }
    if (flags.size > 0) {
      throw new AgentError(
        `unknown flags ${[...flags.keys()].map(flag => `-${flag}`).join(' ')}; the stand-in knows -register -id -code -region [-y]`
      );
    }
    const registration = readRegistration(agent.env);
    if (!registration) {
      throw new AgentError(
        `no registration in ${stateDir(agent.env)}: run amazon-ssm-agent -register -id … -code … -region … first`
      );
    }
    const running = new RunningAgent(registration, agent);
    stopSignal.addEventListener('abort', () => running.stop(), { once: true });
    if (stopSignal.aborted) {
      running.stop();
    }
    await running.run();
    agent.log(`${timestamp()} INFO amazon-ssm-agent stopped`);
    return 0;
  } catch (error) {
    agent.log(
      `${timestamp()} ERROR ${error instanceof Error ? error.message : String(error)}`
    );
    return 1;
  }
}
