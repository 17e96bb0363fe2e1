/**
 * The target grammar: every form the original project's users type (and OpenSSH passes as %h), ARNs as the
 * SageMaker console shows them, and errors that name the wrong part.
 */
import { UsageError } from '../errors.js';
import {
  arnFragment,
  formatTarget,
  parseTarget,
  type Target
} from './grammar.js';

function errorOf(text: string): UsageError {
  try {
    parseTarget(text);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return error as UsageError;
  }
  throw new Error(`"${text}" parsed`);
}

describe('parseTarget: names', () => {
  it.each([
    ['my-job.training.sagemaker', 'training', 'my-job'],
    ['pre-proc-2.processing.sagemaker', 'processing', 'pre-proc-2'],
    ['batch.transform.sagemaker', 'transform', 'batch'],
    ['ssh-endpoint-demo.inference.sagemaker', 'inference', 'ssh-endpoint-demo'],
    ['nb1.notebook.sagemaker', 'notebook', 'nb1'],
    [
      'datascience-1-0-ml-t3-medium-demo.studio.sagemaker',
      'studio',
      'datascience-1-0-ml-t3-medium-demo'
    ]
  ])('%s is a %s target named %s', (text, kind, name) => {
    expect(parseTarget(text)).toEqual({ form: 'name', kind, name });
    expect(formatTarget(parseTarget(text))).toBe(text);
  });

  it('takes the kind and suffix in any case (OpenSSH lowercases %h) and keeps the resource name as given', () => {
    expect(parseTarget('MyJob.TRAINING.SageMaker')).toEqual({
      form: 'name',
      kind: 'training',
      name: 'MyJob'
    });
    expect(parseTarget('  my-job.training.sagemaker.  ')).toEqual({
      form: 'name',
      kind: 'training',
      name: 'my-job'
    });
  });

  it('reads the long Studio form and the space form', () => {
    const studio = parseTarget('kg-1.alice.d-abc123.studio.sagemaker');
    expect(studio).toEqual({
      form: 'name',
      kind: 'studio',
      name: 'kg-1',
      owner: 'alice',
      domain: 'd-abc123'
    });
    expect(formatTarget(studio)).toBe('kg-1.alice.d-abc123.studio.sagemaker');
    const space = parseTarget('my-space.d-abc123.space.sagemaker');
    expect(space).toEqual({
      form: 'name',
      kind: 'space',
      name: 'my-space',
      domain: 'd-abc123'
    });
    expect(formatTarget(space)).toBe('my-space.d-abc123.space.sagemaker');
  });

  it('accepts managed instance ids in any case', () => {
    expect(parseTarget('mi-0123456789ABCDEF0')).toEqual({
      form: 'instance',
      instanceId: 'mi-0123456789abcdef0'
    });
    expect(formatTarget(parseTarget('mi-0123456789abcdef0'))).toBe(
      'mi-0123456789abcdef0'
    );
  });
});

describe('parseTarget: ARNs', () => {
  it('reads jobs, endpoints and notebook instances in any partition', () => {
    expect(
      parseTarget(
        'arn:aws:sagemaker:us-east-1:123456789012:training-job/my-job'
      )
    ).toEqual({
      form: 'arn',
      kind: 'training',
      name: 'my-job',
      arn: 'arn:aws:sagemaker:us-east-1:123456789012:training-job/my-job',
      partition: 'aws',
      region: 'us-east-1',
      account: '123456789012'
    });
    expect(
      parseTarget('arn:aws-cn:sagemaker:cn-north-1:123456789012:endpoint/ep')
    ).toMatchObject({
      kind: 'inference',
      name: 'ep',
      partition: 'aws-cn'
    });
    expect(
      parseTarget(
        'arn:aws:sagemaker:eu-west-1:123456789012:notebook-instance/nb'
      )
    ).toMatchObject({
      kind: 'notebook'
    });
    expect(
      parseTarget('arn:aws:sagemaker:eu-west-1:123456789012:processing-job/p')
    ).toMatchObject({ kind: 'processing' });
    expect(
      parseTarget('arn:aws:sagemaker:eu-west-1:123456789012:transform-job/t')
    ).toMatchObject({ kind: 'transform' });
  });

  it('reads Studio app and space ARNs with their domain and owner', () => {
    const app = parseTarget(
      'arn:aws:sagemaker:us-east-1:123456789012:app/d-ssh-demo/alice/KernelGateway/kg-1'
    );
    expect(app).toMatchObject({
      kind: 'studio',
      domain: 'd-ssh-demo',
      owner: 'alice',
      appType: 'KernelGateway',
      name: 'kg-1'
    });
    expect(formatTarget(app)).toBe('kg-1.alice.d-ssh-demo.studio.sagemaker');
    const space = parseTarget(
      'arn:aws:sagemaker:us-east-1:123456789012:space/d-ssh-demo/team-space'
    );
    expect(formatTarget(space)).toBe('team-space.d-ssh-demo.space.sagemaker');
  });
});

describe('parseTarget: errors name the wrong part', () => {
  it.each<[string, RegExp]>([
    ['', /the target is empty/],
    ['my-job.trainin.sagemaker', /"trainin" is not a kind/],
    ['my-job.training', /a name ends in \.<kind>\.sagemaker/],
    ['my-job.training.aws', /a name ends in/],
    [
      'my_job.training.sagemaker',
      /the training job name "my_job" is not a SageMaker name/
    ],
    ['-job.processing.sagemaker', /the processing job name "-job"/],
    [`${'a'.repeat(64)}.training.sagemaker`, /is not a SageMaker name/],
    ['a.b.training.sagemaker', /a training job name has no dots \("a\.b"\)/],
    ['a..studio.sagemaker', /empty part/],
    [
      'kg.alice.studio.sagemaker',
      /a Studio name has 1 or 3 parts before \.studio\.sagemaker, not 2/
    ],
    ['kg.alice.x-abc.studio.sagemaker', /"x-abc" is not a Studio domain id/],
    ['my-space.space.sagemaker', /a space name has 2 parts/],
    ['mi-123', /"mi-" and 17 hexadecimal digits/],
    ['arn:aws:s3:::bucket', /not a SageMaker ARN/],
    [
      'arn:aws:sagemaker:us-east-1:123456789012:model/m',
      /of type "model" cannot be reached/
    ],
    [
      'arn:aws:sagemaker:us-east-1:123456789012:app/d-x/alice/kg',
      /a Studio app ARN ends in/
    ]
  ])('%j', (text, message) => {
    const error = errorOf(text);
    expect(error.message).toMatch(message);
    expect(error.message.split('\n')).toHaveLength(1);
    expect(error.hint).toBeTruthy();
    expect(error.exitCode).toBe(2);
  });
});

describe('arnFragment', () => {
  const fragment = (text: string) =>
    arnFragment(parseTarget(text) as Exclude<Target, { form: 'instance' }>);
  it('is the original project match rule per kind', () => {
    expect(fragment('j.training.sagemaker')).toBe(':training-job/');
    expect(fragment('j.processing.sagemaker')).toBe(':processing-job/');
    expect(fragment('j.transform.sagemaker')).toBe(':transform-job/');
    expect(fragment('nb.notebook.sagemaker')).toBe(':notebook-instance/');
    expect(fragment('kg.studio.sagemaker')).toBe(':app/');
    expect(fragment('kg.alice.d-abc.studio.sagemaker')).toBe(
      ':app/d-abc/alice/'
    );
  });
});
