/**
 * The sandbox's SageMaker endpoint: jobs (run for real by the job runner when their request has a
 * `ContainerEntrypoint` and the front is given `runJobs`), Studio user profiles/spaces/apps, remote-access
 * StartSession and their tags are answered here;
 * every other operation (models, endpoints, notebook instances, domains, …) goes to moto unchanged.
 */
import {
  AwsServiceError,
  FORWARD,
  type ICallContext,
  type IJsonService,
  type JsonOperation
} from '../aws-json-server.js';
import { JsonUpstream } from '../upstream.js';
import { Clock, type ISageMakerTimings } from './clock.js';
import { JobRunner, type IJobRunnerOptions } from './job-runner.js';
import { JOB_KINDS, JobStore, type JobKind } from './jobs.js';
import {
  parseSageMakerArn,
  requiredString,
  sageMakerArn,
  scopeOf,
  validation,
  type IScope
} from './shapes.js';
import {
  StudioStore,
  type IRemoteAccessSpace,
  type ISpaceAddress
} from './studio.js';
import { TagStore, tagsOf } from './tags.js';

export interface ISageMakerFrontOptions extends ISageMakerTimings {
  /** moto's URL: what the front does not answer goes there. */
  upstream?: string;
  /** Where the control methods act by default (moto's account, us-east-1). */
  home?: IScope;
  /**
   * Opens a remote-access session to a space that StartSession has checked (the sandbox's SessionManager and
   * remote-access SSH server); without it StartSession answers ServiceUnavailable.
   */
  remoteAccess?: (space: IRemoteAccessSpace) => Promise<IRemoteAccessGrant>;
  /** A space's app was deleted or failed: its remote-access sessions end, as the space's compute goes away. */
  onSpaceAppStopped?: (space: ISpaceAddress) => void;
  /** Run the training and processing jobs that have a `ContainerEntrypoint` (needs moto); without it they wait. */
  runJobs?: Omit<IJobRunnerOptions, 'home'>;
}

/** What sagemaker:StartSession answers. */
export interface IRemoteAccessGrant {
  SessionId: string;
  StreamUrl: string;
  TokenValue: string;
}

const STUDIO_TYPES = new Set(['user-profile', 'space', 'app']);

export class SageMakerFront {
  readonly clock: Clock;
  readonly tags = new TagStore();
  /** Jobs; `jobs.advance` and `jobs.finish` are the sandbox's control over them. */
  readonly jobs: JobStore;
  /**
   * The jobs the sandbox runs, with `runJobs`: `jobRuns.get('training', name)` is a run's nodes (their output and
   * exit, sshd port, log stream) and `ended`.
   */
  readonly jobRuns?: JobRunner;
  readonly studio: StudioStore;
  private readonly upstream?: JsonUpstream;
  private readonly remoteAccess?: ISageMakerFrontOptions['remoteAccess'];

  constructor(options: ISageMakerFrontOptions = {}) {
    this.remoteAccess = options.remoteAccess;
    this.clock = new Clock(options);
    const home = options.home ?? {
      account: '123456789012',
      region: 'us-east-1'
    };
    this.jobs = new JobStore(this.tags, this.clock, home);
    this.jobRuns = options.runJobs
      ? new JobRunner(this.jobs, { ...options.runJobs, home })
      : undefined;
    this.studio = new StudioStore(
      this.tags,
      this.clock,
      options.onSpaceAppStopped
    );
    this.upstream = options.upstream
      ? new JsonUpstream(options.upstream)
      : undefined;
  }

  /** Applies every pending transition now (stops, apps starting, deletions). */
  settleAll(): void {
    this.jobs.settleAll();
    this.studio.settleAll();
  }

  /** The JSON 1.1 face (`X-Amz-Target: SageMaker.<Operation>`). */
  service(): IJsonService {
    return {
      targetPrefix: 'SageMaker',
      name: 'SageMaker',
      upstream: this.upstream?.url,
      operations: {
        ...this.jobOperations(),
        ...this.studioOperations(),
        ...this.tagOperations()
      }
    };
  }

  private jobOperations(): Record<string, JsonOperation> {
    const operations: Record<string, JsonOperation> = {};
    (Object.keys(JOB_KINDS) as JobKind[]).forEach(kind => {
      const prefix = JOB_KINDS[kind].prefix;
      operations[`Create${prefix}Job`] = async (input, call) => {
        if (kind === 'transform') {
          await this.requireModel(input, call);
        }
        return this.jobs.create(kind, input, call);
      };
      operations[`Describe${prefix}Job`] = (input, call) =>
        this.jobs.describe(kind, input, call);
      operations[`List${prefix}Jobs`] = (input, call) =>
        this.jobs.list(kind, input, call);
      operations[`Stop${prefix}Job`] = (input, call) =>
        this.jobs.stop(kind, input, call);
    });
    return operations;
  }

  private studioOperations(): Record<string, JsonOperation> {
    const studio = this.studio;
    return {
      CreateUserProfile: async (input, call) => {
        await this.requireDomain(input, call);
        return studio.createOwner('user-profile', input, call);
      },
      DescribeUserProfile: (input, call) =>
        studio.describeOwner('user-profile', input, call),
      ListUserProfiles: (input, call) =>
        studio.listOwners('user-profile', input, call),
      DeleteUserProfile: (input, call) =>
        studio.deleteOwner('user-profile', input, call),
      CreateSpace: async (input, call) => {
        await this.requireDomain(input, call);
        return studio.createOwner('space', input, call);
      },
      DescribeSpace: (input, call) =>
        studio.describeOwner('space', input, call),
      ListSpaces: (input, call) => studio.listOwners('space', input, call),
      DeleteSpace: (input, call) => studio.deleteOwner('space', input, call),
      UpdateSpace: (input, call) => studio.updateSpace(input, call),
      StartSession: async (input, call) => {
        const arn = requiredString(input, 'ResourceIdentifier');
        const space = studio.remoteAccessSpace(arn, call);
        if (!this.remoteAccess) {
          throw new AwsServiceError(
            'ServiceUnavailable',
            'This sandbox serves no remote-access sessions.',
            503
          );
        }
        return { ...(await this.remoteAccess(space)) };
      },
      CreateApp: (input, call) => studio.createApp(input, call),
      DescribeApp: (input, call) => studio.describeApp(input, call),
      ListApps: (input, call) => studio.listApps(input, call),
      DeleteApp: (input, call) => studio.deleteApp(input, call),
      DeleteDomain: (input, call) => {
        const domainId = requiredString(input, 'DomainId');
        const query = { DomainIdEquals: domainId, MaxResults: 1 };
        const profiles = studio.listOwners('user-profile', query, call)
          .UserProfiles as unknown[];
        const spaces = studio.listOwners('space', query, call)
          .Spaces as unknown[];
        if (profiles.length + spaces.length > 0) {
          throw new AwsServiceError(
            'ResourceInUse',
            `Domain [${domainId}] has user profiles or spaces; delete them first.`
          );
        }
        return FORWARD;
      }
    };
  }

  private tagOperations(): Record<string, JsonOperation> {
    return {
      ListTags: (input, call) =>
        this.ownsTags(input, call) === false
          ? FORWARD
          : { Tags: this.tags.list(String(input.ResourceArn)) },
      AddTags: (input, call) => {
        if (this.ownsTags(input, call) === false) {
          return FORWARD;
        }
        const tags = tagsOf(input.Tags);
        return { Tags: this.tags.add(String(input.ResourceArn), tags) };
      },
      DeleteTags: (input, call) => {
        if (this.ownsTags(input, call) === false) {
          return FORWARD;
        }
        const keys = Array.isArray(input.TagKeys)
          ? input.TagKeys.map(String)
          : [];
        this.tags.remove(String(input.ResourceArn), keys);
        return {};
      }
    };
  }

  /**
   * true: the ARN is a resource of the front; false: moto's. A job or Studio ARN the front does not know is an
   * error here rather than moto's 500.
   */
  private ownsTags(
    input: Record<string, unknown>,
    call: ICallContext
  ): boolean {
    const arn = requiredString(input, 'ResourceArn');
    const parsed = parseSageMakerArn(arn);
    const jobType = Object.values(JOB_KINDS).some(
      kind => kind.arnType === parsed?.type
    );
    if (!parsed || (!jobType && !STUDIO_TYPES.has(parsed.type))) {
      return false;
    }
    const [name] = parsed.path.split('/');
    const known = jobType
      ? this.jobs.owns(arn, parsed.scope, parsed.type, name)
      : this.studio.owns(arn);
    if (!known || parsed.scope.region !== call.region) {
      throw validation(`Could not find resource "${arn}".`);
    }
    return true;
  }

  private async requireDomain(
    input: Record<string, unknown>,
    call: ICallContext
  ): Promise<void> {
    const domainId = requiredString(input, 'DomainId');
    if (!this.upstream) {
      return;
    }
    try {
      await this.upstream.call(
        'SageMaker.DescribeDomain',
        { DomainId: domainId },
        call
      );
    } catch (error) {
      if (error instanceof AwsServiceError && error.statusCode < 500) {
        throw new AwsServiceError(
          'ResourceNotFound',
          `Domain [${domainId}] not found.`
        );
      }
      throw error;
    }
  }

  private async requireModel(
    input: Record<string, unknown>,
    call: ICallContext
  ): Promise<void> {
    const model = requiredString(input, 'ModelName');
    if (!this.upstream) {
      return;
    }
    try {
      await this.upstream.call(
        'SageMaker.DescribeModel',
        { ModelName: model },
        call
      );
    } catch (error) {
      if (error instanceof AwsServiceError && error.statusCode < 500) {
        throw validation(
          `Could not find model "${sageMakerArn(scopeOf(call), `model/${model}`)}".`
        );
      }
      throw error;
    }
  }
}
