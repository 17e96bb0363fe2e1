/**
 * The sandbox's SSM control plane. For now: the service settings (`GetServiceSetting`, `UpdateServiceSetting`,
 * `ResetServiceSetting`) that moto lacks and the setup needs; later issues add managed instances, Run Command and
 * sessions here. State is kept per account and region, like AWS.
 */
import {
  AwsServiceError,
  type ICallContext,
  type IJsonService
} from './aws-json-server.js';

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

/** In-memory SSM state of the sandbox. */
export class SsmSandboxState {
  private readonly settings = new Map<string, IStoredSetting>();

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
  return {
    targetPrefix: 'AmazonSSM',
    operations: {
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
    }
  };
}
