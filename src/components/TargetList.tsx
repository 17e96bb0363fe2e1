/** The targets, a section per kind (heading + list), each row with its status, owner, node picker and actions. */
import type { TranslationBundle } from '@jupyterlab/translation';
import { copyIcon, linkIcon, terminalIcon } from '@jupyterlab/ui-components';
import React, { useState } from 'react';
import type { IBridgeTarget, ITargetGroup } from '../tokens';
import { IconButton, StatusBadge } from './parts';

/** What a row's buttons do (the panel wires them to commands). */
export interface ITargetActions {
  openTerminal(target: IBridgeTarget, node: number): void;
  forwardPort(target: IBridgeTarget, node: number): void;
  copySshCommand(target: IBridgeTarget, node: number): void;
}

/** The name without its `.<kind>.sagemaker` ending, which the group heading already says. */
export function shortName(target: IBridgeTarget): string {
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

export function TargetRow(props: {
  target: IBridgeTarget;
  actions: ITargetActions;
  trans: TranslationBundle;
}): JSX.Element {
  const { target, actions, trans } = props;
  const [node, setNode] = useState(1);
  const selected = Math.min(node, Math.max(1, target.nodes));
  const name = target.target;
  const age = formatAge(target.ageSeconds);
  // an untagged target (an endpoint, found through its logs) counts as mine for the filter, but has no owner
  const owner = !target.owner
    ? trans.__('no owner tag')
    : target.mine
      ? trans.__('%1 (you)', target.owner)
      : target.owner;
  return (
    <li
      className="jp-SmSsh-target"
      data-target={name}
      data-kind={target.kind}
      data-status={target.status}
    >
      <div className="jp-SmSsh-targetHead">
        <span className="jp-SmSsh-targetName" title={name}>
          {shortName(target)}
        </span>
        <StatusBadge
          status={target.status}
          label={trans.__('SageMaker status')}
        />
        {target.ping !== 'Online' && (
          <StatusBadge
            status={target.ping}
            label={trans.__('SSM agent')}
            className="jp-SmSsh-ping"
          />
        )}
      </div>
      <div className="jp-SmSsh-targetMeta">
        <span className="jp-SmSsh-owner" title={trans.__('SSHOwner tag')}>
          {owner}
        </span>
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
          onClick={() => actions.openTerminal(target, selected)}
        />
        <IconButton
          icon={linkIcon}
          label={`Forward a port of ${name}`}
          text={trans.__('Forward port…')}
          onClick={() => actions.forwardPort(target, selected)}
        />
        <IconButton
          icon={copyIcon}
          label={`Copy ssh command for ${name}`}
          onClick={() => actions.copySshCommand(target, selected)}
        />
      </div>
    </li>
  );
}

export function TargetGroups(props: {
  groups: ITargetGroup[];
  actions: ITargetActions;
  trans: TranslationBundle;
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
              />
            ))}
          </ul>
        </section>
      ))}
    </div>
  );
}
