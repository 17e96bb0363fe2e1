/** What the panel shows instead of (or above) the list: loading, empty and error states that say what to do. */
import type { TranslationBundle } from '@jupyterlab/translation';
import { Button } from '@jupyterlab/ui-components';
import React from 'react';
import type { BridgeError } from '../request';

export function LoadingState(props: { trans: TranslationBundle }): JSX.Element {
  return (
    <div className="jp-SmSsh-loading" role="status" aria-live="polite">
      <span className="jp-SmSsh-spinner" aria-hidden="true" />
      {props.trans.__('Listing SSH targets…')}
    </div>
  );
}

export function EmptyState(props: {
  region: string;
  filter: string;
  hiddenByOwner: number;
  onShowOtherUsers: () => void;
  trans: TranslationBundle;
}): JSX.Element {
  const { trans } = props;
  if (props.filter.trim() !== '') {
    return (
      <div className="jp-SmSsh-empty" role="status">
        <p>{trans.__('No targets match “%1”.', props.filter.trim())}</p>
      </div>
    );
  }
  return (
    <div className="jp-SmSsh-empty" role="status">
      <p className="jp-SmSsh-emptyTitle">
        {props.region
          ? trans.__('No SSH-enabled targets in %1.', props.region)
          : trans.__('No SSH-enabled targets.')}
      </p>
      <p>
        {trans.__(
          'A target is a SageMaker job, endpoint, notebook instance or Studio app whose container runs the SSH helper (sm-ssh-init.sh) and registered with Systems Manager.'
        )}
      </p>
      <ul className="jp-SmSsh-emptySteps">
        <li>
          {trans.__(
            'Start a job whose container runs the SSH helper (sm-ssh-init.sh of the sagemaker-ssh package, or SageMaker SSH Helper): it shows up here once its SSM agent registers.'
          )}
        </li>
        <li>
          {trans.__(
            'Check the region in Settings → SageMaker SSH: targets are listed per region.'
          )}
        </li>
        <li>
          {trans.__(
            'The container side is described in the README of sagemaker-ssh (sdk/remote/README.md); the IAM side in "Check setup".'
          )}
        </li>
      </ul>
      {props.hiddenByOwner > 0 && (
        <p>
          {trans._n(
            '%1 target of another user is hidden.',
            '%1 targets of other users are hidden.',
            props.hiddenByOwner
          )}{' '}
          <Button small minimal type="button" onClick={props.onShowOtherUsers}>
            {trans.__('Show them')}
          </Button>
        </p>
      )}
    </div>
  );
}

export function ErrorState(props: {
  error: BridgeError;
  onCheckSetup: () => void;
  onRetry: () => void;
  trans: TranslationBundle;
}): JSX.Element {
  const { error, trans } = props;
  let title: string;
  let advice: React.ReactNode;
  switch (error.code) {
    case 'no-credentials':
      title = trans.__('The Jupyter server has no AWS credentials.');
      advice = (
        <ul className="jp-SmSsh-emptySteps">
          <li>
            {trans.__(
              "In SageMaker Studio the space's execution role provides them: restart the space if they expired."
            )}
          </li>
          <li>
            {trans.__(
              'Elsewhere, start Jupyter with credentials in its environment (AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), or an instance role.'
            )}
          </li>
          <li>
            {trans.__(
              'Or name a profile of the server’s ~/.aws/config in Settings → SageMaker SSH → AWS profile.'
            )}
          </li>
        </ul>
      );
      break;
    case 'access-denied':
      title = trans.__('AWS denied a call the listing needs.');
      advice = (
        <p>
          {trans.__(
            'The setup check compares the role with the policies SSH needs and shows the statements to add.'
          )}{' '}
          <Button
            small
            type="button"
            className="jp-SmSsh-checkSetupButton"
            onClick={props.onCheckSetup}
          >
            {trans.__('Check setup')}
          </Button>
        </p>
      );
      break;
    case 'unreachable':
      title = trans.__(
        'The sm-ssh server did not start: check the Jupyter server log.'
      );
      advice = (
        <p>
          {trans.__(
            'jupyter-server-proxy starts `sm-ssh serve` at the first request; its log lines (and why it failed) are in the output of the Jupyter server. Node.js 18 or later must be on the server.'
          )}
        </p>
      );
      break;
    default:
      title = trans.__('The targets could not be listed.');
      advice = null;
  }
  return (
    <div className="jp-SmSsh-error" data-code={error.code} role="alert">
      <p className="jp-SmSsh-errorTitle">{title}</p>
      <p className="jp-SmSsh-errorMessage">
        {error.error}
        {error.hint && (
          <>
            <br />
            <span className="jp-SmSsh-hint">{error.hint}</span>
          </>
        )}
      </p>
      {advice}
      <Button small minimal type="button" onClick={props.onRetry}>
        {trans.__('Try again')}
      </Button>
    </div>
  );
}
