/**
 * The setup-check view (a MainAreaWidget, id `sm-ssh-setup-check`): the report of `GET /api/setup/check` —
 * account, roles, regions, evaluator — and each requirement OK / MISSING / WARNING with its reasons, the statement
 * that fixes it (JSON) and the command, each with a copy button; the command that applies every fix; a re-run.
 */
import { MainAreaWidget } from '@jupyterlab/apputils';
import type { TranslationBundle } from '@jupyterlab/translation';
import {
  Button,
  ReactWidget,
  UseSignal,
  copyIcon,
  refreshIcon
} from '@jupyterlab/ui-components';
import React from 'react';
import { smSshIcon } from '../icons';
import { checkSummaryText, SetupCheckModel } from '../setup-check';
import type { ISetupCheckResponse } from '../tokens';
import { ErrorState } from './PanelStates';
import { IconButton, StatusBadge } from './parts';

export const SETUP_CHECK_ID = 'sm-ssh-setup-check';

type CheckItem = ISetupCheckResponse['report']['items'][number];

export interface ISetupCheckActions {
  /** Copies `text` to the clipboard and tells the user what was copied. */
  copy(text: string, what: string): void;
}

function CopyBlock(props: {
  text: string;
  className: string;
  label: string;
  what: string;
  actions: ISetupCheckActions;
}): JSX.Element {
  return (
    <div className="jp-SmSsh-copyBlock">
      <pre className={props.className}>{props.text}</pre>
      <IconButton
        icon={copyIcon}
        label={props.label}
        className="jp-SmSsh-copyButton"
        onClick={() => props.actions.copy(props.text, props.what)}
      />
    </div>
  );
}

function CheckItemView(props: {
  item: CheckItem;
  actions: ISetupCheckActions;
  trans: TranslationBundle;
}): JSX.Element {
  const { item, actions, trans } = props;
  return (
    <li
      className="jp-SmSsh-checkItem"
      data-id={item.id}
      data-status={item.status}
    >
      <div className="jp-SmSsh-checkHead">
        <StatusBadge status={item.status} label={trans.__('Check')} />
        <span className="jp-SmSsh-checkTitle">{item.title}</span>
      </div>
      {item.subject && (
        <div className="jp-SmSsh-checkSubject">{item.subject}</div>
      )}
      {item.reasons.length > 0 && (
        <ul className="jp-SmSsh-checkReasons">
          {item.reasons.map((reason, index) => (
            <li key={index}>{reason}</li>
          ))}
        </ul>
      )}
      {item.note && <p className="jp-SmSsh-note">{item.note}</p>}
      {item.fix && (
        <div className="jp-SmSsh-checkFix">
          <div className="jp-SmSsh-label">
            {trans.__('Statement to add to %1', item.fix.policyName)}
          </div>
          <CopyBlock
            text={JSON.stringify(item.fix.statement, null, 2)}
            className="jp-SmSsh-fix"
            label={`Copy fix for ${item.title}`}
            what={trans.__('the statement')}
            actions={actions}
          />
        </div>
      )}
      {item.command && (
        <div className="jp-SmSsh-checkFix">
          <div className="jp-SmSsh-label">{trans.__('Command')}</div>
          <CopyBlock
            text={item.command}
            className="jp-SmSsh-command"
            label={`Copy command for ${item.title}`}
            what={trans.__('the command')}
            actions={actions}
          />
        </div>
      )}
    </li>
  );
}

/** Items grouped by their `group`, in the report's order. */
function groupsOf(items: CheckItem[]): [string, CheckItem[]][] {
  const groups = new Map<string, CheckItem[]>();
  for (const item of items) {
    const list = groups.get(item.group) ?? [];
    list.push(item);
    groups.set(item.group, list);
  }
  return [...groups.entries()];
}

function Report(props: {
  response: ISetupCheckResponse;
  actions: ISetupCheckActions;
  trans: TranslationBundle;
}): JSX.Element {
  const { response, actions, trans } = props;
  const { report } = response;
  return (
    <div className="jp-SmSsh-report">
      <dl className="jp-SmSsh-facts">
        <dt>{trans.__('Account')}</dt>
        <dd>{report.account}</dd>
        {report.sagemakerRole && (
          <>
            <dt>{trans.__('SageMaker role')}</dt>
            <dd>{report.sagemakerRole}</dd>
          </>
        )}
        {report.userRole && (
          <>
            <dt>{trans.__('User role')}</dt>
            <dd>{report.userRole}</dd>
          </>
        )}
        <dt>{trans.__('Regions')}</dt>
        <dd>{report.regions.join(', ') || '–'}</dd>
        <dt>{trans.__('Evaluator')}</dt>
        <dd>
          {report.evaluator}
          {report.evaluatorNote && (
            <span className="jp-SmSsh-note"> — {report.evaluatorNote}</span>
          )}
        </dd>
      </dl>
      <p
        className={`jp-SmSsh-checkSummary jp-mod-${report.ok ? 'good' : 'error'}`}
        role="status"
      >
        {checkSummaryText(report.summary, trans)}
      </p>
      {groupsOf(report.items).map(([group, items]) => (
        <section key={group} className="jp-SmSsh-checkGroup">
          <h3 className="jp-SmSsh-groupHeading">{group}</h3>
          <ul className="jp-SmSsh-checkItems">
            {items.map(item => (
              <CheckItemView
                key={item.id}
                item={item}
                actions={actions}
                trans={trans}
              />
            ))}
          </ul>
        </section>
      ))}
      {!report.ok && response.applyCommand && (
        <section className="jp-SmSsh-checkGroup">
          <h3 className="jp-SmSsh-groupHeading">
            {trans.__('Apply every fix')}
          </h3>
          <p className="jp-SmSsh-note">
            {trans.__(
              'Run this where you have IAM permissions (it shows a diff and asks first):'
            )}
          </p>
          <CopyBlock
            text={response.applyCommand}
            className="jp-SmSsh-command jp-SmSsh-applyCommand"
            label="Copy the apply command"
            what={trans.__('the apply command')}
            actions={actions}
          />
        </section>
      )}
      {response.checkCommand && (
        <p className="jp-SmSsh-note">
          {trans.__('The same report in a terminal: %1', response.checkCommand)}
        </p>
      )}
    </div>
  );
}

export function SetupCheckPanel(props: {
  model: SetupCheckModel;
  actions: ISetupCheckActions;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, actions, trans } = props;
  return (
    <div className="jp-SmSsh-setupCheckBody">
      <div className="jp-SmSsh-header">
        <h2 className="jp-SmSsh-title">{trans.__('SSH setup check')}</h2>
        <Button
          small
          type="button"
          className="jp-SmSsh-rerun"
          disabled={model.loading}
          onClick={() => void model.run()}
        >
          <refreshIcon.react tag="span" className="jp-SmSsh-buttonIcon" />
          {trans.__('Run again')}
        </Button>
      </div>
      <p className="jp-SmSsh-note">
        {trans.__(
          "Compares the Jupyter server's role (and the SageMaker execution role) with the IAM and SSM setup SSH needs."
        )}
      </p>
      {model.loading && <LoadingCheck trans={trans} />}
      {model.error && (
        <ErrorState
          error={model.error}
          onCheckSetup={() => void model.run()}
          onRetry={() => void model.run()}
          trans={trans}
        />
      )}
      {model.response && (
        <Report response={model.response} actions={actions} trans={trans} />
      )}
    </div>
  );
}

function LoadingCheck(props: { trans: TranslationBundle }): JSX.Element {
  return (
    <div className="jp-SmSsh-loading" role="status" aria-live="polite">
      <span className="jp-SmSsh-spinner" aria-hidden="true" />
      {props.trans.__(
        'Reading the roles and evaluating their policies… (this can take a minute)'
      )}
    </div>
  );
}

/** The view's content widget; `model` runs the check again. */
export class SetupCheckContent extends ReactWidget {
  constructor(
    readonly model: SetupCheckModel,
    private readonly actions: ISetupCheckActions,
    private readonly trans: TranslationBundle
  ) {
    super();
    this.addClass('jp-SmSsh-setupCheckContent');
  }

  protected render(): JSX.Element {
    return (
      <UseSignal signal={this.model.changed}>
        {() => (
          <SetupCheckPanel
            model={this.model}
            actions={this.actions}
            trans={this.trans}
          />
        )}
      </UseSignal>
    );
  }
}

/** The main-area widget of the check; runs the check once created. */
export function createSetupCheckWidget(
  model: SetupCheckModel,
  actions: ISetupCheckActions,
  trans: TranslationBundle
): MainAreaWidget<SetupCheckContent> {
  const content = new SetupCheckContent(model, actions, trans);
  const widget = new MainAreaWidget<SetupCheckContent>({ content });
  widget.id = SETUP_CHECK_ID;
  widget.addClass('jp-SmSsh-setupCheck');
  widget.title.label = 'SSH setup check';
  widget.title.icon = smSshIcon;
  widget.title.closable = true;
  return widget;
}
