/**
 * The SageMaker resource behind a target, and what its status means for SSH: still coming (wait for its
 * instance to register), running, or over (no point waiting), or not there at all.
 */
import type { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { sagemakerSdk } from '../aws/sdk.js';
import type { IResourceTarget } from '../names/index.js';

export type ResourcePhase =
  'coming' | 'running' | 'ended' | 'missing' | 'unknown';

export interface IResourceStatus {
  /** SageMaker's own status word (`InProgress`, `Completed`, `InService`, …), when known. */
  status?: string;
  phase: ResourcePhase;
  /** Why the status is unknown, when SageMaker refused to say (the guide's client policy grants no sagemaker:Describe*). */
  denied?: string;
  /**
   * Jobs: the `Environment` of the Describe answer, as the job was created with it (a job launched with SSH carries
   * `SM_SSH_WAIT_SECONDS` there).
   */
  environment?: Record<string, string>;
  /** Jobs: `CreationTime`. */
  createdAt?: Date;
  /** Jobs: `FailureReason`, when SageMaker gives one. */
  failureReason?: string;
}

/** What a Describe call tells: the status word and, for jobs, what else the same answer carries. */
type IDescription = Omit<IResourceStatus, 'phase' | 'denied'>;

function isAccessDenied(error: unknown): boolean {
  const name = (error as { name?: string }).name ?? '';
  return /AccessDenied|NotAuthorized|UnauthorizedOperation/i.test(name);
}

const RUNNING = new Set(['InProgress', 'InService']);
const COMING = new Set(['Pending', 'Creating', 'Updating', 'SystemUpdating']);
const ENDED = new Set([
  'Completed',
  'Failed',
  'Stopped',
  'Stopping',
  'Deleting',
  'Deleted',
  'OutOfService',
  'RollingBack',
  'UpdateRollbackFailed'
]);

function phaseOf(status: string | undefined): ResourcePhase {
  if (status === undefined) {
    return 'unknown';
  }
  if (RUNNING.has(status)) {
    return 'running';
  }
  if (COMING.has(status)) {
    return 'coming';
  }
  return ENDED.has(status) ? 'ended' : 'unknown';
}

function isNotFound(error: unknown): boolean {
  const e = error as { name?: string; message?: string };
  return (
    e.name === 'ResourceNotFound' ||
    (e.name === 'ValidationException' &&
      /not found|does not exist|could not find/i.test(e.message ?? ''))
  );
}

type StatusReader = (
  sagemaker: SageMakerClient,
  name: string,
  target: IResourceTarget
) => Promise<IDescription>;

/** A job's Describe answer, with only the members that are there. */
function jobDescription(
  status: string | undefined,
  answer: {
    Environment?: Record<string, string>;
    CreationTime?: Date;
    FailureReason?: string;
  }
): IDescription {
  return {
    status,
    ...(answer.Environment ? { environment: answer.Environment } : {}),
    ...(answer.CreationTime ? { createdAt: answer.CreationTime } : {}),
    ...(answer.FailureReason ? { failureReason: answer.FailureReason } : {})
  };
}

/** A Studio app named by ARN (or the long name form with an app type): DescribeApp, as a user's or a space's app. */
async function studioAppStatus(
  client: SageMakerClient,
  name: string,
  target: IResourceTarget
): Promise<IDescription> {
  if (!target.domain || !target.owner || !target.appType) {
    return {};
  }
  const { DescribeAppCommand } = sagemakerSdk();
  const common = {
    DomainId: target.domain,
    AppType: target.appType as 'KernelGateway',
    AppName: name
  };
  try {
    return {
      status: (
        await client.send(
          new DescribeAppCommand({ ...common, UserProfileName: target.owner })
        )
      ).Status
    };
  } catch (error) {
    if (!isNotFound(error)) {
      throw error;
    }
    // the ARN's owner part is a user profile or a shared space
    return {
      status: (
        await client.send(
          new DescribeAppCommand({ ...common, SpaceName: target.owner })
        )
      ).Status
    };
  }
}

/** The Describe call of each kind and the status it returns; Studio apps need a domain and app type we may lack. */
const STATUS_READERS: Partial<Record<IResourceTarget['kind'], StatusReader>> = {
  studio: studioAppStatus,
  training: async (client, name) => {
    const answer = await client.send(
      new (sagemakerSdk().DescribeTrainingJobCommand)({
        TrainingJobName: name
      })
    );
    return jobDescription(answer.TrainingJobStatus, answer);
  },
  processing: async (client, name) => {
    const answer = await client.send(
      new (sagemakerSdk().DescribeProcessingJobCommand)({
        ProcessingJobName: name
      })
    );
    return jobDescription(answer.ProcessingJobStatus, answer);
  },
  transform: async (client, name) => {
    const answer = await client.send(
      new (sagemakerSdk().DescribeTransformJobCommand)({
        TransformJobName: name
      })
    );
    return jobDescription(answer.TransformJobStatus, answer);
  },
  inference: async (client, name) => ({
    status: (
      await client.send(
        new (sagemakerSdk().DescribeEndpointCommand)({ EndpointName: name })
      )
    ).EndpointStatus
  }),
  notebook: async (client, name) => ({
    status: (
      await client.send(
        new (sagemakerSdk().DescribeNotebookInstanceCommand)({
          NotebookInstanceName: name
        })
      )
    ).NotebookInstanceStatus
  })
};

/** Reads the resource's status; kinds without a reader (Studio apps, spaces) are `unknown`. */
export async function resourceStatus(
  sagemaker: SageMakerClient,
  target: IResourceTarget
): Promise<IResourceStatus> {
  const read = STATUS_READERS[target.kind];
  if (!read) {
    return { phase: 'unknown' };
  }
  try {
    const description = await read(sagemaker, target.name, target);
    return { ...description, phase: phaseOf(description.status) };
  } catch (error) {
    if (isNotFound(error)) {
      return { phase: 'missing' };
    }
    if (isAccessDenied(error)) {
      // the setup guide's client policy has no SageMaker reads: resolution goes on without the status
      return {
        phase: 'unknown',
        denied: (error as Error).message.split('\n')[0]
      };
    }
    throw error;
  }
}
