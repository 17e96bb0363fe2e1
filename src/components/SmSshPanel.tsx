/**
 * The left-sidebar panel: header (region, refresh), filter, owner toggle, the targets grouped by kind (or the
 * loading / empty / error state) and the tunnels. It renders the model and calls `actions` for everything else.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget, UseSignal, refreshIcon } from '@jupyterlab/ui-components';
import React from 'react';
import { smSshIcon } from '../icons';
import type { SmSshModel } from '../model';
import { EmptyState, ErrorState, LoadingState } from './PanelStates';
import { TargetGroups, type ITargetActions } from './TargetList';
import { TunnelList, type ITunnelActions } from './TunnelList';
import { IconButton } from './parts';

export const PANEL_ID = 'sm-ssh-panel';

export interface IPanelActions extends ITargetActions, ITunnelActions {
  refresh(): void;
  checkSetup(): void;
  setShowOtherUsers(value: boolean): void;
}

export function PanelView(props: {
  model: SmSshModel;
  actions: IPanelActions;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, actions, trans } = props;
  const groups = model.groups;
  const region = model.info?.region ?? '';
  const error = model.error;
  const tunnels = model.tunnels;
  const tunnelList = (
    <TunnelList tunnels={tunnels} actions={actions} trans={trans} />
  );
  let body: React.ReactNode;
  if (!model.loaded && error) {
    body = null;
  } else if (!model.loaded) {
    body = <LoadingState trans={trans} />;
  } else if (groups.length === 0) {
    body = (
      <EmptyState
        region={region}
        filter={model.filter}
        hiddenByOwner={model.hiddenByOwner}
        onShowOtherUsers={() => actions.setShowOtherUsers(true)}
        trans={trans}
      />
    );
  } else {
    body = (
      <TargetGroups
        groups={groups}
        actions={actions}
        trans={trans}
        operationOf={target => model.spaceOperation(target)}
        releaseOf={target => model.jobRelease(target)}
      />
    );
  }
  return (
    <>
      <div className="jp-SmSsh-header">
        <h2 className="jp-SmSsh-title">{trans.__('SageMaker SSH')}</h2>
        {region && (
          <span
            className="jp-SmSsh-region"
            title={
              model.info?.caller
                ? trans.__(
                    'AWS region; calls are made as %1',
                    model.info.caller
                  )
                : trans.__('AWS region')
            }
          >
            {region}
          </span>
        )}
        <IconButton
          icon={refreshIcon}
          label="Refresh targets"
          className={model.loading ? 'jp-mod-loading' : undefined}
          onClick={actions.refresh}
        />
      </div>
      <div className="jp-SmSsh-toolbar">
        <input
          type="search"
          className="jp-SmSsh-filter jp-mod-styled"
          aria-label="Filter targets"
          placeholder={trans.__('Filter by name, kind, status or owner')}
          value={model.filter}
          onChange={event => {
            model.filter = event.currentTarget.value;
          }}
        />
        <label className="jp-SmSsh-toggle">
          <input
            type="checkbox"
            checked={model.showOtherUsers}
            onChange={event =>
              actions.setShowOtherUsers(event.currentTarget.checked)
            }
          />
          {trans.__("Show other users' targets")}
        </label>
      </div>
      <div className="jp-SmSsh-content">
        {error && (
          <ErrorState
            error={error}
            onCheckSetup={actions.checkSetup}
            onRetry={actions.refresh}
            trans={trans}
          />
        )}
        {model.warnings.length > 0 && (
          <ul className="jp-SmSsh-warnings" aria-label={trans.__('Warnings')}>
            {model.warnings.map(warning => (
              <li key={warning}>{warning}</li>
            ))}
          </ul>
        )}
        {/* open tunnels first (they are what is live); without any, the hint goes last */}
        {tunnels.length > 0 && tunnelList}
        {body}
        {tunnels.length === 0 && tunnelList}
      </div>
    </>
  );
}

/** The sidebar widget (id `sm-ssh-panel`). */
export class SmSshPanel extends ReactWidget {
  constructor(
    private readonly model: SmSshModel,
    private readonly actions: IPanelActions,
    private readonly trans: TranslationBundle
  ) {
    super();
    this.id = PANEL_ID;
    this.addClass('jp-SmSsh-panel');
    this.title.icon = smSshIcon;
    this.title.caption = 'SageMaker SSH';
  }

  protected render(): JSX.Element {
    return (
      <UseSignal signal={this.model.changed}>
        {() => (
          <PanelView
            model={this.model}
            actions={this.actions}
            trans={this.trans}
          />
        )}
      </UseSignal>
    );
  }
}
