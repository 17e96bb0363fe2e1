/**
 * The targets, a section per kind (heading + list), each row with its status, owner, node picker and actions. A
 * Studio space's row also shows its remote access (on/off), its app and the progress of enabling remote access;
 * while remote access is off its terminal and forward buttons are disabled and "Enable remote access…" is offered.
 * A job launched with SSH shows where it is (starting, waiting for a connection with the time left, running,
 * finished); while it waits, "Release" beside "Open terminal" ends the wait; once finished, there is nothing to reach.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import {
  closeIcon,
  copyIcon,
  linkIcon,
  offlineBoltIcon,
  runIcon,
  terminalIcon
} from '@jupyterlab/ui-components';
import React, { useEffect, useState } from 'react';
import { statusTone } from '../format';
import {
  isFinishedJob,
  isWaitingJob,
  remoteAccessOff,
  type IJobRelease
} from '../model';
import type { IBridgeTarget, ISpaceOperation, ITargetGroup } from '../tokens';
import { IconButton, StatusBadge } from './parts';

/** What a row's buttons do (the panel wires them to commands). */
export interface ITargetActions {
  openTerminal(target: IBridgeTarget, node: number): void;
  forwardPort(target: IBridgeTarget, node: number): void;
  copySshCommand(target: IBridgeTarget, node: number): void;
  /** Asks to confirm, then turns remote access on for a space. */
  enableRemoteAccess(target: IBridgeTarget): void;
  /** Forgets a failed operation's message. */
  dismissSpaceOperation(target: IBridgeTarget): void;
  /** Ends the wait of a job launched with SSH (every SSH node). */
  releaseJob(target: IBridgeTarget): void;
}

/** The operation of a space the rows show (the panel reads it from the model). */
export type SpaceOperationOf = (target: string) => ISpaceOperation | undefined;

/** The release of a job asked for in this panel (the panel reads it from the model). */
export type JobReleaseOf = (target: string) => IJobRelease | undefined;

/**
 * The name without its `.<kind>.sagemaker` ending, which the group heading already says; a space without its
 * domain too (the row shows it beside the owner).
 */
export function shortName(target: IBridgeTarget): string {
  if (target.kind === 'space') {
    return target.target.split('.')[0];
  }
  const suffix = `.${target.kind}.sagemaker`;
  return target.target.endsWith(suffix)
    ? target.target.slice(0, -suffix.length)
    : target.target;
}

/** "3 min", "2 h", "5 d" */
export function formatAge(seconds: number | undefined): string | undefined {
  if (seconds === undefined || !Number.isFinite(seconds) || seconds < 0) {
    return undefined;
  }
  if (seconds < 60) {
    return `${Math.round(seconds)} s`;
  }
  if (seconds < 3600) {
    return `${Math.round(seconds / 60)} min`;
  }
  if (seconds < 86400) {
    return `${Math.round(seconds / 3600)} h`;
  }
  return `${Math.round(seconds / 86400)} d`;
}

/**
 * "45 s", "2 min", "60 min", "1 h 35 min": how long a wait still lasts (minutes rounded up, so 0 min never shows;
 * minutes up to an hour and a half, so the first hour counts down visibly).
 */
export function formatTimeLeft(seconds: number): string {
  const whole = Math.max(0, Math.ceil(seconds));
  if (whole < 120) {
    return `${whole} s`;
  }
  const minutes = Math.ceil(whole / 60);
  if (minutes <= 90) {
    return `${minutes} min`;
  }
  const rest = minutes % 60;
  return rest === 0
    ? `${minutes / 60} h`
    : `${Math.floor(minutes / 60)} h ${rest} min`;
}

/** The current time, again every `everyMs` while `active`. */
function useNow(active: boolean, everyMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) {
      return undefined;
    }
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [active, everyMs]);
  return now;
}

/** Where a job launched with SSH is: a phase badge and a word on it (the time left, the release, the failure). */
export function JobStateLine(props: {
  target: IBridgeTarget;
  release?: IJobRelease;
  trans: TranslationBundle;
}): JSX.Element | null {
  const { target, release, trans } = props;
  const job = target.job;
  const waiting = job?.phase === 'waiting';
  const counting =
    waiting && job?.waitEndsAt !== undefined && release === undefined;
  const now = useNow(counting);
  if (!job) {
    return null;
  }
  // a release asked for or answered while the listing still says waiting (the job's log catches up within seconds)
  const released =
    release !== undefined &&
    (job.phase === 'waiting' || job.phase === 'starting');
  let label: string;
  let tone: string;
  let title: string;
  let detail: React.ReactNode = null;
  switch (job.phase) {
    case 'starting':
      label = trans.__('starting');
      tone = 'neutral';
      title =
        job.waitSeconds > 0
          ? trans.__(
              'The job is starting: SSH comes up first, then it waits up to %1 for a connection',
              formatTimeLeft(job.waitSeconds)
            )
          : trans.__(
              'The job is starting: SSH comes up first, then its command runs'
            );
      break;
    case 'waiting': {
      label = trans.__('waiting for connection');
      tone = 'warn';
      const left =
        job.waitEndsAt !== undefined ? job.waitEndsAt - now / 1000 : undefined;
      title =
        job.waitEndsAt !== undefined
          ? trans.__(
              'The job waits for a connection until %1, then runs its command; Release starts it now',
              new Date(job.waitEndsAt * 1000).toLocaleTimeString()
            )
          : trans.__(
              'The job waits up to %1 for a connection, then runs its command; Release starts it now',
              formatTimeLeft(job.waitSeconds)
            );
      if (!released) {
        detail = (
          <span className="jp-SmSsh-jobTimeLeft">
            {left === undefined
              ? trans.__('up to %1', formatTimeLeft(job.waitSeconds))
              : left > 0
                ? trans.__('%1 left', formatTimeLeft(left))
                : trans.__('the wait ends now')}
          </span>
        );
      }
      break;
    }
    case 'running':
      label = trans.__('running');
      tone = 'good';
      title = trans.__("The wait is over: the job's own command runs");
      break;
    default:
      label = trans.__('finished');
      tone = statusTone(target.status);
      title = trans.__('The job has ended: %1', target.status);
      if (job.failureReason) {
        detail = (
          <span className="jp-SmSsh-jobDetail" title={job.failureReason}>
            {job.failureReason}
          </span>
        );
      }
  }
  if (released) {
    detail = (
      <span className="jp-SmSsh-jobDetail">
        {release.state === 'releasing'
          ? trans.__('releasing…')
          : trans.__('released: its command starts…')}
      </span>
    );
  }
  return (
    <div
      className="jp-SmSsh-job"
      data-phase={job.phase}
      {...(released ? { 'data-release': release.state } : {})}
    >
      <span
        className={`jp-SmSsh-badge jp-SmSsh-jobPhase jp-mod-${tone}`}
        title={title}
        aria-label={trans.__('Job: %1', label)}
      >
        {label}
      </span>
      {detail}
    </div>
  );
}

/** "Remote access on" / "off": the badge of a space. */
export function RemoteAccessBadge(props: {
  target: IBridgeTarget;
  trans: TranslationBundle;
}): JSX.Element {
  const { target, trans } = props;
  const on = target.remoteAccess === 'ENABLED';
  const title = on
    ? trans.__(
        'Remote access is on: sm-ssh reaches the space through SageMaker StartSession'
      )
    : trans.__(
        'Remote access is off: enable it to open a terminal or forward a port'
      );
  return (
    <span
      className={`jp-SmSsh-badge jp-SmSsh-remoteAccess ${on ? 'jp-mod-on jp-mod-good' : 'jp-mod-off jp-mod-neutral'}`}
      data-remote-access={on ? 'ENABLED' : 'DISABLED'}
      title={title}
      aria-label={title}
    >
      {on ? trans.__('remote access on') : trans.__('remote access off')}
    </span>
  );
}

/** The progress or the failure of enabling remote access on a space (nothing once it is done). */
function SpaceOperationLine(props: {
  operation: ISpaceOperation;
  onDismiss: () => void;
  trans: TranslationBundle;
}): JSX.Element | null {
  const { operation, trans } = props;
  if (operation.state === 'running') {
    return (
      <div
        className="jp-SmSsh-spaceOperation"
        data-state="running"
        role="status"
      >
        <span className="jp-smssh-spinner" aria-hidden="true" />
        <span className="jp-SmSsh-spaceOperationStep">
          {trans.__('Enabling remote access: %1…', operation.step)}
        </span>
      </div>
    );
  }
  if (operation.state === 'failed') {
    return (
      <div className="jp-SmSsh-spaceOperation" data-state="failed" role="alert">
        <div className="jp-SmSsh-spaceOperationText">
          <span className="jp-SmSsh-spaceOperationError">
            {trans.__(
              'Could not enable remote access: %1',
              operation.error ?? operation.step
            )}
          </span>
          {operation.hint && (
            <span className="jp-SmSsh-hint">{operation.hint}</span>
          )}
        </div>
        <IconButton
          icon={closeIcon}
          label={trans.__('Dismiss')}
          onClick={props.onDismiss}
        />
      </div>
    );
  }
  return null;
}

export function TargetRow(props: {
  target: IBridgeTarget;
  actions: ITargetActions;
  trans: TranslationBundle;
  /** A space's enable-remote-access operation, when this panel saw one. */
  operation?: ISpaceOperation;
  /** A job's release asked for in this panel. */
  release?: IJobRelease;
}): JSX.Element {
  const { target, actions, trans, operation, release } = props;
  const [node, setNode] = useState(1);
  const selected = Math.min(node, Math.max(1, target.nodes));
  const name = target.target;
  const age = formatAge(target.ageSeconds);
  const space = target.via === 'remote-access';
  const off = remoteAccessOff(target);
  const enabling = operation?.state === 'running';
  const finished = isFinishedJob(target);
  const unreachable = off || enabling || finished;
  const why = finished
    ? trans.__('%1 has finished: its SSH nodes are gone', name)
    : enabling
      ? trans.__('Remote access is being enabled on %1', name)
      : trans.__('Remote access is off on %1: enable it first', name);
  const waiting = isWaitingJob(target);
  const releasing = release?.state === 'releasing';
  const released = release?.state === 'released';
  // an untagged target (an endpoint, found through its logs) counts as mine for the filter, but has no owner;
  // a space's owner is its user profile (a shared space has none)
  const owner = space
    ? target.owner || trans.__('shared space')
    : !target.owner
      ? trans.__('no owner tag')
      : target.mine
        ? trans.__('%1 (you)', target.owner)
        : target.owner;
  const domain = space ? name.split('.')[1] : undefined;
  return (
    <li
      className="jp-SmSsh-target"
      data-target={name}
      data-kind={target.kind}
      data-status={target.status}
      data-via={target.via}
      {...(space
        ? {
            'data-remote-access': target.remoteAccess ?? 'DISABLED',
            'data-app-status': target.appStatus ?? 'None'
          }
        : {})}
      {...(operation ? { 'data-operation': operation.state } : {})}
      {...(target.job ? { 'data-job-phase': target.job.phase } : {})}
    >
      <div className="jp-SmSsh-targetHead">
        <span className="jp-SmSsh-targetName" title={name}>
          {shortName(target)}
        </span>
        <StatusBadge
          status={target.status}
          label={trans.__('SageMaker status')}
        />
        {space ? (
          <RemoteAccessBadge target={target} trans={trans} />
        ) : (
          target.ping !== 'Online' &&
          !finished && (
            <StatusBadge
              status={target.ping}
              label={trans.__('SSM agent')}
              className="jp-SmSsh-ping"
            />
          )
        )}
      </div>
      <div className="jp-SmSsh-targetMeta">
        <span
          className="jp-SmSsh-owner"
          title={
            space ? trans.__('Owner (user profile)') : trans.__('SSHOwner tag')
          }
        >
          {owner}
        </span>
        {space && (
          <span
            className="jp-SmSsh-app"
            title={trans.__('The app of the space and its status')}
          >
            {trans.__(
              '%1 app: %2',
              target.appType ?? trans.__('no'),
              target.appStatus ?? 'None'
            )}
          </span>
        )}
        {domain && (
          <span className="jp-SmSsh-domain" title={trans.__('Studio domain')}>
            {domain}
          </span>
        )}
        {target.nodes > 1 && (
          <span className="jp-SmSsh-nodes">
            {trans._n('%1 node', '%1 nodes', target.nodes)}
          </span>
        )}
        {age && (
          <span className="jp-SmSsh-age" title={trans.__('registered')}>
            {trans.__('%1 ago', age)}
          </span>
        )}
      </div>
      <JobStateLine target={target} release={release} trans={trans} />
      <div className="jp-SmSsh-targetActions">
        {target.nodes > 1 && !finished && (
          <select
            className="jp-SmSsh-nodeSelect jp-mod-styled"
            aria-label={`Node of ${name}`}
            title={trans.__('Node')}
            value={selected}
            onChange={event => setNode(Number(event.currentTarget.value))}
          >
            {Array.from({ length: target.nodes }, (_, index) => (
              <option key={index + 1} value={index + 1}>
                {trans.__('node %1', index + 1)}
              </option>
            ))}
          </select>
        )}
        <IconButton
          icon={terminalIcon}
          label={`Open terminal on ${name}`}
          text={trans.__('Terminal')}
          disabled={unreachable}
          tooltip={unreachable ? why : undefined}
          onClick={() => actions.openTerminal(target, selected)}
        />
        {waiting && (
          // stays (disabled) after a release until the phase moves on, so the row changes once, not twice
          <IconButton
            icon={runIcon}
            label={`Release ${name}`}
            text={trans.__('Release')}
            className="jp-SmSsh-releaseJob"
            disabled={releasing || released}
            tooltip={
              releasing
                ? trans.__('Releasing %1…', name)
                : released
                  ? trans.__('%1 was released: its command starts', name)
                  : trans.__(
                      'End the wait: the job runs its own command now (sm-ssh job release)'
                    )
            }
            onClick={() => actions.releaseJob(target)}
          />
        )}
        <IconButton
          icon={linkIcon}
          label={`Forward a port of ${name}`}
          text={trans.__('Forward port…')}
          disabled={unreachable}
          tooltip={unreachable ? why : undefined}
          onClick={() => actions.forwardPort(target, selected)}
        />
        <IconButton
          icon={copyIcon}
          label={`Copy ssh command for ${name}`}
          disabled={finished}
          tooltip={finished ? why : undefined}
          onClick={() => actions.copySshCommand(target, selected)}
        />
        {off && (
          <IconButton
            icon={offlineBoltIcon}
            label={`Enable remote access on ${name}`}
            text={trans.__('Enable remote access…')}
            className="jp-SmSsh-enableRemoteAccess"
            disabled={enabling}
            tooltip={
              enabling
                ? why
                : trans.__("Turn remote access on (restarts the space's app)")
            }
            onClick={() => actions.enableRemoteAccess(target)}
          />
        )}
      </div>
      {operation && (
        <SpaceOperationLine
          operation={operation}
          onDismiss={() => actions.dismissSpaceOperation(target)}
          trans={trans}
        />
      )}
    </li>
  );
}

export function TargetGroups(props: {
  groups: ITargetGroup[];
  actions: ITargetActions;
  trans: TranslationBundle;
  /** The spaces' operations (default none). */
  operationOf?: SpaceOperationOf;
  /** The jobs' releases asked for in this panel (default none). */
  releaseOf?: JobReleaseOf;
}): JSX.Element {
  return (
    <div className="jp-SmSsh-groups">
      {props.groups.map(group => (
        <section
          key={group.kind}
          className="jp-SmSsh-group"
          data-kind={group.kind}
          aria-labelledby={`jp-SmSsh-group-${group.kind}`}
        >
          <div className="jp-SmSsh-groupHeader">
            <h3
              id={`jp-SmSsh-group-${group.kind}`}
              className="jp-SmSsh-groupHeading"
            >
              {props.trans.__(group.label)}
            </h3>
            <span
              className="jp-SmSsh-groupCount"
              aria-label={props.trans._n(
                '%1 target',
                '%1 targets',
                group.targets.length
              )}
            >
              {group.targets.length}
            </span>
          </div>
          <ul className="jp-SmSsh-targets">
            {group.targets.map(target => (
              <TargetRow
                key={target.target}
                target={target}
                actions={props.actions}
                trans={props.trans}
                operation={props.operationOf?.(target.target)}
                release={props.releaseOf?.(target.target)}
              />
            ))}
          </ul>
        </section>
      ))}
    </div>
  );
}
