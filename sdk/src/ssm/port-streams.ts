import { OperationError } from '../errors.js';
import { MuxStreams, SMUX_KEEPALIVE } from './mux-streams.js';
import { AgentFeatureVersion, compareVersions } from './payloads.js';
import type { DataChannelSession } from './session.js';

/**
 * The multiplexed streams of a port-forwarding session (AWS-StartPortForwardingSession…): `open()` gives a
 * Duplex per TCP connection, all over the one session. Agents up to 3.0.196.0 do not multiplex and are refused.
 */
export function openPortStreams(session: DataChannelSession): MuxStreams {
  if (session.properties.type !== 'LocalPortForwarding') {
    throw new OperationError(
      `session ${session.sessionId} is not a port-forwarding session`,
      'start it with AWS-StartPortForwardingSession'
    );
  }
  if (
    compareVersions(
      session.agentVersion,
      AgentFeatureVersion.TcpMultiplexing
    ) <= 0
  ) {
    throw new OperationError(
      `the SSM agent on the instance (${session.agentVersion}) is too old to carry several connections in one session`,
      'update amazon-ssm-agent to 3.0.222.0 or newer'
    );
  }
  // agents up to 3.1.1511.0 run smux keep-alive and close a silent session; the plugin keeps it up for them too
  const keepAlive =
    compareVersions(
      session.agentVersion,
      AgentFeatureVersion.SmuxKeepAliveDisabled
    ) <= 0
      ? SMUX_KEEPALIVE
      : undefined;
  const streams = new MuxStreams(
    {
      send: bytes => session.write(bytes),
      pauseInput: () => session.pauseDelivery(),
      resumeInput: () => session.resumeDelivery()
    },
    'client',
    keepAlive
  );
  session.on('data', (chunk: Buffer) => streams.receive(chunk));
  // a broken mux or a silent keep-alive peer: the streams are already ended with the error, end the session too
  streams.on('error', (error: Error) => void session.close(error.message));
  session.once('close', (reason: string) =>
    streams.close(
      session.endedByClient
        ? undefined
        : new Error(`the session ended: ${reason}`)
    )
  );
  return streams;
}
