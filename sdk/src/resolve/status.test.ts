/**
 * How SageMaker's answers become a phase. No local server enforces IAM on SageMaker calls, so the refusal that the
 * guide's client policy causes (it grants no sagemaker:Describe*) is a client whose send throws AWS's error shape.
 */
import type { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { resourceStatus } from './status.js';

function clientThrowing(name: string, message: string): SageMakerClient {
  return {
    send: async () => {
      throw Object.assign(new Error(message), { name });
    }
  } as unknown as SageMakerClient;
}

function clientAnswering(output: Record<string, unknown>): SageMakerClient {
  return { send: async () => output } as unknown as SageMakerClient;
}

const job = { form: 'name', kind: 'training', name: 'my-job' } as const;

describe('resourceStatus', () => {
  it('is unknown, with the reason, when SageMaker denies the read', async () => {
    const status = await resourceStatus(
      clientThrowing(
        'AccessDeniedException',
        'User: arn:aws:sts::123456789012:assumed-role/DataScientist/me is not authorized to perform: sagemaker:DescribeTrainingJob'
      ),
      job
    );
    expect(status.phase).toBe('unknown');
    expect(status.denied).toContain('sagemaker:DescribeTrainingJob');
  });

  it('tells missing, coming, running and ended apart', async () => {
    expect(
      await resourceStatus(
        clientThrowing('ValidationException', 'Requested resource not found.'),
        job
      )
    ).toEqual({ phase: 'missing' });
    for (const [status, phase] of [
      ['Pending', 'coming'],
      ['InProgress', 'running'],
      ['Completed', 'ended']
    ]) {
      expect(
        await resourceStatus(
          clientAnswering({ TrainingJobStatus: status }),
          job
        )
      ).toEqual({ status, phase });
    }
  });

  it('passes on other errors', async () => {
    await expect(
      resourceStatus(clientThrowing('ThrottlingException', 'slow down'), job)
    ).rejects.toThrow('slow down');
  });
});
