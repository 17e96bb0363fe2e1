/**
 * The sandbox's managed instances: hybrid activations, registration (what `amazon-ssm-agent -register` does),
 * DescribeInstanceInformation, tags of `ManagedInstance` resources, deregistration and Run Command. An instance
 * registered from the sandbox's own side gets its own host (host.ts: own /etc/ssh, a real sshd on a loopback port)
 * unless asked not to; one registered by an agent (RegisterManagedInstance, e.g. the stand-in agent in a sandbox
 * container) has none: its agent reports in (UpdateInstanceInformation, ec2messages polls), runs its Run Command
 * scripts itself (agent-messages.ts) and its sessions reach the container's ports. State is per account and region,
 * like AWS; instance ids are unique across them.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AwsServiceError,
  type ICallContext,
  type JsonOperation
} from '../aws-json-server.js';
import { AgentMessages, type IAgentMessagesOptions } from './agent-messages.js';
import {
  instanceFilter,
  INSTANCE_ID,
  paginate,
  tagList,
  validationError,
  type IInstanceFacts,
  type PingStatus
} from './filters.js';
import { InstanceHost } from './host.js';
import {
  commandEntry,
  documentParameters,
  execute,
  finish,
  invocationEntry,
  invocationResponse,
  newCommand,
  newInvocation,
  PLUGIN_NAME,
  type ICommand,
  type IInvocation
} from './run-command.js';

export const AGENT_VERSION = '3.3.1957.0';
const MAX_TAGS_PER_RESOURCE = 50;
const RESOURCE_TYPES = [
  'Document',
  'ManagedInstance',
  'MaintenanceWindow',
  'Parameter',
  'PatchBaseline',
  'OpsItem',
  'OpsMetadata',
  'Automation',
  'Association'
];

/** Where a call lands: an account and a region. */
export interface IScope {
  account: string;
  region: string;
}

export interface IActivation extends IScope {
  activationId: string;
  activationCode: string;
  description: string;
  defaultInstanceName: string;
  iamRole: string;
  registrationLimit: number;
  registrationsCount: number;
  expirationDate: Date;
  createdDate: Date;
  tags: [string, string][];
}

export interface IManagedInstance extends IScope, IInstanceFacts {
  /** DefaultInstanceName of the activation (DescribeInstanceInformation `Name`). */
  name: string;
  computerName: string;
  ipAddress: string;
  registrationDate: Date;
  platformName: string;
  platformVersion: string;
  tags: Map<string, string>;
  /** Frozen when the instance goes offline; "now" while Online. */
  lastPing: Date;
  /** The instance's own sshd and namespaces; absent for control-plane-only and agent-run instances. */
  host?: InstanceHost;
  /** Set when the instance runs its own agent (registered through RegisterManagedInstance). */
  agent?: IAgentLink;
}

/** What the sandbox knows of an instance's own agent. */
export interface IAgentLink {
  /**
   * Ports of the instance as ports of this machine, as the agent reported them (`SandboxLocalPorts` of its
   * UpdateInstanceInformation): a container shares the machine's network, so its sshd cannot have port 22 itself.
   */
  localPorts: Map<number, number>;
}

export interface IInstanceRegistryOptions {
  /** Default account and region of instances created without a call (the JSON server's defaults). */
  account?: string;
  region?: string;
  /** Where instance directories go (default: a fresh `sm-ssh-instances-*` directory in the OS temp dir). */
  root?: string;
  /** Host key types each host generates (default ed25519 and ecdsa). */
  hostKeyTypes?: string[];
  /** Hold every invocation Pending this long before it starts (to test polling). Default 0. */
  commandStartDelayMs?: number;
  /** The ec2messages long poll and the silence after which an agent-run instance goes ConnectionLost. */
  agentMessages?: IAgentMessagesOptions;
}

export interface IRegisterOptions {
  activationId: string;
  activationCode: string;
  /** The instance's hostname (default: the DefaultInstanceName or the id). */
  computerName?: string;
  /** Public keys the instance's sshd accepts for root from the start. */
  authorizedKeys?: string[];
  /** Start a host (sshd, namespaces) for the instance; default true. */
  host?: boolean;
  /**
   * The instance runs its own agent (RegisterManagedInstance): no host; ConnectionLost until the agent reports in;
   * Run Command goes to the agent through ec2messages.
   */
  agent?: boolean;
}

export interface ILaunchOptions extends Partial<IScope> {
  /** DefaultInstanceName of its activation. */
  name?: string;
  /** Tags of its activation, which the instance inherits. */
  tags?: Record<string, string> | [string, string][];
  iamRole?: string;
  computerName?: string;
  authorizedKeys?: string[];
  host?: boolean;
}

/** Where a session's port is, on the sandbox's machine. */
export interface ITargetEndpoint {
  host: string;
  port: number;
}

function newInstanceId(): string {
  return `mi-${randomBytes(9).toString('hex').slice(0, 17)}`;
}

function requireString(input: Record<string, unknown>, name: string): string {
  const value = input[name];
  if (typeof value !== 'string' || value.length === 0) {
    throw validationError(
      `Value null at '${name.charAt(0).toLowerCase()}${name.slice(1)}' failed to satisfy constraint: Member must not be null`
    );
  }
  return value;
}

function isPort(value: unknown): value is number {
  return (
    typeof value === 'number' &&
    Number.isInteger(value) &&
    value > 0 &&
    value < 65536
  );
}

function epochSeconds(date: Date): number {
  return date.getTime() / 1000;
}

export class InstanceRegistry {
  private readonly activations = new Map<string, IActivation>();
  private readonly instances = new Map<string, IManagedInstance>();
  private readonly commands = new Map<string, ICommand>();
  private readonly pending = new Set<Promise<unknown>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private rootDir?: string;
  private closed = false;
  /** The ec2messages queues of agent-run instances (`agentMessages.service()` is the JSON service). */
  readonly agentMessages: AgentMessages;

  constructor(private readonly options: IInstanceRegistryOptions = {}) {
    this.agentMessages = new AgentMessages(
      {
        agentInstance: (call, id) => this.requireAgentRun(call, id),
        agentSeen: (instanceId, alive) => {
          const instance = this.instances.get(instanceId);
          const status = alive ? 'Online' : 'ConnectionLost';
          if (instance && instance.pingStatus !== status) {
            this.setPingStatus(instanceId, status);
          }
        }
      },
      options.agentMessages
    );
  }

  private get defaultScope(): IScope {
    return {
      account: this.options.account ?? '123456789012',
      region: this.options.region ?? 'us-east-1'
    };
  }

  /** The directory holding the instances' directories (created on first use). */
  get root(): string {
    if (!this.rootDir) {
      this.rootDir =
        this.options.root ?? mkdtempSync(join(tmpdir(), 'sm-ssh-instances-'));
    }
    return this.rootDir;
  }

  private track<T>(promise: Promise<T>): Promise<T> {
    this.pending.add(promise);
    void promise
      .catch(() => undefined)
      .finally(() => this.pending.delete(promise));
    return promise;
  }

  private later(ms: number, callback: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      callback();
    }, ms);
    this.timers.add(timer);
  }

  // ---- the sandbox's own face (tests, demo, data channel) ----

  /** Every instance, in registration order. */
  list(): IManagedInstance[] {
    return [...this.instances.values()];
  }

  get(instanceId: string): IManagedInstance | undefined {
    return this.instances.get(instanceId);
  }

  /** The instance, or InvalidInstanceId. */
  require(instanceId: string): IManagedInstance {
    const instance = this.instances.get(instanceId);
    if (!instance) {
      throw new AwsServiceError(
        'InvalidInstanceId',
        `Instance ${instanceId} is not a registered managed instance`
      );
    }
    return instance;
  }

  /**
   * Whether the instance's agent runs: `Online` (default after registration), or `ConnectionLost` / `Inactive`
   * to take it offline (sessions and commands then fail as on AWS). The host keeps running.
   */
  setPingStatus(instanceId: string, status: PingStatus): void {
    const instance = this.require(instanceId);
    if (instance.pingStatus === 'Online') {
      instance.lastPing = new Date();
    }
    instance.pingStatus = status;
  }

  /**
   * Where a session to `portNumber` of an instance connects, or undefined when the instance is unknown, offline
   * or has neither a host nor an agent. Port 22 is the instance's sshd; the instance shares the machine's network,
   * so other ports (and remote hosts) are reached as they are. An agent-run instance's local ports are those its
   * agent reported (its container's sshd on a free port stands for port 22).
   */
  resolveTarget(
    instanceId: string,
    portNumber: number,
    host?: string
  ): ITargetEndpoint | undefined {
    const instance = this.instances.get(instanceId);
    if (
      !instance ||
      instance.pingStatus !== 'Online' ||
      !(instance.agent || instance.host?.running)
    ) {
      return undefined;
    }
    const local =
      !host || host === 'localhost' || host === '127.0.0.1' || host === '::1';
    if (instance.agent) {
      return local
        ? {
            host: '127.0.0.1',
            port: instance.agent.localPorts.get(portNumber) ?? portNumber
          }
        : { host: host as string, port: portNumber };
    }
    if (local && portNumber === 22 && instance.host) {
      return { host: instance.host.sshHost, port: instance.host.sshPort };
    }
    return { host: local ? '127.0.0.1' : host, port: portNumber };
  }

  /** The activation (with its code), for tests that check what a container printed. */
  activation(activationId: string): IActivation | undefined {
    return this.activations.get(activationId);
  }

  /** CreateActivation without HTTP (the container side's `create-activation`). */
  createActivation(
    scope: Partial<IScope>,
    input: Record<string, unknown>
  ): IActivation {
    const iamRole = requireString(input, 'IamRole');
    const limit = input.RegistrationLimit ?? 1;
    if (
      typeof limit !== 'number' ||
      !Number.isInteger(limit) ||
      limit < 1 ||
      limit > 1000
    ) {
      throw validationError(
        `Value '${String(limit)}' at 'registrationLimit' failed to satisfy constraint: Member must have value between 1 and 1000`
      );
    }
    const now = new Date();
    let expirationDate = new Date(now.getTime() + 24 * 3600 * 1000);
    if (input.ExpirationDate !== undefined) {
      expirationDate = new Date(Number(input.ExpirationDate) * 1000);
      if (
        Number.isNaN(expirationDate.getTime()) ||
        expirationDate <= now ||
        expirationDate.getTime() > now.getTime() + 30 * 24 * 3600 * 1000
      ) {
        throw new AwsServiceError(
          'InvalidParameters',
          'ExpirationDate must be in the future and at most 30 days away'
        );
      }
    }
    const activation: IActivation = {
      account: scope.account ?? this.defaultScope.account,
      region: scope.region ?? this.defaultScope.region,
      activationId: randomUUID(),
      activationCode: randomBytes(15).toString('base64url').slice(0, 20),
      description: String(input.Description ?? ''),
      defaultInstanceName: String(input.DefaultInstanceName ?? ''),
      iamRole,
      registrationLimit: limit,
      registrationsCount: 0,
      expirationDate,
      createdDate: now,
      tags: tagList(input.Tags)
    };
    this.activations.set(activation.activationId, activation);
    return activation;
  }

  /**
   * Registers an instance with an activation, as `amazon-ssm-agent -register -id -code -region` does: the
   * instance gets the activation's name, role and tags, and (unless `host: false`) a running host.
   */
  async register(options: IRegisterOptions): Promise<IManagedInstance> {
    const activation = this.activations.get(options.activationId);
    if (!activation || activation.activationCode !== options.activationCode) {
      throw new AwsServiceError(
        'InvalidActivation',
        'Activation ID or activation code is not valid'
      );
    }
    if (activation.expirationDate <= new Date()) {
      throw new AwsServiceError(
        'InvalidActivation',
        `Activation ${activation.activationId} has expired`
      );
    }
    if (activation.registrationsCount >= activation.registrationLimit) {
      throw new AwsServiceError(
        'InvalidActivation',
        `Activation ${activation.activationId} reached its registration limit of ${activation.registrationLimit}`
      );
    }
    activation.registrationsCount += 1;
    const instanceId = newInstanceId();
    const computerName =
      options.computerName ||
      (activation.defaultInstanceName || instanceId).slice(0, 63);
    let host: InstanceHost | undefined;
    if (options.host !== false && !options.agent) {
      try {
        host = await this.track(
          InstanceHost.start({
            root: this.root,
            instanceId,
            hostname: computerName,
            authorizedKeys: options.authorizedKeys,
            hostKeyTypes: this.options.hostKeyTypes
          })
        );
      } catch (error) {
        activation.registrationsCount -= 1;
        throw error;
      }
      if (this.closed) {
        await host.stop();
        throw new AwsServiceError('InternalServerError', 'the sandbox closed');
      }
    }
    const now = new Date();
    const instance: IManagedInstance = {
      account: activation.account,
      region: activation.region,
      instanceId,
      name: activation.defaultInstanceName,
      computerName,
      ipAddress: '127.0.0.1',
      registrationDate: now,
      lastPing: now,
      pingStatus: options.agent ? 'ConnectionLost' : 'Online',
      agentVersion: AGENT_VERSION,
      platformType: 'Linux',
      platformName: 'Debian GNU/Linux',
      platformVersion: '12',
      activationId: activation.activationId,
      iamRole: activation.iamRole,
      resourceType: 'ManagedInstance',
      tags: new Map(activation.tags),
      host,
      ...(options.agent ? { agent: { localPorts: new Map() } } : {})
    };
    this.instances.set(instanceId, instance);
    return instance;
  }

  /** An activation with RegistrationLimit 1 and one instance registered with it, in one step. */
  async launch(options: ILaunchOptions = {}): Promise<IManagedInstance> {
    const tags = Array.isArray(options.tags)
      ? options.tags
      : Object.entries(options.tags ?? {});
    const activation = this.createActivation(
      { account: options.account, region: options.region },
      {
        IamRole:
          options.iamRole ??
          'service-role/AmazonEC2RunCommandRoleForManagedInstances',
        RegistrationLimit: 1,
        DefaultInstanceName: options.name,
        Tags: tags.map(([Key, Value]) => ({ Key, Value }))
      }
    );
    return this.register({
      activationId: activation.activationId,
      activationCode: activation.activationCode,
      computerName: options.computerName,
      authorizedKeys: options.authorizedKeys,
      host: options.host
    });
  }

  /** Removes the instance (DeregisterManagedInstance); its host stops in the background (awaited by close). */
  deregister(instanceId: string): void {
    const instance = this.require(instanceId);
    this.instances.delete(instanceId);
    if (instance.agent) {
      this.agentMessages.forget(instanceId);
    }
    if (instance.host) {
      void this.track(instance.host.stop());
    }
  }

  /** Stops every host and pending command, and removes the temp root. */
  async close(): Promise<void> {
    this.closed = true;
    this.agentMessages.close();
    for (const timer of this.timers) {
      clearTimeout(timer);
    }
    this.timers.clear();
    for (const command of this.commands.values()) {
      for (const invocation of command.invocations.values()) {
        invocation.cancel?.();
        finish(invocation, 'Cancelled', 'Cancelled', -1, '', '');
      }
    }
    const hosts = this.list().flatMap(instance =>
      instance.host ? [instance.host] : []
    );
    this.instances.clear();
    await Promise.allSettled([
      ...hosts.map(host => host.stop()),
      ...this.pending
    ]);
    // hosts whose start was pending when we closed
    await Promise.allSettled([...this.pending]);
    if (this.rootDir && !this.options.root) {
      rmSync(this.rootDir, { recursive: true, force: true });
    }
  }

  // ---- the AWS operations ----

  private inScope(call: ICallContext): IManagedInstance[] {
    return this.list().filter(
      instance =>
        instance.account === call.account && instance.region === call.region
    );
  }

  private requireInScope(call: ICallContext, id: unknown): IManagedInstance {
    const instance =
      typeof id === 'string' ? this.instances.get(id) : undefined;
    if (
      !instance ||
      instance.account !== call.account ||
      instance.region !== call.region
    ) {
      throw new AwsServiceError(
        'InvalidInstanceId',
        `Instance ${String(id)} is not a registered managed instance in account ${call.account}, region ${call.region}`
      );
    }
    return instance;
  }

  /** An agent-run instance of the call's scope, or InvalidInstanceId. */
  private requireAgentRun(call: ICallContext, id: unknown): IManagedInstance {
    const instance = this.requireInScope(call, id);
    if (!instance.agent) {
      throw new AwsServiceError(
        'InvalidInstanceId',
        `Instance ${instance.instanceId} was not registered by an agent`
      );
    }
    return instance;
  }

  /** RegisterManagedInstance: what `amazon-ssm-agent -register` calls with its activation and a fresh key pair. */
  async registerManagedInstance(
    input: Record<string, unknown>
  ): Promise<Record<string, unknown>> {
    const activationId = requireString(input, 'ActivationId');
    const activationCode = requireString(input, 'ActivationCode');
    requireString(input, 'PublicKey');
    const keyType = input.PublicKeyType ?? 'Rsa';
    if (keyType !== 'Rsa') {
      throw new AwsServiceError(
        'InvalidParameters',
        `PublicKeyType ${String(keyType)} is not supported; the agent registers an Rsa key`
      );
    }
    const instance = await this.register({
      activationId,
      activationCode,
      agent: true
    });
    return { InstanceId: instance.instanceId };
  }

  /** UpdateInstanceInformation: the agent's health report (what DescribeInstanceInformation then shows). */
  updateInstanceInformation(
    call: ICallContext,
    input: Record<string, unknown>
  ): void {
    const instance = this.requireAgentRun(call, input.InstanceId);
    const text = (name: string): string | undefined =>
      typeof input[name] === 'string' && input[name] !== ''
        ? (input[name] as string)
        : undefined;
    instance.agentVersion = text('AgentVersion') ?? instance.agentVersion;
    instance.computerName = text('ComputerName') ?? instance.computerName;
    instance.ipAddress = text('IPAddress') ?? instance.ipAddress;
    instance.platformName = text('PlatformName') ?? instance.platformName;
    instance.platformVersion =
      text('PlatformVersion') ?? instance.platformVersion;
    const ports = input.SandboxLocalPorts;
    if (ports !== undefined) {
      if (ports === null || typeof ports !== 'object' || Array.isArray(ports)) {
        throw validationError(
          "Value at 'sandboxLocalPorts' failed to satisfy constraint: Member must be a map of port to port"
        );
      }
      const map = new Map<number, number>();
      for (const [from, to] of Object.entries(ports)) {
        const port = Number(from);
        if (!isPort(port) || !isPort(to)) {
          throw validationError(
            `Value '${from}: ${String(to)}' at 'sandboxLocalPorts' failed to satisfy constraint: ports are 1..65535`
          );
        }
        map.set(port, to);
      }
      (instance.agent as IAgentLink).localPorts = map;
    }
    this.agentMessages.heard(instance.instanceId);
  }

  private instanceInformation(
    instance: IManagedInstance
  ): Record<string, unknown> {
    const lastPing =
      instance.pingStatus === 'Online' ? new Date() : instance.lastPing;
    return {
      InstanceId: instance.instanceId,
      PingStatus: instance.pingStatus,
      LastPingDateTime: epochSeconds(lastPing),
      AgentVersion: instance.agentVersion,
      IsLatestVersion: true,
      PlatformType: instance.platformType,
      PlatformName: instance.platformName,
      PlatformVersion: instance.platformVersion,
      ActivationId: instance.activationId,
      IamRole: instance.iamRole,
      RegistrationDate: epochSeconds(instance.registrationDate),
      ResourceType: instance.resourceType,
      Name: instance.name,
      IPAddress: instance.ipAddress,
      ComputerName: instance.computerName,
      SourceId: instance.instanceId,
      SourceType: 'AWS::SSM::ManagedInstance'
    };
  }

  describeInstanceInformation(
    call: ICallContext,
    input: Record<string, unknown>
  ): Record<string, unknown> {
    const candidates = this.inScope(call);
    const predicate = instanceFilter(
      input,
      new Set(candidates.map(instance => instance.instanceId))
    );
    const page = paginate(candidates.filter(predicate), input, {
      min: 5,
      max: 50,
      fallback: 50
    });
    return {
      InstanceInformationList: page.items.map(instance =>
        this.instanceInformation(instance)
      ),
      ...(page.nextToken ? { NextToken: page.nextToken } : {})
    };
  }

  private taggedInstance(
    call: ICallContext,
    input: Record<string, unknown>
  ): IManagedInstance {
    const type = requireString(input, 'ResourceType');
    const id = requireString(input, 'ResourceId');
    if (!RESOURCE_TYPES.includes(type)) {
      throw validationError(
        `Value '${type}' at 'resourceType' failed to satisfy constraint: Member must satisfy enum value set: [${RESOURCE_TYPES.join(', ')}]`
      );
    }
    if (type !== 'ManagedInstance') {
      throw new AwsServiceError(
        'InvalidResourceType',
        `The sandbox keeps tags of ManagedInstance resources only, not ${type}`
      );
    }
    const instance = this.instances.get(id);
    if (
      !instance ||
      instance.account !== call.account ||
      instance.region !== call.region
    ) {
      throw new AwsServiceError(
        'InvalidResourceId',
        `The resource ID "${id}" is not valid. Verify the ID and try again.`
      );
    }
    return instance;
  }

  listTagsForResource(
    call: ICallContext,
    input: Record<string, unknown>
  ): Record<string, unknown> {
    const instance = this.taggedInstance(call, input);
    return {
      TagList: [...instance.tags].map(([Key, Value]) => ({ Key, Value }))
    };
  }

  addTagsToResource(call: ICallContext, input: Record<string, unknown>): void {
    const instance = this.taggedInstance(call, input);
    const tags = tagList(input.Tags);
    if (tags.length === 0) {
      throw validationError(
        "Value '[]' at 'tags' failed to satisfy constraint: Member must have length greater than or equal to 1"
      );
    }
    const merged = new Map(instance.tags);
    for (const [key, value] of tags) {
      merged.set(key, value);
    }
    if (merged.size > MAX_TAGS_PER_RESOURCE) {
      throw new AwsServiceError(
        'TooManyTagsError',
        `A resource can have at most ${MAX_TAGS_PER_RESOURCE} tags`
      );
    }
    instance.tags = merged;
  }

  removeTagsFromResource(
    call: ICallContext,
    input: Record<string, unknown>
  ): void {
    const instance = this.taggedInstance(call, input);
    const keys = input.TagKeys;
    if (!Array.isArray(keys) || !keys.every(key => typeof key === 'string')) {
      throw validationError(
        "Value null at 'tagKeys' failed to satisfy constraint: Member must not be null"
      );
    }
    for (const key of keys as string[]) {
      instance.tags.delete(key);
    }
  }

  private activationEntry(activation: IActivation): Record<string, unknown> {
    return {
      ActivationId: activation.activationId,
      Description: activation.description,
      DefaultInstanceName: activation.defaultInstanceName,
      IamRole: activation.iamRole,
      RegistrationLimit: activation.registrationLimit,
      RegistrationsCount: activation.registrationsCount,
      ExpirationDate: epochSeconds(activation.expirationDate),
      Expired: activation.expirationDate <= new Date(),
      CreatedDate: epochSeconds(activation.createdDate),
      Tags: activation.tags.map(([Key, Value]) => ({ Key, Value }))
    };
  }

  describeActivations(
    call: ICallContext,
    input: Record<string, unknown>
  ): Record<string, unknown> {
    const keys: Record<string, (activation: IActivation) => string> = {
      ActivationIds: activation => activation.activationId,
      DefaultInstanceName: activation => activation.defaultInstanceName,
      IamRole: activation => activation.iamRole
    };
    const filters = ((input.Filters ?? []) as Record<string, unknown>[]).map(
      filter => {
        const key = String(filter.FilterKey);
        if (!(key in keys)) {
          throw new AwsServiceError(
            'InvalidFilter',
            `The filter key ${key} is not valid. Valid keys: ${Object.keys(keys).join(', ')}`
          );
        }
        const values = Array.isArray(filter.FilterValues)
          ? filter.FilterValues.map(String)
          : [];
        return (activation: IActivation) =>
          values.includes(keys[key](activation));
      }
    );
    const matching = [...this.activations.values()].filter(
      activation =>
        activation.account === call.account &&
        activation.region === call.region &&
        filters.every(filter => filter(activation))
    );
    const page = paginate(matching, input, { min: 1, max: 50, fallback: 50 });
    return {
      ActivationList: page.items.map(activation =>
        this.activationEntry(activation)
      ),
      ...(page.nextToken ? { NextToken: page.nextToken } : {})
    };
  }

  deleteActivation(call: ICallContext, input: Record<string, unknown>): void {
    const id = requireString(input, 'ActivationId');
    const activation = this.activations.get(id);
    if (
      !activation ||
      activation.account !== call.account ||
      activation.region !== call.region
    ) {
      throw new AwsServiceError(
        'InvalidActivationId',
        `The activation ID ${id} is not valid`
      );
    }
    this.activations.delete(id);
  }

  /** The instances a SendCommand addresses: InstanceIds, or Targets by `InstanceIds`, `tag:<key>`, `tag-key`. */
  private commandTargets(
    call: ICallContext,
    input: Record<string, unknown>
  ): IManagedInstance[] {
    const ids = input.InstanceIds;
    const targets = input.Targets;
    const hasIds = Array.isArray(ids) && ids.length > 0;
    const hasTargets = Array.isArray(targets) && targets.length > 0;
    if (hasIds === hasTargets) {
      throw new AwsServiceError(
        'InvalidParameters',
        'Specify either InstanceIds or Targets'
      );
    }
    if (hasIds) {
      if (ids.length > 50) {
        throw validationError(
          "Value at 'instanceIds' failed to satisfy constraint: Member must have length less than or equal to 50"
        );
      }
      return [...new Set(ids as unknown[])].map(id => {
        const instance =
          typeof id === 'string' && INSTANCE_ID.test(id)
            ? this.instances.get(id)
            : undefined;
        if (
          !instance ||
          instance.account !== call.account ||
          instance.region !== call.region ||
          instance.pingStatus !== 'Online'
        ) {
          throw new AwsServiceError(
            'InvalidInstanceId',
            `Instances [[${String(id)}]] not in a valid state for account ${call.account}`
          );
        }
        return instance;
      });
    }
    const selected = this.inScope(call).filter(instance =>
      (targets as Record<string, unknown>[]).every(target => {
        const key = String(target.Key);
        const values = Array.isArray(target.Values)
          ? target.Values.map(String)
          : [];
        if (key === 'InstanceIds') {
          return values.includes(instance.instanceId);
        }
        if (key === 'tag-key') {
          return values.some(value => instance.tags.has(value));
        }
        if (key.startsWith('tag:')) {
          return values.includes(instance.tags.get(key.slice(4)) ?? '\0');
        }
        throw new AwsServiceError(
          'InvalidTarget',
          `Target key ${key} is not supported by the sandbox (InstanceIds, tag:<key>, tag-key)`
        );
      })
    );
    return selected;
  }

  sendCommand(
    call: ICallContext,
    input: Record<string, unknown>
  ): Record<string, unknown> {
    const { parameters, executionTimeoutSeconds } = documentParameters(input);
    const targets = this.commandTargets(call, input);
    const timeoutSeconds = input.TimeoutSeconds ?? 3600;
    if (
      typeof timeoutSeconds !== 'number' ||
      timeoutSeconds < 30 ||
      timeoutSeconds > 2592000
    ) {
      throw validationError(
        `Value '${String(timeoutSeconds)}' at 'timeoutSeconds' failed to satisfy constraint: Member must have value between 30 and 2592000`
      );
    }
    const command = newCommand({
      account: call.account,
      region: call.region,
      documentName: String(input.DocumentName),
      comment: String(input.Comment ?? ''),
      parameters,
      instanceIds: Array.isArray(input.InstanceIds)
        ? (input.InstanceIds as string[])
        : [],
      targets: Array.isArray(input.Targets) ? input.Targets : [],
      timeoutSeconds,
      executionTimeoutSeconds
    });
    this.commands.set(command.commandId, command);
    const deadline = Date.now() + timeoutSeconds * 1000;
    for (const instance of targets) {
      const invocation = newInvocation(
        command,
        instance.instanceId,
        instance.computerName
      );
      this.later(this.options.commandStartDelayMs ?? 0, () =>
        this.deliver(command, invocation, deadline)
      );
    }
    return { Command: commandEntry(command) };
  }

  /** Starts the invocation once its instance is Online, or times it out undelivered. */
  private deliver(
    command: ICommand,
    invocation: IInvocation,
    deadline: number
  ): void {
    if (invocation.status !== 'Pending' || this.closed) {
      return;
    }
    const instance = this.instances.get(invocation.instanceId);
    if (!instance) {
      finish(invocation, 'Failed', 'Undeliverable', -1, '', '');
      return;
    }
    if (instance.pingStatus !== 'Online') {
      if (Date.now() >= deadline) {
        finish(invocation, 'TimedOut', 'DeliveryTimedOut', -1, '', '');
      } else {
        this.later(250, () => this.deliver(command, invocation, deadline));
      }
      return;
    }
    if (instance.agent) {
      this.agentMessages.deliver(command, invocation, deadline);
      return;
    }
    void this.track(execute(command, invocation, instance.host));
  }

  private requireInvocation(
    call: ICallContext,
    commandId: unknown,
    instanceId: unknown
  ): { command: ICommand; invocation: IInvocation } {
    const command =
      typeof commandId === 'string' ? this.commands.get(commandId) : undefined;
    const invocation =
      command &&
      command.account === call.account &&
      command.region === call.region &&
      typeof instanceId === 'string'
        ? command.invocations.get(instanceId)
        : undefined;
    if (!command || !invocation) {
      throw new AwsServiceError(
        'InvocationDoesNotExist',
        'An error occurred (InvocationDoesNotExist) when calling the GetCommandInvocation operation'
      );
    }
    return { command, invocation };
  }

  getCommandInvocation(
    call: ICallContext,
    input: Record<string, unknown>
  ): Record<string, unknown> {
    const commandId = requireString(input, 'CommandId');
    const instanceId = requireString(input, 'InstanceId');
    if (input.PluginName !== undefined && input.PluginName !== PLUGIN_NAME) {
      throw new AwsServiceError(
        'InvalidPluginName',
        `The plugin name ${String(input.PluginName)} is not valid`
      );
    }
    const { command, invocation } = this.requireInvocation(
      call,
      commandId,
      instanceId
    );
    return invocationResponse(command, invocation);
  }

  /** Commands of the call's scope, newest first, narrowed by CommandId / InstanceId / Filters. */
  private commandsFor(
    call: ICallContext,
    input: Record<string, unknown>
  ): ICommand[] {
    const filters = ((input.Filters ?? []) as Record<string, unknown>[]).map(
      filter => {
        const key = String(filter.key);
        const value = String(filter.value);
        switch (key) {
          case 'InvokedAfter':
            return (command: ICommand) => command.requested >= new Date(value);
          case 'InvokedBefore':
            return (command: ICommand) => command.requested <= new Date(value);
          case 'DocumentName':
            return (command: ICommand) => command.documentName === value;
          case 'Status':
            return (command: ICommand) =>
              commandEntry(command).Status === value;
          case 'ExecutionStage':
            return (command: ICommand) =>
              (value === 'Executing') ===
              ['Pending', 'InProgress'].includes(
                String(commandEntry(command).Status)
              );
          default:
            throw new AwsServiceError(
              'InvalidFilterKey',
              `The filter key ${key} is not valid. Valid keys: InvokedAfter, InvokedBefore, Status, ExecutionStage, DocumentName`
            );
        }
      }
    );
    if (input.InstanceId !== undefined) {
      if (
        typeof input.InstanceId !== 'string' ||
        !INSTANCE_ID.test(input.InstanceId)
      ) {
        throw new AwsServiceError(
          'InvalidInstanceId',
          `Instance ${String(input.InstanceId)} is not valid`
        );
      }
    }
    if (
      input.CommandId !== undefined &&
      (typeof input.CommandId !== 'string' || input.CommandId.length !== 36)
    ) {
      throw new AwsServiceError(
        'InvalidCommandId',
        `Command ${String(input.CommandId)} is not valid`
      );
    }
    return [...this.commands.values()]
      .filter(
        command =>
          command.account === call.account &&
          command.region === call.region &&
          (input.CommandId === undefined ||
            command.commandId === input.CommandId) &&
          (input.InstanceId === undefined ||
            command.invocations.has(String(input.InstanceId))) &&
          filters.every(filter => filter(command))
      )
      .reverse();
  }

  listCommandInvocations(
    call: ICallContext,
    input: Record<string, unknown>
  ): Record<string, unknown> {
    const entries = this.commandsFor(call, input).flatMap(command =>
      [...command.invocations.values()]
        .filter(
          invocation =>
            input.InstanceId === undefined ||
            invocation.instanceId === input.InstanceId
        )
        .map(invocation => ({ command, invocation }))
    );
    const page = paginate(entries, input, { min: 1, max: 50, fallback: 50 });
    return {
      CommandInvocations: page.items.map(({ command, invocation }) =>
        invocationEntry(command, invocation, input.Details === true)
      ),
      ...(page.nextToken ? { NextToken: page.nextToken } : {})
    };
  }

  listCommands(
    call: ICallContext,
    input: Record<string, unknown>
  ): Record<string, unknown> {
    const page = paginate(this.commandsFor(call, input), input, {
      min: 1,
      max: 50,
      fallback: 50
    });
    return {
      Commands: page.items.map(command => commandEntry(command)),
      ...(page.nextToken ? { NextToken: page.nextToken } : {})
    };
  }

  cancelCommand(call: ICallContext, input: Record<string, unknown>): void {
    const commandId = requireString(input, 'CommandId');
    const command = this.commands.get(commandId);
    if (
      !command ||
      command.account !== call.account ||
      command.region !== call.region
    ) {
      throw new AwsServiceError(
        'InvalidCommandId',
        `Command ${commandId} is not valid`
      );
    }
    const only = Array.isArray(input.InstanceIds)
      ? (input.InstanceIds as string[])
      : undefined;
    for (const invocation of command.invocations.values()) {
      if (!only || only.includes(invocation.instanceId)) {
        if (invocation.cancel) {
          invocation.cancel();
        } else {
          finish(invocation, 'Cancelled', 'Cancelled', -1, '', '');
        }
      }
    }
  }

  /** The AWS JSON 1.1 operations of this part of SSM. */
  operations(): Record<string, JsonOperation> {
    return {
      DescribeInstanceInformation: (input, call) =>
        this.describeInstanceInformation(call, input),
      ListTagsForResource: (input, call) =>
        this.listTagsForResource(call, input),
      AddTagsToResource: (input, call) => {
        this.addTagsToResource(call, input);
        return {};
      },
      RemoveTagsFromResource: (input, call) => {
        this.removeTagsFromResource(call, input);
        return {};
      },
      CreateActivation: (input, call) => {
        const activation = this.createActivation(call, input);
        return {
          ActivationId: activation.activationId,
          ActivationCode: activation.activationCode
        };
      },
      DescribeActivations: (input, call) =>
        this.describeActivations(call, input),
      DeleteActivation: (input, call) => {
        this.deleteActivation(call, input);
        return {};
      },
      RegisterManagedInstance: input => this.registerManagedInstance(input),
      UpdateInstanceInformation: (input, call) => {
        this.updateInstanceInformation(call, input);
        return {};
      },
      DeregisterManagedInstance: (input, call) => {
        this.deregister(this.requireInScope(call, input.InstanceId).instanceId);
        return {};
      },
      SendCommand: (input, call) => this.sendCommand(call, input),
      GetCommandInvocation: (input, call) =>
        this.getCommandInvocation(call, input),
      ListCommandInvocations: (input, call) =>
        this.listCommandInvocations(call, input),
      ListCommands: (input, call) => this.listCommands(call, input),
      CancelCommand: (input, call) => {
        this.cancelCommand(call, input);
        return {};
      }
    };
  }
}
