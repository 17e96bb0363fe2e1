/** The SSM managed-instance tier, per region: sessions to SageMaker containers need `advanced`. */
import {
  GetServiceSettingCommand,
  ResetServiceSettingCommand,
  UpdateServiceSettingCommand,
  type SSMClient
} from '@aws-sdk/client-ssm';
import { describeAwsError, errorName } from '../aws/errors.js';
import { ACTIVATION_TIER_SETTING_ID, ADVANCED_TIER } from './documents.js';

/** The tier of a region, or undefined when the caller may not read it (ssm:GetServiceSetting denied). */
export async function getActivationTier(
  ssm: SSMClient,
  region: string
): Promise<string | undefined> {
  try {
    const { ServiceSetting } = await ssm.send(
      new GetServiceSettingCommand({ SettingId: ACTIVATION_TIER_SETTING_ID })
    );
    return ServiceSetting?.SettingValue ?? 'standard';
  } catch (error) {
    if (/AccessDenied/i.test(errorName(error))) {
      return undefined;
    }
    throw describeAwsError(
      error,
      `reading ${ACTIVATION_TIER_SETTING_ID} in ${region}`
    );
  }
}

export async function setAdvancedTier(
  ssm: SSMClient,
  region: string
): Promise<void> {
  try {
    await ssm.send(
      new UpdateServiceSettingCommand({
        SettingId: ACTIVATION_TIER_SETTING_ID,
        SettingValue: ADVANCED_TIER
      })
    );
  } catch (error) {
    throw describeAwsError(
      error,
      `setting ${ACTIVATION_TIER_SETTING_ID} to advanced in ${region}`
    );
  }
}

/** Back to the default (standard) tier. AWS refuses while advanced-tier instances are registered. */
export async function resetActivationTier(
  ssm: SSMClient,
  region: string
): Promise<void> {
  try {
    await ssm.send(
      new ResetServiceSettingCommand({ SettingId: ACTIVATION_TIER_SETTING_ID })
    );
  } catch (error) {
    throw describeAwsError(
      error,
      `resetting ${ACTIVATION_TIER_SETTING_ID} in ${region}`
    );
  }
}

/** The AWS CLI command an admin can run instead of `sm-ssh setup apply`. */
export function advancedTierCommand(region: string): string {
  return `aws ssm update-service-setting --setting-id ${ACTIVATION_TIER_SETTING_ID} --setting-value ${ADVANCED_TIER} --region ${region}`;
}
