/** What enabling decides before any call changes a space: which targets it takes, and the plan or the refusal. */
import { OperationError, UsageError } from '../errors.js';
import {
  enableTargetSpace,
  isTooSmall,
  planEnable,
  type ISpaceState
} from './enable.js';
import type { ISpaceInfo } from './types.js';

const DOMAIN = 'd-abc123xyz';
const ARN = `arn:aws:sagemaker:us-east-1:123456789012:space/${DOMAIN}/my-space`;

function state(
  info: Partial<ISpaceInfo> = {},
  times: Partial<Omit<ISpaceState, 'info'>> = {}
): ISpaceState {
  return {
    info: {
      domainId: DOMAIN,
      spaceName: 'my-space',
      spaceArn: ARN,
      status: 'InService',
      appType: 'JupyterLab',
      remoteAccess: 'DISABLED',
      ownerProfile: 'alice',
      app: {
        appType: 'JupyterLab',
        appName: 'default',
        status: 'InService',
        instanceType: 'ml.m5.large'
      },
      ...info
    },
    ...times
  };
}

const at = (minutes: number) => new Date(Date.UTC(2026, 0, 1, 0, minutes));

describe('enableTargetSpace', () => {
  it('takes space names and space ARNs', () => {
    expect(
      enableTargetSpace(`my-space.${DOMAIN}.space.sagemaker`, 'us-east-1')
    ).toEqual({ domainId: DOMAIN, spaceName: 'my-space' });
    expect(enableTargetSpace(ARN, 'us-east-1')).toEqual({
      domainId: DOMAIN,
      spaceName: 'my-space'
    });
  });

  it('refuses every other target as bad input, naming what it is', () => {
    for (const [text, message] of [
      ['my-job.training.sagemaker', /is a training job, not a Studio space/],
      [
        `default.my-space.${DOMAIN}.studio.sagemaker`,
        /is a Studio app, not a Studio space/
      ],
      ['mi-0123456789abcdef0', /is a managed instance, not a Studio space/],
      ['my-space.space.sagemaker', /a space name has 2 parts/],
      [
        ARN.replace('us-east-1', 'eu-west-1'),
        /is in eu-west-1, not in us-east-1/
      ]
    ]) {
      const error = (() => {
        try {
          enableTargetSpace(text as string, 'us-east-1');
        } catch (caught) {
          return caught;
        }
        return undefined;
      })();
      expect(error).toBeInstanceOf(UsageError);
      expect((error as Error).message).toMatch(message);
    }
  });
});

describe('isTooSmall', () => {
  it('knows the instance types under 8 GiB that AWS names', () => {
    for (const type of [
      'ml.t3.medium',
      'ml.c7i.large',
      'ml.c6i.large',
      'ml.c6id.large',
      'ml.c5.large'
    ]) {
      expect(isTooSmall(type)).toBe(true);
    }
    expect(isTooSmall('ml.t3.large')).toBe(false);
    expect(isTooSmall('ml.m5.large')).toBe(false);
    expect(isTooSmall(undefined)).toBe(false);
  });
});

describe('planEnable', () => {
  it('updates the space and restarts the running app when remote access is off', () => {
    expect(planEnable(state())).toEqual({
      update: true,
      restart: true,
      instanceType: undefined,
      note: undefined
    });
  });

  it('has nothing to do when remote access is on and the app started after the last update', () => {
    const plan = planEnable(
      state(
        { remoteAccess: 'ENABLED' },
        { spaceCreated: at(0), spaceModified: at(10), appCreated: at(11) }
      )
    );
    expect(plan).toMatchObject({ update: false, restart: false });
    expect(plan.note).toMatch(/already on and the app started with it/);
  });

  it('restarts an app that predates the last update of the space, but not one that only predates its creation settling', () => {
    expect(
      planEnable(
        state(
          { remoteAccess: 'ENABLED' },
          { spaceCreated: at(0), spaceModified: at(10), appCreated: at(5) }
        )
      )
    ).toMatchObject({ update: false, restart: true });
    // the sandbox and Studio create the app while the new space is still Pending: that is no update
    expect(
      planEnable(
        state(
          { remoteAccess: 'ENABLED' },
          {
            spaceCreated: at(0),
            spaceModified: new Date(at(0).getTime() + 1000),
            appCreated: new Date(at(0).getTime() + 10)
          }
        )
      )
    ).toMatchObject({ restart: false });
    expect(
      planEnable(state({ remoteAccess: 'ENABLED' }), { restart: true })
    ).toMatchObject({ update: false, restart: true });
  });

  it('only updates when no app runs, and says the next start gets remote access', () => {
    for (const app of [
      undefined,
      { appType: 'JupyterLab', appName: 'default', status: 'Failed' }
    ]) {
      const plan = planEnable(state({ app }));
      expect(plan).toMatchObject({ update: true, restart: false });
      expect(plan.note).toMatch(
        /no app is running: the next start of the space gets remote access/
      );
    }
    expect(planEnable(state({ app: undefined }), {}).note).not.toMatch(
      /too small/
    );
    expect(
      planEnable({
        ...state({ app: undefined }),
        defaultInstanceType: 'ml.t3.medium'
      }).note
    ).toMatch(/its default ml\.t3\.medium is too small/);
  });

  it('refuses an app on an instance under 8 GiB with the fix, and recreates it on --instance-type', () => {
    const small = state({
      app: {
        appType: 'JupyterLab',
        appName: 'default',
        status: 'InService',
        instanceType: 'ml.t3.medium'
      }
    });
    expect(() => planEnable(small)).toThrow(UsageError);
    expect(() => planEnable(small)).toThrow(
      /its app runs on ml\.t3\.medium, which has less than the 8 GiB/
    );
    expect(planEnable(small, { instanceType: 'ml.t3.large' })).toMatchObject({
      update: true,
      restart: true,
      instanceType: 'ml.t3.large'
    });
    expect(() => planEnable(state(), { instanceType: 'ml.c5.large' })).toThrow(
      /the instance type ml\.c5\.large, which has less than/
    );
    expect(() =>
      planEnable(state({ app: undefined }), { instanceType: 'ml.t3.large' })
    ).toThrow(/--instance-type recreates a running app/);
  });

  it('refuses app types remote access does not serve, and a Failed or Deleting space', () => {
    expect(() => planEnable(state({ appType: 'KernelGateway' }))).toThrow(
      /is a KernelGateway space; remote access serves JupyterLab and Code Editor spaces only/
    );
    for (const status of ['Failed', 'Deleting']) {
      expect(() => planEnable(state({ status }))).toThrow(OperationError);
    }
  });
});
