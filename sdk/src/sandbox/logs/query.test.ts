import { AwsServiceError } from '../aws-json-server.js';
import { evaluate, formatTimestamp, type ILogEvent } from './query-eval.js';
import { parseQuery } from './query-parser.js';

const BASE = Date.UTC(2026, 10, 25, 9, 15, 19, 539);

function event(
  stream: string,
  offsetSeconds: number,
  message: string
): ILogEvent {
  return {
    logGroupName: '/aws/sagemaker/Endpoints/demo',
    logStreamName: stream,
    timestamp: BASE + offsetSeconds * 1000,
    ingestionTime: BASE + offsetSeconds * 1000 + 5,
    message,
    eventId: String(offsetSeconds)
  };
}

const EVENTS: ILogEvent[] = [
  event('AllTraffic/i-1', 0, 'starting'),
  event(
    'AllTraffic/i-1',
    1,
    'Successfully registered the instance with AWS SSM using Managed instance-id: mi-00000000000000001'
  ),
  event('AllTraffic/i-2', 2, 'ERROR | pipe inside the message'),
  event('Other/i-3', 3, '{"level":"warn","http":{"status":503},"tags":["a"]}'),
  event(
    'Other/i-3',
    4,
    'successfully REGISTERED the instance with AWS SSM using Managed instance-id: mi-00000000000000004'
  )
];

function run(query: string, limit = 10_000) {
  return evaluate(parseQuery(query), EVENTS, {
    account: '123456789012',
    limit
  });
}

function values(query: string, field = '@message'): string[] {
  return run(query).rows.map(
    row => row.find(cell => cell.field === field)?.value ?? '<absent>'
  );
}

function compileError(query: string) {
  try {
    parseQuery(query);
  } catch (error) {
    expect(error).toBeInstanceOf(AwsServiceError);
    const serviceError = error as AwsServiceError;
    expect(serviceError.code).toBe('MalformedQueryException');
    return serviceError.fields.queryCompileError as {
      location: { startCharOffset: number; endCharOffset: number };
      message: string;
    };
  }
  throw new Error(`${query} parsed`);
}

describe('Logs Insights queries', () => {
  it('evaluates the original project’s query, written without spaces before |', () => {
    const result = run(
      "fields @timestamp, @logStream, @message| filter @logStream like 'AllTraffic/'| filter @message like /Successfully registered the instance with AWS SSM using Managed instance-id/| sort @timestamp desc| limit 20"
    );
    expect(result.rows).toEqual([
      [
        { field: '@timestamp', value: '2026-11-25 09:15:20.539' },
        { field: '@logStream', value: 'AllTraffic/i-1' },
        {
          field: '@message',
          value:
            'Successfully registered the instance with AWS SSM using Managed instance-id: mi-00000000000000001'
        },
        { field: '@ptr', value: expect.any(String) }
      ]
    ]);
    expect(result.recordsScanned).toBe(5);
    expect(result.recordsMatched).toBe(1);
  });

  it('keeps | inside quotes and regexes, and honours (?i)', () => {
    expect(
      values("filter @message like 'pipe | inside' or @message like /R \\| p/")
    ).toEqual(['ERROR | pipe inside the message']);
    expect(values("filter @message like 'ERROR | pipe'")).toEqual([
      'ERROR | pipe inside the message'
    ]);
    expect(
      values('filter @message like /(?i)successfully registered/')
    ).toEqual([
      'successfully REGISTERED the instance with AWS SSM using Managed instance-id: mi-00000000000000004',
      'Successfully registered the instance with AWS SSM using Managed instance-id: mi-00000000000000001'
    ]);
    expect(values('filter @message =~ /mi-0+4$/')).toHaveLength(1);
  });

  it('combines and, or, not, not like, in and comparisons', () => {
    expect(
      values(
        "filter (@logStream like 'Other' or @message = 'starting') and @message not like /REGISTERED/ | sort @timestamp asc"
      )
    ).toEqual([
      'starting',
      '{"level":"warn","http":{"status":503},"tags":["a"]}'
    ]);
    expect(
      values("filter @logStream in ['AllTraffic/i-2', 'nowhere']")
    ).toEqual(['ERROR | pipe inside the message']);
    expect(values(`filter @timestamp >= ${BASE + 3000}`)).toHaveLength(2);
    expect(
      values('filter not ispresent(level) and strcontains(@message, "start")')
    ).toEqual(['starting']);
  });

  it('discovers JSON fields, renames with as, and leaves absent fields out of a row', () => {
    const result = run(
      'fields level, http.status as status, @logStream | filter http.status >= 500'
    );
    expect(result.rows).toEqual([
      [
        { field: 'level', value: 'warn' },
        { field: 'status', value: '503' },
        { field: '@logStream', value: 'Other/i-3' },
        { field: '@ptr', value: expect.any(String) }
      ]
    ]);
    expect(values('fields level | limit 2', 'level')).toEqual([
      '<absent>',
      'warn'
    ]);
  });

  it('defaults to the newest first and the system fields; dedup and display', () => {
    const all = run('filter ispresent(@message)');
    expect(all.rows[0].map(cell => cell.field)).toEqual([
      '@timestamp',
      '@message',
      '@logStream',
      '@log',
      '@ptr'
    ]);
    expect(all.rows[0][3].value).toBe(
      '123456789012:/aws/sagemaker/Endpoints/demo'
    );
    expect(
      values('dedup @logStream | sort @timestamp asc', '@logStream')
    ).toEqual(['AllTraffic/i-1', 'AllTraffic/i-2', 'Other/i-3']);
    expect(
      run('fields @message, @logStream | display @logStream | limit 1').rows
    ).toEqual([
      [
        { field: '@logStream', value: 'Other/i-3' },
        { field: '@ptr', value: expect.any(String) }
      ]
    ]);
    expect(run('fields @message', 2).rows).toHaveLength(2);
  });

  it('formats timestamps as Insights does', () => {
    expect(formatTimestamp(BASE)).toBe('2026-11-25 09:15:19.539');
  });

  it('refuses what it does not evaluate, with the span', () => {
    expect(
      compileError('fields @message | stats count(*) by @logStream')
    ).toEqual({
      location: { startCharOffset: 18, endCharOffset: 23 },
      message: expect.stringContaining("'stats'")
    });
    expect(
      compileError("filter @message like 'open").location.startCharOffset
    ).toBe(21);
    expect(compileError('filter @message like /open').message).toMatch(
      /Unterminated regular expression/
    );
    expect(compileError('limit 0').message).toMatch(/limit/);
    expect(compileError('filter coalesce(a, b)').message).toMatch(/coalesce/);
    expect(compileError('fields').message).toMatch(/field name/);
    expect(compileError('   ').message).toMatch(/empty/);
  });
});
