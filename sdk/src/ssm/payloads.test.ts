import { SsmProtocolError } from './errors.js';
import {
  ActionStatus,
  CLIENT_VERSION,
  ClientFeatureVersion,
  buildHandshakeResponse,
  compareVersions,
  encodeAcknowledge,
  encodeAgentSessionState,
  encodeChannelClosed,
  encodeFlag,
  encodeHandshakeComplete,
  encodeHandshakeRequest,
  encodeHandshakeResponse,
  encodeSize,
  parseAcknowledge,
  parseAgentSessionState,
  parseChannelClosed,
  parseFlag,
  parseHandshakeComplete,
  parseHandshakeRequest,
  parseHandshakeResponse,
  requestedSessionType
} from './payloads.js';

const REQUEST =
  '{"AgentVersion":"3.3.1142.0","RequestedClientActions":[{"ActionType":"SessionType","ActionParameters":{"SessionType":"Port","Properties":{"portNumber":"22"}}}]}';

describe('payloads', () => {
  it('encodes an ack with the exact key order of §9 V2', () => {
    expect(
      encodeAcknowledge({
        messageType: 'output_stream_data',
        messageId: 'dd01e56b-ff48-483e-a508-b5f073f31b16',
        sequenceNumber: 0
      }).toString()
    ).toBe(
      '{"AcknowledgedMessageType":"output_stream_data","AcknowledgedMessageId":"dd01e56b-ff48-483e-a508-b5f073f31b16","AcknowledgedMessageSequenceNumber":0,"IsSequentialMessage":true}'
    );
  });

  it('parses acks and refuses malformed ones', () => {
    const ack = parseAcknowledge(
      encodeAcknowledge({ messageType: 'x', messageId: 'y', sequenceNumber: 9 })
    );
    expect(ack.AcknowledgedMessageSequenceNumber).toBe(9);
    for (const bad of [
      'not json',
      '[]',
      '{"AcknowledgedMessageType":"x","AcknowledgedMessageId":"y"}',
      '{"AcknowledgedMessageType":"x","AcknowledgedMessageId":"y","AcknowledgedMessageSequenceNumber":1.5}'
    ]) {
      expect(() => parseAcknowledge(Buffer.from(bad))).toThrow(
        SsmProtocolError
      );
    }
  });

  it('parses a HandshakeRequest and answers SessionType with success', () => {
    const request = parseHandshakeRequest(Buffer.from(REQUEST));
    expect(requestedSessionType(request)).toEqual({
      SessionType: 'Port',
      Properties: { portNumber: '22' }
    });
    const response = buildHandshakeResponse(request);
    expect(encodeHandshakeResponse(response).toString()).toBe(
      `{"ClientVersion":"${CLIENT_VERSION}","ProcessedClientActions":[{"ActionType":"SessionType","ActionStatus":1,"ActionResult":null,"Error":""}],"Errors":null}`
    );
    expect(parseHandshakeResponse(encodeHandshakeResponse(response))).toEqual(
      response
    );
    expect(parseHandshakeRequest(encodeHandshakeRequest(request))).toEqual(
      request
    );
  });

  it('announces a client version that enables mux and disables keep-alive', () => {
    expect(
      compareVersions(CLIENT_VERSION, ClientFeatureVersion.TcpMultiplexing)
    ).toBe(1);
    expect(
      compareVersions(
        CLIENT_VERSION,
        ClientFeatureVersion.SmuxKeepAliveDisabled
      )
    ).toBe(1);
    expect(compareVersions('1.1.70', '1.1.70.0')).toBe(0);
    expect(compareVersions('3.0.196.0', '3.0.1000.0')).toBe(-1);
  });

  it('answers unknown actions Unsupported and lists the error', () => {
    const response = buildHandshakeResponse({
      AgentVersion: '3.3.0.0',
      RequestedClientActions: [
        {
          ActionType: 'SessionType',
          ActionParameters: { SessionType: 'Port' }
        },
        { ActionType: 'KMSEncryption', ActionParameters: { KMSKeyId: 'k' } }
      ]
    });
    expect(response.ProcessedClientActions[1]).toEqual({
      ActionType: 'KMSEncryption',
      ActionStatus: ActionStatus.Unsupported,
      ActionResult: null,
      Error: 'Unsupported action KMSEncryption'
    });
    expect(response.Errors).toEqual(['Unsupported action KMSEncryption']);
  });

  it('fails an unsupported session type when told which are supported', () => {
    const response = buildHandshakeResponse(
      parseHandshakeRequest(Buffer.from(REQUEST)),
      { supportedSessionTypes: ['Standard_Stream'] }
    );
    expect(response.ProcessedClientActions[0].ActionStatus).toBe(
      ActionStatus.Failed
    );
  });

  it('round-trips HandshakeComplete and insists on integer nanoseconds', () => {
    const payload = encodeHandshakeComplete({
      HandshakeTimeToComplete: 1_500_000_000,
      CustomerMessage: ''
    });
    expect(payload.toString()).toBe(
      '{"HandshakeTimeToComplete":1500000000,"CustomerMessage":""}'
    );
    expect(parseHandshakeComplete(payload).HandshakeTimeToComplete).toBe(
      1_500_000_000
    );
    expect(() =>
      encodeHandshakeComplete({
        HandshakeTimeToComplete: 1.5,
        CustomerMessage: ''
      })
    ).toThrow(SsmProtocolError);
    expect(() =>
      parseHandshakeComplete(Buffer.from('{"HandshakeTimeToComplete":0.5}'))
    ).toThrow(SsmProtocolError);
  });

  it('round-trips channel_closed and agent_session_state', () => {
    const closed = {
      MessageId: 'm',
      CreatedDate: '2026-01-01T00:00:00Z',
      DestinationId: 'd',
      SessionId: 's',
      MessageType: 'channel_closed',
      SchemaVersion: 1,
      Output: 'bye'
    };
    expect(parseChannelClosed(encodeChannelClosed(closed))).toEqual(closed);
    const state = {
      SchemaVersion: 1,
      SessionState: 'Connected',
      SessionId: 's'
    };
    expect(parseAgentSessionState(encodeAgentSessionState(state))).toEqual(
      state
    );
    expect(() => parseAgentSessionState(Buffer.from('{}'))).toThrow(
      SsmProtocolError
    );
  });

  it('encodes Flag as u32 big-endian and Size as JSON', () => {
    expect(encodeFlag(3).toString('hex')).toBe('00000003');
    expect(parseFlag(Buffer.from('00000001', 'hex'))).toBe(1);
    expect(() => parseFlag(Buffer.from('000001', 'hex'))).toThrow(
      SsmProtocolError
    );
    expect(encodeSize({ cols: 80, rows: 24 }).toString()).toBe(
      '{"cols":80,"rows":24}'
    );
  });

  it('refuses malformed handshake payloads with SsmProtocolError only', () => {
    for (const bad of [
      '',
      '{',
      'null',
      '{"AgentVersion":"1"}',
      '{"AgentVersion":1,"RequestedClientActions":[]}',
      '{"AgentVersion":"1","RequestedClientActions":[1]}'
    ]) {
      expect(() => parseHandshakeRequest(Buffer.from(bad))).toThrow(
        SsmProtocolError
      );
    }
    expect(() =>
      parseHandshakeResponse(
        Buffer.from(
          '{"ClientVersion":"1","ProcessedClientActions":[],"Errors":[1]}'
        )
      )
    ).toThrow(SsmProtocolError);
  });
});
