/**
 * The stand-in for amazon-ssm-agent against the sandbox over HTTP: registration with an activation (the registration
 * line, the state it keeps, never the code), health with ports, Run Command scripts run by the agent itself with
 * results, timeouts and cancels as SSM reports them, and a stop that leaves no script running.
 */
import {
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ICallContext } from '../aws-json-server.js';
import { sandboxEnv, startSandbox, type ISandbox } from '../sandbox.js';
import { parsePortMap, runAgent, type IAgentEnvironment } from './ssm-agent.js';

const call: ICallContext = { account: '123456789012', region: 'us-east-1' };
let sandbox: ISandbox;
let dir: string;
let env: NodeJS.ProcessEnv;
const lines: string[] = [];
const agent = (): IAgentEnvironment => ({
  env,
  log: line => lines.push(line),
  readAnswer: async () => 'no'
});

// operation outputs are JSON documents; the tests read them as such
function ssm(name: string, input: Record<string, unknown>): any {
  return sandbox.ssm.instances.operations()[name](input, call);
}

async function finished(commandId: string, instanceId: string): Promise<any> {
  for (let i = 0; i < 100; i++) {
    const result = ssm('GetCommandInvocation', {
      CommandId: commandId,
      InstanceId: instanceId
    });
    if (!['Pending', 'InProgress', 'Cancelling'].includes(result.Status)) {
      return result;
    }
    await new Promise(resolve => setTimeout(resolve, 50));
  }
  throw new Error(`command ${commandId} did not finish`);
}

/** Processes (not zombies) whose command line matches. */
function alive(pattern: RegExp): number[] {
  return readdirSync('/proc')
    .filter(entry => /^\d+$/.test(entry))
    .filter(pid => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        return (
          !/\) Z /.test(stat) &&
          pattern.test(cmdline.split('\0').join(' ').trim())
        );
      } catch {
        return false;
      }
    })
    .map(Number);
}

beforeAll(async () => {
  sandbox = await startSandbox();
  dir = mkdtempSync(join(tmpdir(), 'sm-ssh-agent-test-'));
  env = {
    PATH: process.env.PATH,
    ...sandboxEnv(sandbox),
    SM_SSH_AGENT_STATE_DIR: join(dir, 'state'),
    SM_SSH_AGENT_PORTS: '22=40022'
  };
});

afterAll(async () => {
  await sandbox?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the stand-in amazon-ssm-agent', () => {
  it('registers, runs Run Command scripts itself, and stops with nothing left running', async () => {
    const activation = sandbox.ssm.instances.createActivation(call, {
      IamRole: 'service-role/test',
      RegistrationLimit: 1
    });
    const args = [
      '-register',
      '-id',
      activation.activationId,
      '-code',
      activation.activationCode,
      '-region',
      'us-east-1'
    ];
    const stop = new AbortController();
    expect(await runAgent(args, agent(), stop.signal)).toBe(0);
    const registered =
      /Successfully registered the instance with AWS SSM using Managed instance-id: (mi-[0-9a-f]{17})$/.exec(
        lines.join('\n')
      );
    expect(registered).not.toBeNull();
    const instanceId = (registered as RegExpExecArray)[1];
    expect(
      JSON.parse(readFileSync(join(dir, 'state', 'registration'), 'utf8'))
    ).toEqual({ ManagedInstanceID: instanceId, Region: 'us-east-1' });
    expect(statSync(join(dir, 'state', 'registration-key')).mode & 0o777).toBe(
      0o600
    );
    // registered before: it asks, and "no" keeps the registration
    expect(await runAgent(args, agent(), stop.signal)).toBe(1);
    expect(lines.join('\n')).toContain('Registration canceled by user');
    expect(lines.join('\n')).not.toContain(activation.activationCode);

    const running = runAgent([], agent(), stop.signal);
    try {
      const instance = sandbox.ssm.instances.require(instanceId);
      for (let i = 0; i < 100 && instance.pingStatus !== 'Online'; i++) {
        await new Promise(resolve => setTimeout(resolve, 20));
      }
      expect(instance.pingStatus).toBe('Online');
      expect(sandbox.ssm.instances.resolveTarget(instanceId, 22)).toEqual({
        host: '127.0.0.1',
        port: 40022
      });

      const send = (commands: string[], executionTimeout?: string) =>
        ssm('SendCommand', {
          DocumentName: 'AWS-RunShellScript',
          InstanceIds: [instanceId],
          Parameters: {
            commands,
            ...(executionTimeout
              ? { executionTimeout: [executionTimeout] }
              : {})
          }
        }).Command.CommandId as string;
      const echo = send([
        'echo "$AWS_SSM_INSTANCE_ID" "$SM_SSH_AGENT_PORTS"',
        'echo oops >&2',
        'exit 3'
      ]);
      expect(await finished(echo, instanceId)).toMatchObject({
        Status: 'Failed',
        ResponseCode: 3,
        StandardOutputContent: `${instanceId} 22=40022\n`,
        StandardErrorContent: 'oops\n'
      });
      const slow = send(['sleep 30'], '1');
      expect(await finished(slow, instanceId)).toMatchObject({
        Status: 'TimedOut',
        StatusDetails: 'ExecutionTimedOut',
        ResponseCode: 137
      });
      const cancelled = send(['sleep 30 & sleep 31']);
      await new Promise(resolve => setTimeout(resolve, 300));
      ssm('CancelCommand', { CommandId: cancelled });
      expect((await finished(cancelled, instanceId)).Status).toBe('Cancelled');

      send(['sleep 31.5 & sleep 32.5']);
      await new Promise(resolve => setTimeout(resolve, 300));
      expect(alive(/^sleep 3[12]\.5$/)).toHaveLength(2);
    } finally {
      // a failed expectation must not leave the agent polling
      stop.abort();
    }
    expect(await running).toBe(0);
    expect(lines.join('\n')).toContain('amazon-ssm-agent stopped');
    expect(alive(/^sleep 3[12]\.5$/)).toEqual([]);
  });

  it('reads the port map and refuses a malformed one', () => {
    expect(parsePortMap('22=40022, 8888:18888')).toEqual({
      '22': 40022,
      '8888': 18888
    });
    expect(parsePortMap(undefined)).toEqual({});
    expect(() => parsePortMap('22')).toThrow(/is not <port>=<local port>/);
  });

  it('talks only to the sandbox', async () => {
    const bare: IAgentEnvironment = {
      env: { SM_SSH_AGENT_STATE_DIR: join(dir, 'none') },
      log: line => lines.push(line),
      readAnswer: async () => ''
    };
    const args = [
      '-register',
      '-id',
      'x',
      '-code',
      'y',
      '-region',
      'us-east-1'
    ];
    expect(await runAgent(args, bare, new AbortController().signal)).toBe(1);
    expect(lines[lines.length - 1]).toMatch(
      /AWS_ENDPOINT_URL_SSM is not set: this is the sandbox's stand-in/
    );
  });
});
