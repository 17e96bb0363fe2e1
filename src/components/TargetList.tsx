/**
 * The targets, a section per kind (heading + list), each row with its status, owner, node picker and actions. A
 * Studio space's row also shows its remote access (on/off), its app and the progress of enabling remote access;
 * while remote access is off its terminal and forward buttons are disabled and "Enable remote access…" is offered.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import {
  closeIcon,
  copyIcon,
  linkIcon,
  offlineBoltIcon,
  terminalIcon
} from '@jupyterlab/ui-components';
import React, { useState } from 'react';
import { remoteAccessOff } from '../model';
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
}

/** The operation of a space the rows show (the panel reads it from the model). */
export type SpaceOperationOf = (target: string) => ISpaceOperation | undefined;

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
}): JSX.Element {
  const { target, actions, trans, operation } = props;
  const [node, setNode] = useState(1);
  const selected = Math.min(node, Math.max(1, target.nodes));
  const name = target.target;
  const age = formatAge(target.ageSeconds);
  const space = target.via === 'remote-access';
  const off = remoteAccessOff(target);
  const enabling = operation?.state === 'running';
  const unreachable = off || enabling;
  const why = enabling
    ? trans.__('Remote access is being enabled on %1', name)
    : trans.__('Remote access is off on %1: enable it first', name);
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
          target.ping !== 'Online' && (
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
      <div className="jp-SmSsh-targetActions">
        {target.nodes > 1 && (
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
              />
            ))}
          </ul>
        </section>
      ))}
    </div>
  );
}
