/** Small shared view parts: a status badge and an icon button (a native <button> with a label for readers). */
import { Button, LabIcon } from '@jupyterlab/ui-components';
import React from 'react';
import { statusTone } from '../format';

export function StatusBadge(props: {
  status: string;
  /** What the badge is about, for screen readers (e.g. "SageMaker status"). */
  label: string;
  className?: string;
}): JSX.Element {
  return (
    <span
      className={`jp-SmSsh-badge jp-mod-${statusTone(props.status)}${props.className ? ` ${props.className}` : ''}`}
      title={`${props.label}: ${props.status}`}
      aria-label={`${props.label}: ${props.status}`}
    >
      {props.status}
    </span>
  );
}

export function IconButton(props: {
  icon: LabIcon;
  /** The accessible name, also the tooltip. */
  label: string;
  onClick: () => void;
  disabled?: boolean;
  className?: string;
  /** Visible text beside the icon (optional). */
  text?: string;
}): JSX.Element {
  return (
    <Button
      className={`jp-SmSsh-iconButton${props.className ? ` ${props.className}` : ''}`}
      minimal
      small
      type="button"
      aria-label={props.label}
      title={props.label}
      disabled={props.disabled}
      onClick={props.onClick}
    >
      <props.icon.react tag="span" className="jp-SmSsh-buttonIcon" />
      {props.text && <span className="jp-SmSsh-buttonText">{props.text}</span>}
    </Button>
  );
}
