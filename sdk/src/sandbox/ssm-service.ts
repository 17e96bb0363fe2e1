/**
 * The sandbox's SSM control plane: the service settings (`GetServiceSetting`, `UpdateServiceSetting`,
 * `ResetServiceSetting`) that moto lacks and the setup needs, and the managed instances with their hosts,
 * activations, tags and Run Command (instances/). Sessions are added by sandbox.ts. State is kept per account and
 * region, like AWS.
 */
import {
  AwsServiceError,
  type ICallContext,
  type IJsonService,
  type JsonOperation
} from './aws-json-server.js';
import {
  InstanceRegistry,
  type IInstanceRegistryOptions
} from './instances/registry.js';

interface ISettingDefinition {
  defaultValue: string;
  allowed?: string[];
}

/** The service settings AWS documents for GetServiceSetting, with their defaults. */
const SETTINGS: Record<string, ISettingDefinition> = {
  '/ssm/managed-instance/activation-tier': {
    defaultValue: 'standard',
    allowed: ['standard', 'advanced']
  },
  '/ssm/managed-instance/default-ec2-instance-management-role': {
    defaultValue: ''
  },
  '/ssm/automation/customer-script-log-destination': {
    defaultValue: 'none',
    allowed: ['none', 'CloudWatch']
  },
  '/ssm/automation/customer-script-log-group-name': {
    defaultValue: '/aws/ssm/automation/executeScript'
  },
  '/ssm/documents/console/public-sharing-permission': {
    defaultValue: 'Enable',
    allowed: ['Enable', 'Disable']
  },
  '/ssm/opsinsights/opscenter': {
    defaultValue: 'Disabled',
    allowed: ['Enabled', 'Disabled']
  },
  '/ssm/parameter-store/default-parameter-tier': {
    defaultValue: 'Standard',
    allowed: ['Standard', 'Advanced', 'Intelligent-Tiering']
  },
  '/ssm/parameter-store/high-throughput-enabled': {
    defaultValue: 'false',
    allowed: ['true', 'false']
  }
};

interface IStoredSetting {
  value: string;
  modified: Date;
  modifiedBy: string;
}

/** Fault injection on the SSM API: refuse calls as a busy service does. */
export class SsmFaults {
  private throttled = 0;
  private only?: Set<string>;

  /** Answer the next `count` calls (of `operations`, default any) with ThrottlingException. */
  throttleNext(count: number, operations?: string[]): void {
    this.throttled = count;
    this.only = operations ? new Set(operations) : undefined;
  }

  /** Calls still to be refused. */
  get pendingThrottles(): number {
    return this.throttled;
  }

  /** Throws ThrottlingException when this call is to be refused. */
  check(operation: string): void {
    if (this.throttled > 0 && (!this.only || this.only.has(operation))) {
      this.throttled -= 1;
      throw new AwsServiceError('ThrottlingException', 'Rate exceeded');
    }
  }
}

/** In-memory SSM state of the sandbox. */
export class SsmSandboxState {
  private readonly settings = new Map<string, IStoredSetting>();
  /** Managed instances, their hosts (sshd ports: `instances.get(id)?.host?.sshPort`), activations and commands. */
  readonly instances: InstanceRegistry;
  readonly faults = new SsmFaults();

  constructor(options: IInstanceRegistryOptions = {}) {
    this.instances = new InstanceRegistry(options);
  }

  /** Stops every instance's host and removes their directories. */
  close(): Promise<void> {
    return this.instances.close();
  }

  private static key(call: ICallContext, settingId: string): string {
    return `${call.account}/${call.region}/${settingId}`;
  }

  /** Accepts the setting id or its ARN, as AWS does. */
  static settingIdOf(input: Record<string, unknown>): string {
    const raw = input.SettingId;
    if (typeof raw !== 'string' || raw.length === 0) {
      throw new AwsServiceError(
        'ValidationException',
        "1 validation error detected: Value null at 'settingId' failed to satisfy constraint: Member must not be null"
      );
    }
    const id = raw.startsWith('arn:')
      ? `/${raw.split(':servicesetting/')[1] ?? ''}`
      : raw;
    if (!(id in SETTINGS)) {
      throw new AwsServiceError(
        'ServiceSettingNotFound',
        `The service setting ${raw} was not found.`
      );
    }
    return id;
  }

  get(call: ICallContext, settingId: string): Record<string, unknown> {
    const stored = this.settings.get(SsmSandboxState.key(call, settingId));
    return {
      SettingId: settingId,
      SettingValue: stored?.value ?? SETTINGS[settingId].defaultValue,
      LastModifiedDate: (stored?.modified ?? new Date(0)).getTime() / 1000,
      LastModifiedUser: stored?.modifiedBy ?? 'System',
      ARN: `arn:aws:ssm:${call.region}:${call.account}:servicesetting${settingId}`,
      Status: stored ? 'Customized' : 'Default'
    };
  }

  update(call: ICallContext, settingId: string, value: unknown): void {
    const definition = SETTINGS[settingId];
    if (
      typeof value !== 'string' ||
      (definition.allowed && !definition.allowed.includes(value))
    ) {
      throw new AwsServiceError(
        'ValidationException',
        `Invalid value ${String(value)} for setting ${settingId}; valid values: ${definition.allowed?.join(', ') ?? 'a string'}`
      );
    }
    this.settings.set(SsmSandboxState.key(call, settingId), {
      value,
      modified: new Date(),
      modifiedBy: `arn:aws:iam::${call.account}:user/${call.accessKeyId ?? 'sandbox'}`
    });
  }

  reset(call: ICallContext, settingId: string): void {
    this.settings.delete(SsmSandboxState.key(call, settingId));
  }
}

/** The JSON 1.1 face of the SSM sandbox (`AWS_ENDPOINT_URL_SSM`). */
export function ssmService(state = new SsmSandboxState()): IJsonService {
  const operations: Record<string, JsonOperation> = {
    ...settingOperations(state),
    ...state.instances.operations()
  };
  return {
    targetPrefix: 'AmazonSSM',
    name: 'SSM',
    operations: Object.fromEntries(
      Object.entries(operations).map(([name, operation]) => [
        name,
        (input, call) => {
          state.faults.check(name);
          return operation(input, call);
        }
      ])
    )
  };
}

function settingOperations(
  state: SsmSandboxState
): Record<string, JsonOperation> {
  return {
    GetServiceSetting: (input, call) => ({
      ServiceSetting: state.get(call, SsmSandboxState.settingIdOf(input))
    }),
    UpdateServiceSetting: (input, call) => {
      state.update(
        call,
        SsmSandboxState.settingIdOf(input),
        input.SettingValue
      );
      return {};
    },
    ResetServiceSetting: (input, call) => {
      const settingId = SsmSandboxState.settingIdOf(input);
      state.reset(call, settingId);
      return { ServiceSetting: state.get(call, settingId) };
    }
  };
}
