/** DescribeInstanceInformation's filters and the list operations' pagination, without a server. */
import { AwsServiceError } from '../aws-json-server.js';
import {
  instanceFilter,
  paginate,
  tagList,
  type IInstanceFacts
} from './filters.js';

function instance(
  id: number,
  tags: Record<string, string> = {},
  pingStatus: IInstanceFacts['pingStatus'] = 'Online'
): IInstanceFacts {
  return {
    instanceId: `mi-${String(id).padStart(17, '0')}`,
    pingStatus,
    agentVersion: '3.3.1957.0',
    platformType: 'Linux',
    activationId: `act-${id % 2}`,
    iamRole: 'service-role/SageMakerRole',
    resourceType: 'ManagedInstance',
    tags: new Map(Object.entries(tags))
  };
}

const fleet = [
  instance(1, { SSHOwner: 'alice', SSHResourceName: 'a' }),
  instance(2, { SSHOwner: 'bob' }, 'ConnectionLost'),
  instance(3, { SSHOwner: 'alice', Team: '' }),
  instance(4)
];
const known = new Set(fleet.map(item => item.instanceId));

function ids(input: Record<string, unknown>): string[] {
  return fleet
    .filter(instanceFilter(input, known))
    .map(item => Number(item.instanceId.slice(3)))
    .map(String);
}

function code(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    return error instanceof AwsServiceError ? error.code : String(error);
  }
  return undefined;
}

describe('DescribeInstanceInformation filters', () => {
  it('matches tag values, tag keys and facts; values are alternatives, filters all apply', () => {
    expect(ids({})).toEqual(['1', '2', '3', '4']);
    expect(
      ids({ Filters: [{ Key: 'tag:SSHOwner', Values: ['alice'] }] })
    ).toEqual(['1', '3']);
    expect(
      ids({ Filters: [{ Key: 'tag:SSHOwner', Values: ['alice', 'bob'] }] })
    ).toEqual(['1', '2', '3']);
    expect(ids({ Filters: [{ Key: 'tag-key', Values: ['Team'] }] })).toEqual([
      '3'
    ]);
    expect(
      ids({
        Filters: [
          { Key: 'tag:SSHOwner', Values: ['alice', 'bob'] },
          { Key: 'PingStatus', Values: ['Online'] }
        ]
      })
    ).toEqual(['1', '3']);
    expect(
      ids({
        InstanceInformationFilterList: [
          { key: 'ActivationIds', valueSet: ['act-0'] }
        ]
      })
    ).toEqual(['2', '4']);
    expect(
      ids({ Filters: [{ Key: 'InstanceIds', Values: [fleet[3].instanceId] }] })
    ).toEqual(['4']);
  });

  it("refuses what AWS refuses, with AWS's error codes", () => {
    expect(
      code(() => ids({ Filters: [{ Key: 'tag-keys', Values: ['x'] }] }))
    ).toBe('InvalidFilterKey');
    expect(code(() => ids({ Filters: [{ Key: 'tag:', Values: ['x'] }] }))).toBe(
      'InvalidFilterKey'
    );
    expect(
      code(() =>
        ids({
          InstanceInformationFilterList: [{ key: 'tag:x', valueSet: ['y'] }]
        })
      )
    ).toBe('ValidationException');
    expect(
      code(() =>
        ids({
          Filters: [{ Key: 'PingStatus', Values: ['Online'] }],
          InstanceInformationFilterList: [
            { key: 'PingStatus', valueSet: ['Online'] }
          ]
        })
      )
    ).toBe('ValidationException');
    expect(
      code(() => ids({ Filters: [{ Key: 'PingStatus', Values: ['online'] }] }))
    ).toBe('InvalidInstanceInformationFilterValue');
    expect(
      code(() => ids({ Filters: [{ Key: 'PingStatus', Values: [] }] }))
    ).toBe('ValidationException');
    expect(
      code(() =>
        ids({
          Filters: [{ Key: 'InstanceIds', Values: ['mi-99999999999999999'] }]
        })
      )
    ).toBe('InvalidInstanceId');
    expect(
      code(() =>
        ids({
          InstanceInformationFilterList: [
            { key: 'InstanceIds', valueSet: ['bogus'] }
          ]
        })
      )
    ).toBe('InvalidInstanceId');
  });
});

describe('pagination', () => {
  const items = Array.from({ length: 12 }, (_, index) => index);
  const limits = { min: 5, max: 50, fallback: 50 };

  it('walks every item once with the token, and stops without one', () => {
    const seen: number[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = paginate(
        items,
        { Filters: ['x'], MaxResults: 5, NextToken: token },
        limits
      );
      seen.push(...page.items);
      token = page.nextToken;
      pages += 1;
    } while (token);
    expect(seen).toEqual(items);
    expect(pages).toBe(3);
    expect(paginate(items, {}, limits)).toEqual({
      items,
      nextToken: undefined
    });
    expect(paginate([], { MaxResults: 5 }, limits)).toEqual({
      items: [],
      nextToken: undefined
    });
  });

  it('checks MaxResults and binds a token to its request', () => {
    expect(code(() => paginate(items, { MaxResults: 4 }, limits))).toBe(
      'ValidationException'
    );
    expect(code(() => paginate(items, { MaxResults: 51 }, limits))).toBe(
      'ValidationException'
    );
    const { nextToken } = paginate(
      items,
      { Filters: ['x'], MaxResults: 5 },
      limits
    );
    expect(nextToken).toBeDefined();
    expect(
      code(() =>
        paginate(
          items,
          { Filters: ['y'], MaxResults: 5, NextToken: nextToken },
          limits
        )
      )
    ).toBe('InvalidNextToken');
    expect(code(() => paginate(items, { NextToken: 'garbage' }, limits))).toBe(
      'InvalidNextToken'
    );
    // another page size with the same filters is fine, as on AWS
    expect(
      paginate(
        items,
        { Filters: ['x'], MaxResults: 10, NextToken: nextToken },
        limits
      ).items
    ).toEqual([5, 6, 7, 8, 9, 10, 11]);
  });

  it('validates tag lists', () => {
    expect(tagList([{ Key: 'a', Value: 'b' }, { Key: 'c' }])).toEqual([
      ['a', 'b'],
      ['c', '']
    ]);
    expect(code(() => tagList([{ Key: '', Value: 'b' }]))).toBe(
      'ValidationException'
    );
    expect(code(() => tagList([{ Key: 'k', Value: 'v'.repeat(257) }]))).toBe(
      'ValidationException'
    );
  });
});
