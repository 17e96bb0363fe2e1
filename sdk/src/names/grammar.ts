/**
 * Target names as the original project writes them (`<name>.<kind>.sagemaker`, Studio's long form
 * `<app>.<space-or-user>.<domain>.studio.sagemaker`), Studio spaces (`<space>.<domain>.space.sagemaker`), SSM
 * managed instance ids and SageMaker ARNs. Parsing checks every part against SageMaker's own name rules, so a
 * typo is reported with the part that is wrong instead of as "not found" after a round of AWS calls.
 */
import { UsageError } from '../errors.js';

/** The kinds of target, as they appear in names. */
export const TARGET_KINDS = [
  'training',
  'processing',
  'transform',
  'inference',
  'notebook',
  'studio',
  'space'
] as const;

export type TargetKind = (typeof TARGET_KINDS)[number];

/** The last label of every name. */
export const NAME_SUFFIX = 'sagemaker';

/** What each kind names, for messages. */
export const KIND_RESOURCE: Record<TargetKind, string> = {
  training: 'training job',
  processing: 'processing job',
  transform: 'transform job',
  inference: 'endpoint',
  notebook: 'notebook instance',
  studio: 'Studio app',
  space: 'Studio space'
};

/** The resource type of each kind in SageMaker ARNs (`arn:…:sagemaker:…:<type>/…`). */
const ARN_RESOURCE_TYPE: Record<TargetKind, string> = {
  training: 'training-job',
  processing: 'processing-job',
  transform: 'transform-job',
  inference: 'endpoint',
  notebook: 'notebook-instance',
  studio: 'app',
  space: 'space'
};

/** A SageMaker resource named by `<name>.<kind>.sagemaker` (form `name`) or by its ARN (form `arn`). */
export interface IResourceTarget {
  form: 'name' | 'arn';
  kind: TargetKind;
  /** The job, endpoint, notebook instance, Studio app or space name. */
  name: string;
  /** Studio apps: the user profile or space the app runs in, when the name or ARN says. */
  owner?: string;
  /** Studio apps and spaces: the domain id (`d-…`), when the name or ARN says. */
  domain?: string;
  /** Studio apps named by ARN: the app type (`KernelGateway`, `JupyterLab`, …). */
  appType?: string;
  /** Form `arn`: the ARN as given, and its parts. */
  arn?: string;
  partition?: string;
  region?: string;
  account?: string;
}

/** An SSM managed instance named by its id. */
export interface IInstanceTarget {
  form: 'instance';
  instanceId: string;
}

export type Target = IResourceTarget | IInstanceTarget;

const SAGEMAKER_NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;
const DOMAIN_ID = /^d-(-*[a-z0-9]){1,61}$/;
const INSTANCE_ID = /^mi-[0-9a-f]{17}$/;
const EXAMPLES =
  'pass a name such as my-job.training.sagemaker, a managed instance id (mi-…) or a SageMaker ARN';

function bad(text: string, why: string, hint = EXAMPLES): UsageError {
  return new UsageError(`target "${text}": ${why}`, hint);
}

function checkName(text: string, value: string, what: string): string {
  if (!SAGEMAKER_NAME.test(value)) {
    throw bad(
      text,
      `${what} "${value}" is not a SageMaker name`,
      'SageMaker names are 1-63 letters, digits and hyphens, starting and ending with a letter or digit'
    );
  }
  return value;
}

function checkDomain(text: string, value: string): string {
  const domain = value.toLowerCase();
  if (!DOMAIN_ID.test(domain)) {
    throw bad(
      text,
      `"${value}" is not a Studio domain id`,
      'domain ids look like d-abc123xyz (SageMaker console → Domains, or aws sagemaker list-domains)'
    );
  }
  return domain;
}

function isKind(value: string): value is TargetKind {
  return (TARGET_KINDS as readonly string[]).includes(value);
}

/**
 * Parses a target: `<name>.<kind>.sagemaker` (kinds {@link TARGET_KINDS}), the Studio and space forms, `mi-…`, or an
 * ARN of a job, endpoint, notebook instance, Studio app or space. The kind and suffix are case-insensitive (OpenSSH
 * lowercases host names); resource names keep their case.
 *
 * @throws UsageError naming the part that is wrong.
 */
export function parseTarget(input: string): Target {
  const text = input.trim();
  if (text.length === 0) {
    throw new UsageError('the target is empty', EXAMPLES);
  }
  if (/^mi-/i.test(text)) {
    const instanceId = text.toLowerCase();
    if (!INSTANCE_ID.test(instanceId)) {
      throw bad(
        text,
        'a managed instance id is "mi-" and 17 hexadecimal digits',
        'copy the id from sm-ssh list or the SSM console (Fleet Manager)'
      );
    }
    return { form: 'instance', instanceId };
  }
  if (/^arn:/i.test(text)) {
    return parseArn(text);
  }
  return parseName(text);
}

function parseName(text: string): IResourceTarget {
  const labels = text.replace(/\.$/, '').split('.');
  if (labels.length < 3 || labels.at(-1)?.toLowerCase() !== NAME_SUFFIX) {
    throw bad(
      text,
      `a name ends in .<kind>.${NAME_SUFFIX}`,
      `kinds: ${TARGET_KINDS.join(', ')}; e.g. my-job.training.sagemaker`
    );
  }
  const kindLabel = (labels.at(-2) as string).toLowerCase();
  if (!isKind(kindLabel)) {
    throw bad(
      text,
      `"${labels.at(-2)}" is not a kind`,
      `kinds: ${TARGET_KINDS.join(', ')}`
    );
  }
  const kind = kindLabel;
  const parts = labels.slice(0, -2);
  if (parts.some(part => part.length === 0)) {
    throw bad(text, 'a name has an empty part (two dots in a row?)');
  }
  if (kind === 'studio') {
    if (parts.length === 1) {
      return {
        form: 'name',
        kind,
        name: checkName(text, parts[0], KIND_RESOURCE.studio + ' name')
      };
    }
    if (parts.length === 3) {
      return {
        form: 'name',
        kind,
        name: checkName(text, parts[0], KIND_RESOURCE.studio + ' name'),
        owner: checkName(text, parts[1], 'the user profile or space'),
        domain: checkDomain(text, parts[2])
      };
    }
    throw bad(
      text,
      `a Studio name has 1 or 3 parts before .studio.${NAME_SUFFIX}, not ${parts.length}`,
      `use <app>.studio.${NAME_SUFFIX} or <app>.<user-profile-or-space>.<domain-id>.studio.${NAME_SUFFIX}`
    );
  }
  if (kind === 'space') {
    if (parts.length !== 2) {
      throw bad(
        text,
        `a space name has 2 parts before .space.${NAME_SUFFIX}, not ${parts.length}`,
        `use <space>.<domain-id>.space.${NAME_SUFFIX}`
      );
    }
    return {
      form: 'name',
      kind,
      name: checkName(text, parts[0], 'the space name'),
      domain: checkDomain(text, parts[1])
    };
  }
  if (parts.length !== 1) {
    throw bad(
      text,
      `a ${KIND_RESOURCE[kind]} name has no dots ("${parts.join('.')}")`,
      `use <name>.${kind}.${NAME_SUFFIX}`
    );
  }
  return {
    form: 'name',
    kind,
    name: checkName(text, parts[0], `the ${KIND_RESOURCE[kind]} name`)
  };
}

const ARN = /^arn:([a-z-]+):sagemaker:([a-z0-9-]+):(\d{12}):([a-z-]+)\/(.+)$/;

function parseArn(text: string): IResourceTarget {
  const match = ARN.exec(text);
  if (!match) {
    throw bad(
      text,
      'not a SageMaker ARN (arn:<partition>:sagemaker:<region>:<account>:<type>/<name>)',
      'copy the ARN from the SageMaker console or from aws sagemaker describe-…'
    );
  }
  const [, partition, region, account, type, rest] = match;
  const kind = TARGET_KINDS.find(k => ARN_RESOURCE_TYPE[k] === type);
  if (!kind) {
    const types = TARGET_KINDS.map(k => ARN_RESOURCE_TYPE[k]).join(', ');
    throw bad(
      text,
      `SageMaker resources of type "${type}" cannot be reached over SSH`,
      `ARNs of these types can: ${types}`
    );
  }
  const base = {
    form: 'arn' as const,
    kind,
    arn: text,
    partition,
    region,
    account
  };
  const path = rest.split('/');
  if (kind === 'studio') {
    if (path.length !== 4) {
      throw bad(
        text,
        'a Studio app ARN ends in app/<domain-id>/<user-profile-or-space>/<app-type>/<app-name>'
      );
    }
    return {
      ...base,
      domain: checkDomain(text, path[0]),
      owner: checkName(text, path[1], 'the user profile or space'),
      appType: path[2],
      name: checkName(text, path[3], 'the Studio app name')
    };
  }
  if (kind === 'space') {
    if (path.length !== 2) {
      throw bad(text, 'a space ARN ends in space/<domain-id>/<space-name>');
    }
    return {
      ...base,
      domain: checkDomain(text, path[0]),
      name: checkName(text, path[1], 'the space name')
    };
  }
  if (path.length !== 1) {
    throw bad(text, `a ${KIND_RESOURCE[kind]} ARN ends in ${type}/<name>`);
  }
  return {
    ...base,
    name: checkName(text, path[0], `the ${KIND_RESOURCE[kind]} name`)
  };
}

/**
 * The name to pass to `connect` for a target: `<name>.<kind>.sagemaker`, the long Studio form when the owner and
 * domain are known, `<space>.<domain>.space.sagemaker`, or the instance id.
 */
export function formatTarget(target: Target): string {
  if (target.form === 'instance') {
    return target.instanceId;
  }
  if (target.kind === 'studio' && target.owner && target.domain) {
    return `${target.name}.${target.owner}.${target.domain}.studio.${NAME_SUFFIX}`;
  }
  if (target.kind === 'space') {
    return `${target.name}.${target.domain ?? ''}.space.${NAME_SUFFIX}`;
  }
  return `${target.name}.${target.kind}.${NAME_SUFFIX}`;
}

/**
 * The fragment that an `SSHResourceArn` tag of this kind contains (the original project's match rule), e.g.
 * `:training-job/` or, for a Studio app of a known domain and owner, `:app/<domain>/<owner>/`.
 */
export function arnFragment(target: IResourceTarget): string {
  if (target.kind === 'studio' && target.domain && target.owner) {
    return `:app/${target.domain}/${target.owner}/`;
  }
  return `:${ARN_RESOURCE_TYPE[target.kind]}/`;
}
