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
  /** The accessible name, also the tooltip unless `tooltip` is given. */
  label: string;
  onClick: () => void;
  disabled?: boolean;
  /** The tooltip instead of the label (e.g. why the button is disabled). */
  tooltip?: string;
  className?: string;
  /** Visible text beside the icon (optional). */
  text?: string;
}): JSX.Element {
  const tooltip = props.tooltip ?? props.label;
  const button = (
    <Button
      className={`jp-SmSsh-iconButton${props.className ? ` ${props.className}` : ''}`}
      minimal
      small
      type="button"
      aria-label={props.label}
      title={tooltip}
      disabled={props.disabled}
      onClick={props.onClick}
    >
      <props.icon.react tag="span" className="jp-SmSsh-buttonIcon" />
      {props.text && <span className="jp-SmSsh-buttonText">{props.text}</span>}
    </Button>
  );
  // a disabled button gets no pointer events, so its tooltip is the wrapper's
  return props.disabled && props.tooltip ? (
    <span className="jp-SmSsh-disabledButton" title={tooltip}>
      {button}
    </span>
  ) : (
    button
  );
}
