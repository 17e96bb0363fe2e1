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

/** Reads the resource's status; Studio apps without a known domain and owner are `unknown`. */
export async function resourceStatus(
  sagemaker: SageMakerClient,
  target: IResourceTarget
): Promise<IResourceStatus> {
  const sdk = sagemakerSdk();
  const name = target.name;
  try {
    let status: string | undefined;
    switch (target.kind) {
      case 'training':
        status = (
          await sagemaker.send(
            new sdk.DescribeTrainingJobCommand({ TrainingJobName: name })
          )
        ).TrainingJobStatus;
        break;
      case 'processing':
        status = (
          await sagemaker.send(
            new sdk.DescribeProcessingJobCommand({ ProcessingJobName: name })
          )
        ).ProcessingJobStatus;
        break;
      case 'transform':
        status = (
          await sagemaker.send(
            new sdk.DescribeTransformJobCommand({ TransformJobName: name })
          )
        ).TransformJobStatus;
        break;
      case 'inference':
        status = (
          await sagemaker.send(
            new sdk.DescribeEndpointCommand({ EndpointName: name })
          )
        ).EndpointStatus;
        break;
      case 'notebook':
        status = (
          await sagemaker.send(
            new sdk.DescribeNotebookInstanceCommand({
              NotebookInstanceName: name
            })
          )
        ).NotebookInstanceStatus;
        break;
      default:
        return { phase: 'unknown' };
    }
    return { status, phase: phaseOf(status) };
  } catch (error) {
    if (isNotFound(error)) {
      return { phase: 'missing' };
    }
    throw error;
  }
}
