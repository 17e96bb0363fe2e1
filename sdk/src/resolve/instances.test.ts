import { orderNodes, type ITargetInstance } from './instances.js';

function node(
  instanceId: string,
  timestamp: number | undefined,
  computerName?: string
): ITargetInstance {
  return {
    instanceId,
    pingStatus: 'Online',
    tags: {},
    timestamp,
    computerName
  };
}

const ids = (nodes: ITargetInstance[]) => nodes.map(n => n.instanceId);

describe('orderNodes', () => {
  it("orders one run's nodes by host name, numerically, however their registrations raced", () => {
    expect(
      ids(
        orderNodes([
          node('mi-b', 1000, 'algo-2'),
          node('mi-j', 1001, 'algo-10'),
          node('mi-a', 999, 'algo-1')
        ])
      )
    ).toEqual(['mi-a', 'mi-b', 'mi-j']);
  });

  it('puts a newer run first, each run by host name', () => {
    expect(
      ids(
        orderNodes([
          node('mi-old-2', 1000, 'algo-2'),
          node('mi-old-1', 1000, 'algo-1'),
          node('mi-new-2', 5000, 'algo-2'),
          node('mi-new-1', 5030, 'algo-1')
        ])
      )
    ).toEqual(['mi-new-1', 'mi-new-2', 'mi-old-1', 'mi-old-2']);
  });

  it('keeps newest first where host names are missing, and does not change its input', () => {
    const input = [node('mi-1', 10), node('mi-3', 30), node('mi-2', 20)];
    expect(ids(orderNodes(input))).toEqual(['mi-3', 'mi-2', 'mi-1']);
    expect(ids(input)).toEqual(['mi-1', 'mi-3', 'mi-2']);
  });
});
