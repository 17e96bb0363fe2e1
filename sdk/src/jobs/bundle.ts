/**
 * The bootstrap bundle of a job launched with SSH: the wrapper `sm-ssh-job.sh` and `sm-ssh-init.sh`, read from the
 * package at run time, and where they go in S3 (`s3://<bucket>/<prefix>/<job>/sm-ssh/`).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { OperationError, UsageError } from '../errors.js';
import { BUNDLE_CHANNEL, RELEASE_FILE, type IBundleUpload } from './types.js';

/**
 * `sdk/remote/`, from `sdk/dist/jobs/` and `sdk/src/jobs/` alike. The CLI bundle (`scripts/build-cli-bundle.mjs`)
 * rewrites this to `./remote/` beside `sm-ssh.mjs` and copies the files there.
 */
const REMOTE_DIR = new URL('../../remote/', import.meta.url);

/** The files of `sdk/remote/` the SDK ships to containers. */
export type RemoteFile =
  'sm-ssh-job.sh' | 'sm-ssh-init.sh' | 'sm_ssh_inference.py';

/** The wrapped entry point of a job. */
export const JOB_SCRIPT = 'sm-ssh-job.sh';
/** What makes a container an SSH target (sdk/remote/README.md). */
export const INIT_SCRIPT = 'sm-ssh-init.sh';

/** Where the wrapper keeps its state in the container (`waiting`, `released`, `running`, the release file, a copy of itself). */
export const JOB_STATE_DIR = RELEASE_FILE.slice(
  0,
  RELEASE_FILE.lastIndexOf('/')
);

/**
 * What `sm-ssh job release` runs in each node through Run Command: the wrapper's copy in the state directory, which
 * needs none of the job's environment; `not-waiting` where no wrapper ever ran (an instance that is not a job's).
 */
export const JOB_RELEASE_COMMAND = `if [ -f ${JOB_STATE_DIR}/${JOB_SCRIPT} ]; then sh ${JOB_STATE_DIR}/${JOB_SCRIPT} release; else echo not-waiting; fi`;

/** S3's limit on a key, in UTF-8 bytes; SageMaker's on a channel's or processing input's `S3Uri`, in characters. */
const MAX_S3_KEY_BYTES = 1024;
const MAX_S3_URI_LENGTH = 1024;

const texts = new Map<RemoteFile, string>();

/** Where a file of `sdk/remote/` is on this machine. */
export function remoteFilePath(name: RemoteFile): string {
  return fileURLToPath(new URL(name, REMOTE_DIR));
}

/** The text of a file of `sdk/remote/`, as the package has it (read once). */
export function remoteFile(name: RemoteFile): string {
  let text = texts.get(name);
  if (text === undefined) {
    const path = remoteFilePath(name);
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      throw new OperationError(
        `cannot read ${path}, which jobs and models launched with SSH need: ${(error as Error).message}`,
        'reinstall the sagemaker-ssh package (its remote/ folder ships the scripts)'
      );
    }
    texts.set(name, text);
  }
  return text;
}

export function sha256Hex(body: string): string {
  return createHash('sha256').update(body, 'utf8').digest('hex');
}

/** A bucket and a key (or key prefix: no leading `/`, `''` for the bucket's root). */
export interface IS3Location {
  bucket: string;
  key: string;
}

const BUCKET =
  /^(?!\d+\.\d+\.\d+\.\d+$)(?!xn--)(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** `s3://bucket[/key]` → bucket and key; `what` names the value in the error. */
export function parseS3Uri(uri: string, what = 'bundle URI'): IS3Location {
  const hint =
    'pass s3://<bucket>/<prefix>, e.g. s3://sagemaker-us-east-1-123456789012/sm-ssh/jobs';
  const match = /^s3:\/\/([^/]*)(?:\/(.*))?$/.exec(uri);
  if (!match) {
    throw new UsageError(`${what} "${uri}" is not an s3:// URI`, hint);
  }
  const [, bucket, key = ''] = match;
  if (!BUCKET.test(bucket)) {
    throw new UsageError(
      `${what} "${uri}" has an invalid bucket name "${bucket}" (3-63 lowercase letters, digits, dots, hyphens)`,
      hint
    );
  }
  return { bucket, key };
}

/** The bundle of one job: where it is in S3 and what to upload there. */
export interface IJobBundle {
  bucket: string;
  /** The key prefix of the files, ending in `/` (`<prefix>/<job>/sm-ssh/`). */
  prefix: string;
  /** `s3://<bucket>/<prefix>/<job>/sm-ssh/`: the channel's / processing input's `S3Uri`. */
  uri: string;
  uploads: IBundleUpload[];
}

/** One object to upload. */
export function bundleUpload(
  bucket: string,
  key: string,
  body: string
): IBundleUpload {
  return {
    bucket,
    key,
    s3Uri: `s3://${bucket}/${key}`,
    body,
    bytes: Buffer.byteLength(body, 'utf8'),
    sha256: sha256Hex(body)
  };
}

/**
 * The bundle of job `jobName` under `bundleUri` (`s3://<bucket>/<prefix>`): `sm-ssh-job.sh` and `sm-ssh-init.sh`
 * under `<prefix>/<job>/sm-ssh/`. The prefix ends in `/` so that the channel gets these files only, not those of a
 * job whose name starts with this one's.
 */
export function jobBundle(bundleUri: string, jobName: string): IJobBundle {
  const { bucket, key } = parseS3Uri(bundleUri);
  const base = key.replace(/^\/+|\/+$/g, '');
  const prefix = `${base ? `${base}/` : ''}${jobName}/${BUNDLE_CHANNEL}/`;
  const uri = `s3://${bucket}/${prefix}`;
  const names: RemoteFile[] = [JOB_SCRIPT, INIT_SCRIPT];
  const longest = Math.max(
    ...names.map(name => Buffer.byteLength(`${prefix}${name}`, 'utf8'))
  );
  if (longest > MAX_S3_KEY_BYTES || uri.length > MAX_S3_URI_LENGTH) {
    throw new UsageError(
      `the bundle of job "${jobName}" under ${bundleUri} would have keys of ${longest} bytes and an S3Uri of ${uri.length} characters; S3 allows ${MAX_S3_KEY_BYTES}-byte keys, SageMaker ${MAX_S3_URI_LENGTH}-character S3Uris`,
      'pass a shorter bundle prefix (--prefix)'
    );
  }
  return {
    bucket,
    prefix,
    uri,
    uploads: names.map(name =>
      bundleUpload(bucket, `${prefix}${name}`, remoteFile(name))
    )
  };
}
