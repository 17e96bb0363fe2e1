/** The status-bar item: the number of live SSH tunnels; a click opens the panel. */
import type { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget, UseSignal } from '@jupyterlab/ui-components';
import React from 'react';
import { smSshIcon } from '../icons';
import type { SmSshModel } from '../model';

export const STATUS_ITEM_ID = 'sagemaker-ssh-jupyterlab:tunnels';

export function tunnelCountText(
  count: number,
  trans: Pick<TranslationBundle, '_n'>
): string {
  return trans._n('%1 SSH tunnel', '%1 SSH tunnels', count);
}

export function TunnelCount(props: {
  count: number;
  onClick: () => void;
  trans: TranslationBundle;
}): JSX.Element {
  return (
    <button
      type="button"
      className="jp-SmSsh-statusItem"
      data-count={String(props.count)}
      title={props.trans.__('Live SSH tunnels: open the SageMaker SSH panel')}
      onClick={props.onClick}
    >
      <smSshIcon.react tag="span" className="jp-SmSsh-statusIcon" />
      <span className="jp-SmSsh-statusText">
        {tunnelCountText(props.count, props.trans)}
      </span>
    </button>
  );
}

export class TunnelStatusItem extends ReactWidget {
  constructor(
    private readonly model: SmSshModel,
    private readonly onClick: () => void,
    private readonly trans: TranslationBundle
  ) {
    super();
    this.addClass('jp-SmSsh-status');
  }

  protected render(): JSX.Element {
    return (
      <UseSignal signal={this.model.changed}>
        {() => (
          <TunnelCount
            count={this.model.liveTunnelCount}
            onClick={this.onClick}
            trans={this.trans}
          />
        )}
      </UseSignal>
    );
  }
}
