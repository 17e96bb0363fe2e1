/**
 * A job's container output in CloudWatch Logs, as SageMaker ships it: stdout and stderr of node `algo-<i>`, line by
 * line, to the stream `<job>/algo-<i>-<epoch seconds>` of `/aws/sagemaker/TrainingJobs` or `…/ProcessingJobs`. Lines
 * are batched (a PutLogEvents a quarter second after the first line waiting, or at once when a batch is full) with
 * non-decreasing timestamps of when each line came; the group and the stream are created when missing. A failed
 * call loses its batch and is recorded in `errors`; it never stops the job.
 */
import type {
  CloudWatchLogsClient,
  InputLogEvent
} from '@aws-sdk/client-cloudwatch-logs';
import { logsSdk } from '../../aws/sdk.js';

const BATCH_DELAY_MS = 250;
/** PutLogEvents takes 10,000 events and 1 MiB (a message's UTF-8 bytes plus 26 each); we stay well below. */
const MAX_BATCH_EVENTS = 1000;
const MAX_BATCH_BYTES = 512 * 1024;
/** An event takes 256 KiB; longer lines are cut into pieces of this many characters. */
const MAX_LINE_CHARS = 64 * 1024;

function alreadyExists(error: unknown): boolean {
  return (error as Error).name === 'ResourceAlreadyExistsException';
}

/** The log group of one job's containers; `stream(…)` gives each node's writer. */
export class JobLogs {
  readonly errors: string[] = [];
  private group?: Promise<void>;
  private readonly streams: JobLogStream[] = [];

  constructor(
    private readonly client: CloudWatchLogsClient,
    readonly groupName: string
  ) {}

  /** Creates the group once (it usually exists: every job of the kind writes to it). */
  ensureGroup(): Promise<void> {
    const { CreateLogGroupCommand } = logsSdk();
    this.group ??= this.client
      .send(new CreateLogGroupCommand({ logGroupName: this.groupName }))
      .then(
        () => undefined,
        error => {
          if (!alreadyExists(error)) {
            this.group = undefined;
            throw error;
          }
        }
      );
    return this.group;
  }

  stream(name: string): JobLogStream {
    const stream = new JobLogStream(this, this.client, name);
    this.streams.push(stream);
    return stream;
  }

  /** Ships what every stream still holds (a partial last line too). */
  async flush(): Promise<void> {
    await Promise.all(this.streams.map(stream => stream.end()));
  }

  fail(what: string, error: unknown): void {
    this.errors.push(`${what}: ${(error as Error).message ?? String(error)}`);
  }
}

/** One node's stream: `write` takes output as it comes, `end` ships the rest. */
export class JobLogStream {
  private partial = '';
  private pending: InputLogEvent[] = [];
  private last = 0;
  private timer?: NodeJS.Timeout;
  private sending: Promise<void> = Promise.resolve();
  private created?: Promise<void>;

  constructor(
    private readonly logs: JobLogs,
    private readonly client: CloudWatchLogsClient,
    readonly name: string
  ) {}

  write(text: string): void {
    const lines = (this.partial + text).split('\n');
    this.partial = lines.pop() ?? '';
    lines.forEach(line => this.add(line));
  }

  /** Ships the partial last line and everything waiting; resolves when it is in (or failed). */
  end(): Promise<void> {
    if (this.partial) {
      this.add(this.partial);
      this.partial = '';
    }
    return this.flush();
  }

  private add(raw: string): void {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (!line) {
      // CloudWatch takes no empty message
      return;
    }
    this.last = Math.max(this.last, Date.now());
    for (let at = 0; at < line.length; at += MAX_LINE_CHARS) {
      this.pending.push({
        timestamp: this.last,
        message: line.slice(at, at + MAX_LINE_CHARS)
      });
    }
    if (this.pending.length >= MAX_BATCH_EVENTS) {
      void this.flush();
    } else {
      this.timer ??= setTimeout(() => void this.flush(), BATCH_DELAY_MS);
    }
  }

  private flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.sending = this.sending.then(() => this.sendAll());
    return this.sending;
  }

  private async sendAll(): Promise<void> {
    const { CreateLogStreamCommand, PutLogEventsCommand } = logsSdk();
    while (this.pending.length > 0) {
      let bytes = 0;
      let count = 0;
      while (count < this.pending.length && count < MAX_BATCH_EVENTS) {
        const size = Buffer.byteLength(this.pending[count].message ?? '') + 26;
        if (count > 0 && bytes + size > MAX_BATCH_BYTES) {
          break;
        }
        bytes += size;
        count += 1;
      }
      const batch = this.pending.splice(0, count);
      try {
        this.created ??= this.logs.ensureGroup().then(() =>
          this.client
            .send(
              new CreateLogStreamCommand({
                logGroupName: this.logs.groupName,
                logStreamName: this.name
              })
            )
            .then(
              () => undefined,
              error => {
                if (!alreadyExists(error)) {
                  throw error;
                }
              }
            )
        );
        await this.created;
        await this.client.send(
          new PutLogEventsCommand({
            logGroupName: this.logs.groupName,
            logStreamName: this.name,
            logEvents: batch
          })
        );
      } catch (error) {
        // a stream that could not be created is tried again with the next batch
        this.created = undefined;
        this.logs.fail(`${this.logs.groupName} ${this.name}`, error);
      }
    }
  }
}
