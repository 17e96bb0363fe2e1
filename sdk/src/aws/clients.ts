/**
 * The one place AWS clients are built. Every client gets the same region, credentials and retry settings;
 * endpoints come from the SDK's own resolution, which honours `AWS_ENDPOINT_URL_<SERVICE>` (that is how the
 * sandbox and the tests point us at local servers — there is no test-only code path).
 */
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { IAMClient } from '@aws-sdk/client-iam';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SageMakerClient } from '@aws-sdk/client-sagemaker';
import type { SSMClient } from '@aws-sdk/client-ssm';
import type { STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentityProvider } from '@aws-sdk/types';
import { UsageError } from '../errors.js';
import { assertRegion } from './regions.js';
import {
  credentialProviders,
  iamSdk,
  logsSdk,
  s3Sdk,
  sagemakerSdk,
  ssmSdk,
  stsSdk
} from './sdk.js';

export interface IAwsOptions {
  /** Region for regional services; falls back to AWS_REGION / AWS_DEFAULT_REGION / the profile's region. */
  region?: string;
  /** Named profile from ~/.aws/config; falls back to AWS_PROFILE. */
  profile?: string;
}

interface IClientConfig {
  region: string;
  credentials: AwsCredentialIdentityProvider;
  retryMode?: string;
  maxAttempts?: number;
  forcePathStyle?: boolean;
}

type ClientConstructor<T> = new (config: IClientConfig) => T;

/** Builds and caches one client per service and region. */
export class AwsClients {
  readonly region: string;
  /** The credential provider every client of this factory uses (also signs data-channel upgrades). */
  readonly credentials: AwsCredentialIdentityProvider;
  private readonly cache = new Map<string, unknown>();

  constructor(region: string, credentials: AwsCredentialIdentityProvider) {
    this.region = region;
    this.credentials = credentials;
  }

  iam(): IAMClient {
    return this.client('iam', () => iamSdk().IAMClient, this.region);
  }

  sts(): STSClient {
    return this.client('sts', () => stsSdk().STSClient, this.region);
  }

  logs(region = this.region): CloudWatchLogsClient {
    return this.client('logs', () => logsSdk().CloudWatchLogsClient, region);
  }

  sagemaker(region = this.region): SageMakerClient {
    return this.client(
      'sagemaker',
      () => sagemakerSdk().SageMakerClient,
      region
    );
  }

  /**
   * S3 with path-style addressing when an endpoint override is set (AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL): a
   * local server such as moto is one host, so `<bucket>.<host>` names nothing; AWS itself gets the SDK's default
   * (virtual-hosted) addressing.
   */
  s3(region = this.region): S3Client {
    const override = Boolean(
      process.env.AWS_ENDPOINT_URL_S3 || process.env.AWS_ENDPOINT_URL
    );
    return this.client(
      's3',
      () => s3Sdk().S3Client,
      region,
      override ? { forcePathStyle: true } : {}
    );
  }

  ssm(region = this.region): SSMClient {
    return this.client('ssm', () => ssmSdk().SSMClient, region);
  }

  private client<T>(
    service: string,
    loadConstructor: () => ClientConstructor<T>,
    region: string,
    extra: Partial<IClientConfig> = {}
  ): T {
    const key = `${service}:${region}`;
    let client = this.cache.get(key) as T | undefined;
    if (client === undefined) {
      const ctor = loadConstructor();
      client = new ctor({
        region,
        credentials: this.credentials,
        ...retryConfig(),
        ...extra
      });
      this.cache.set(key, client);
    }
    return client;
  }
}

/**
 * Adaptive retries (client-side rate limiting on throttling) unless the user chose a mode through the standard
 * AWS_RETRY_MODE / AWS_MAX_ATTEMPTS variables or the profile, which the SDK then reads itself.
 */
function retryConfig(): { retryMode?: string } {
  return process.env.AWS_RETRY_MODE ? {} : { retryMode: 'adaptive' };
}

/** Region from the option, else the SDK's own resolution: AWS_REGION, AWS_DEFAULT_REGION, the profile in ~/.aws/config. */
export async function resolveRegion(options: IAwsOptions): Promise<string> {
  let region = options.region;
  if (region === undefined) {
    // any client resolves the region the same way; SSM is the one every connection loads anyway
    const probe = new (ssmSdk().SSMClient)(
      options.profile ? { profile: options.profile } : {}
    );
    region = await probe.config.region().catch(() => undefined);
    probe.destroy();
  }
  if (!region) {
    throw new UsageError(
      'no AWS region is set',
      'pass --region us-east-1 (or set AWS_REGION, or a region in your profile)'
    );
  }
  assertRegion(
    region,
    options.region !== undefined ? '--region' : 'the configured region'
  );
  return region;
}

/** Clients for the options given; credentials come from the default provider chain (env, profile, SSO, container, IMDS). */
export async function createAwsClients(
  options: IAwsOptions = {}
): Promise<AwsClients> {
  const region = await resolveRegion(options);
  const chain = credentialProviders().fromNodeProviderChain(
    options.profile ? { profile: options.profile } : {}
  );
  return new AwsClients(region, chain);
}
