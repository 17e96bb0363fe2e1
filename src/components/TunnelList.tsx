/** The tunnels section: each tunnel's route, state, byte counts, connections, an Open link and a close button. */
import type { TranslationBundle } from '@jupyterlab/translation';
import { closeIcon, launchIcon } from '@jupyterlab/ui-components';
import React from 'react';
import { humanizeBytes } from '../format';
import type { IBridgeTunnel } from '../tokens';
import { IconButton, StatusBadge } from './parts';

export interface ITunnelActions {
  closeTunnel(tunnel: IBridgeTunnel): void;
  /** The URL that reaches a local port through jupyter-server-proxy (`<baseUrl>proxy/<port>/`). */
  proxyUrl(localPort: number): string;
}

function Bytes(props: {
  className: string;
  bytes: number;
  arrow: string;
  label: string;
}): JSX.Element {
  return (
    <span
      className={props.className}
      data-bytes={String(props.bytes)}
      title={`${props.label}: ${props.bytes}`}
      aria-label={`${props.label}: ${humanizeBytes(props.bytes)}`}
    >
      {props.arrow} {humanizeBytes(props.bytes)}
    </span>
  );
}

export function TunnelRow(props: {
  tunnel: IBridgeTunnel;
  actions: ITunnelActions;
  trans: TranslationBundle;
}): JSX.Element {
  const { tunnel, actions, trans } = props;
  const local = `localhost:${tunnel.localPort}`;
  const remote = `${tunnel.target}:${tunnel.remotePort}`;
  return (
    <li
      className="jp-SmSsh-tunnel"
      data-tunnel-id={tunnel.id}
      data-state={tunnel.state}
    >
      <div className="jp-SmSsh-tunnelRoute">
        <span className="jp-SmSsh-tunnelLocal">{local}</span>
        <span aria-hidden="true"> → </span>
        <span className="jp-SmSsh-tunnelRemote" title={remote}>
          {remote}
        </span>
        {tunnel.remoteHost !== 'localhost' && (
          <span className="jp-SmSsh-tunnelHost">
            {trans.__(' (to %1)', tunnel.remoteHost)}
          </span>
        )}
        {tunnel.node > 1 && (
          <span className="jp-SmSsh-tunnelNode">
            {trans.__(' node %1', tunnel.node)}
          </span>
        )}
      </div>
      <div className="jp-SmSsh-tunnelMeta">
        <StatusBadge status={tunnel.state} label={trans.__('Tunnel')} />
        <Bytes
          className="jp-SmSsh-bytesIn"
          bytes={tunnel.bytesIn}
          arrow="↓"
          label={trans.__('received')}
        />
        <Bytes
          className="jp-SmSsh-bytesOut"
          bytes={tunnel.bytesOut}
          arrow="↑"
          label={trans.__('sent')}
        />
        <span
          className="jp-SmSsh-connections"
          title={trans.__('%1 since the start', tunnel.totalConnections)}
        >
          {trans._n('%1 connection', '%1 connections', tunnel.connections)}
        </span>
      </div>
      {tunnel.error && (
        <div className="jp-SmSsh-tunnelError" role="status">
          {tunnel.error}
        </div>
      )}
      <div className="jp-SmSsh-tunnelActions">
        {tunnel.state === 'up' && (
          <a
            className="jp-SmSsh-open"
            href={actions.proxyUrl(tunnel.localPort)}
            target="_blank"
            rel="noopener noreferrer"
            aria-label={`Open ${local} in a new tab`}
          >
            <launchIcon.react tag="span" className="jp-SmSsh-buttonIcon" />
            {trans.__('Open')}
          </a>
        )}
        <IconButton
          icon={closeIcon}
          label={`Close tunnel ${local}`}
          onClick={() => actions.closeTunnel(tunnel)}
        />
      </div>
    </li>
  );
}

export function TunnelList(props: {
  tunnels: IBridgeTunnel[];
  actions: ITunnelActions;
  trans: TranslationBundle;
}): JSX.Element {
  const { trans } = props;
  return (
    <section
      className="jp-SmSsh-tunnels"
      aria-labelledby="jp-SmSsh-tunnels-heading"
    >
      <div className="jp-SmSsh-groupHeader">
        <h3 id="jp-SmSsh-tunnels-heading" className="jp-SmSsh-groupHeading">
          {trans.__('Tunnels')}
        </h3>
        <span className="jp-SmSsh-groupCount">{props.tunnels.length}</span>
      </div>
      {props.tunnels.length === 0 ? (
        <p className="jp-SmSsh-note">
          {trans.__(
            'No port forwards. "Forward port…" on a target opens one on the Jupyter server.'
          )}
        </p>
      ) : (
        <ul className="jp-SmSsh-tunnelList">
          {props.tunnels.map(tunnel => (
            <TunnelRow
              key={tunnel.id}
              tunnel={tunnel}
              actions={props.actions}
              trans={trans}
            />
          ))}
        </ul>
      )}
    </section>
  );
}
