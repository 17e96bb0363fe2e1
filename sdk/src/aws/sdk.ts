/**
 * The AWS SDK packages on the paths every connection takes, loaded with require() when first used. They are large
 * CommonJS bundles: imported from ESM, Node pre-parses their exports (and their re-exports') with cjs-module-lexer,
 * about 0.2 s of CPU on every `sm-ssh proxy` start, and a command needs one or two clients, not all of them.
 */
import { createRequire } from 'node:module';

const load = createRequire(import.meta.url);

export const ssmSdk = (): typeof import('@aws-sdk/client-ssm') =>
  load('@aws-sdk/client-ssm') as typeof import('@aws-sdk/client-ssm');

export const iamSdk = (): typeof import('@aws-sdk/client-iam') =>
  load('@aws-sdk/client-iam') as typeof import('@aws-sdk/client-iam');

export const sagemakerSdk = (): typeof import('@aws-sdk/client-sagemaker') =>
  load(
    '@aws-sdk/client-sagemaker'
  ) as typeof import('@aws-sdk/client-sagemaker');

export const logsSdk = (): typeof import('@aws-sdk/client-cloudwatch-logs') =>
  load(
    '@aws-sdk/client-cloudwatch-logs'
  ) as typeof import('@aws-sdk/client-cloudwatch-logs');

export const s3Sdk = (): typeof import('@aws-sdk/client-s3') =>
  load('@aws-sdk/client-s3') as typeof import('@aws-sdk/client-s3');

export const stsSdk = (): typeof import('@aws-sdk/client-sts') =>
  load('@aws-sdk/client-sts') as typeof import('@aws-sdk/client-sts');

export const credentialProviders =
  (): typeof import('@aws-sdk/credential-providers') =>
    load(
      '@aws-sdk/credential-providers'
    ) as typeof import('@aws-sdk/credential-providers');

export const coreClientSdk = (): typeof import('@aws-sdk/core/client') =>
  load('@aws-sdk/core/client') as typeof import('@aws-sdk/core/client');

export const signatureV4Sdk = (): typeof import('@smithy/signature-v4') =>
  load('@smithy/signature-v4') as typeof import('@smithy/signature-v4');
