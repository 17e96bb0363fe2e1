/**
 * Which SageMaker resource the container runs in, for the SSHResourceName and SSHResourceArn tags: given
 * explicitly (SSH_RESOURCE_NAME / SSH_RESOURCE_ARN), else what SageMaker itself puts in the container — the
 * resource metadata of notebook instances and Studio apps, a training job's environment, a processing job's config.
 * Endpoints and transform jobs carry neither; their instances are found through their logs.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface IResource {
  name?: string;
  arn?: string;
  /** Where it came from, for the log line. */
  source: string;
}

function readJson(path: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
    return parsed && typeof parsed === 'object'
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/** `root` stands for `/` (tests). */
export function detectResource(
  env: NodeJS.ProcessEnv = process.env,
  root = '/'
): IResource {
  if (env.SSH_RESOURCE_NAME || env.SSH_RESOURCE_ARN) {
    return {
      name: text(env.SSH_RESOURCE_NAME),
      arn: text(env.SSH_RESOURCE_ARN),
      source: 'SSH_RESOURCE_NAME / SSH_RESOURCE_ARN'
    };
  }
  const metadata = readJson(
    join(root, 'opt/ml/metadata/resource-metadata.json')
  );
  if (metadata && (metadata.ResourceName || metadata.ResourceArn)) {
    return {
      name: text(metadata.ResourceName),
      arn: text(metadata.ResourceArn),
      source: '/opt/ml/metadata/resource-metadata.json'
    };
  }
  if (env.TRAINING_JOB_NAME || env.TRAINING_JOB_ARN) {
    return {
      name: text(env.TRAINING_JOB_NAME),
      arn: text(env.TRAINING_JOB_ARN),
      source: 'TRAINING_JOB_NAME / TRAINING_JOB_ARN'
    };
  }
  const processing = readJson(
    join(root, 'opt/ml/config/processingjobconfig.json')
  );
  if (
    processing &&
    (processing.ProcessingJobName || processing.ProcessingJobArn)
  ) {
    return {
      name: text(processing.ProcessingJobName),
      arn: text(processing.ProcessingJobArn),
      source: '/opt/ml/config/processingjobconfig.json'
    };
  }
  return { source: 'none found (endpoints and transform jobs have none)' };
}
