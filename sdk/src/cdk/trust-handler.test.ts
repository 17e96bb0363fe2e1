import { jest } from '@jest/globals';
import { createRequire } from 'node:module';
import vm from 'node:vm';
import { ssmTrustStatement, trustPolicy } from '../policies/documents.js';
import type { IPolicyDocument, IPolicyStatement } from '../policies/types.js';
import {
  TRUST_HANDLER_FUNCTIONS,
  canonicalJson,
  createIamTrustStore,
  grantsStatement,
  handleTrustEvent,
  mergeTrustStatement,
  parseTrustPhysicalId,
  runTrustRequest,
  sendCfnResponse,
  trustHandlerCode,
  unmergeTrustStatement,
  type IHttpsModule,
  type IIamModule,
  type ITrustEvent,
  type ITrustStore
} from './trust-handler.js';

const SSM = ssmTrustStatement();
const SAGEMAKER: IPolicyStatement = {
  Effect: 'Allow',
  Principal: { Service: 'sagemaker.amazonaws.com' },
  Action: 'sts:AssumeRole'
};
const CODEBUILD: IPolicyStatement = {
  Sid: 'CodeBuild',
  Effect: 'Allow',
  Principal: { Service: ['codebuild.amazonaws.com'] },
  Action: ['sts:AssumeRole', 'sts:TagSession']
};
const doc = (...statements: IPolicyStatement[]): IPolicyDocument => ({
  Version: '2012-10-17',
  Statement: statements
});

describe('mergeTrustStatement', () => {
  it('appends the SSM statement after the existing ones, unchanged and in order', () => {
    const { document, added } = mergeTrustStatement(
      doc(SAGEMAKER, CODEBUILD),
      SSM
    );
    expect(added).toBe(true);
    expect(document).toEqual(doc(SAGEMAKER, CODEBUILD, SSM));
  });

  it('gives the guide trust policy from SageMaker-only trust', () => {
    expect(mergeTrustStatement(doc(SAGEMAKER), SSM).document).toEqual(
      trustPolicy()
    );
  });

  it('is idempotent', () => {
    const once = mergeTrustStatement(doc(SAGEMAKER), SSM).document;
    const twice = mergeTrustStatement(once, SSM);
    expect(twice.added).toBe(false);
    expect(twice.document).toBe(once);
  });

  it('accepts a single statement object and returns a list', () => {
    const { document, added } = mergeTrustStatement(
      { Version: '2012-10-17', Statement: SAGEMAKER },
      SSM
    );
    expect(added).toBe(true);
    expect(document.Statement).toEqual([SAGEMAKER, SSM]);
  });

  it.each<[string, IPolicyStatement]>([
    [
      'a list of services',
      {
        Effect: 'Allow',
        Principal: {
          Service: ['sagemaker.amazonaws.com', 'ssm.amazonaws.com']
        },
        Action: 'sts:AssumeRole'
      }
    ],
    [
      'a list of actions',
      {
        Effect: 'Allow',
        Principal: { Service: 'ssm.amazonaws.com' },
        Action: ['sts:TagSession', 'sts:AssumeRole']
      }
    ],
    [
      'sts:*',
      {
        Effect: 'Allow',
        Principal: { Service: 'ssm.amazonaws.com' },
        Action: 'sts:*'
      }
    ],
    [
      'other case',
      {
        Effect: 'Allow',
        Principal: { Service: 'ssm.amazonaws.com' },
        Action: 'STS:assumerole'
      }
    ],
    [
      'a condition of the administrator',
      {
        Effect: 'Allow',
        Principal: { Service: 'ssm.amazonaws.com' },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } }
      }
    ]
  ])(
    'does not add a second statement when one allows it with %s',
    (_, existing) => {
      const input = doc(SAGEMAKER, existing);
      expect(mergeTrustStatement(input, SSM)).toEqual({
        document: input,
        added: false
      });
    }
  );

  it.each<[string, IPolicyStatement]>([
    [
      'Deny',
      {
        Effect: 'Deny',
        Principal: { Service: 'ssm.amazonaws.com' },
        Action: 'sts:AssumeRole'
      }
    ],
    [
      'another action',
      {
        Effect: 'Allow',
        Principal: { Service: 'ssm.amazonaws.com' },
        Action: 'sts:TagSession'
      }
    ],
    [
      'an AWS principal',
      {
        Effect: 'Allow',
        Principal: { AWS: 'arn:aws:iam::123456789012:root' },
        Action: 'sts:AssumeRole'
      }
    ],
    [
      'Principal "*"',
      { Effect: 'Allow', Principal: '*', Action: 'sts:AssumeRole' }
    ]
  ])('adds the statement next to one with %s', (_, existing) => {
    expect(mergeTrustStatement(doc(existing), SSM)).toEqual({
      document: doc(existing, SSM),
      added: true
    });
  });
});

describe('unmergeTrustStatement', () => {
  it('removes exactly the SSM statement and keeps the others in order', () => {
    expect(unmergeTrustStatement(doc(SAGEMAKER, SSM, CODEBUILD), SSM)).toEqual({
      document: doc(SAGEMAKER, CODEBUILD),
      removed: true
    });
  });

  it('undoes mergeTrustStatement', () => {
    const original = doc(SAGEMAKER, CODEBUILD);
    const merged = mergeTrustStatement(original, SSM).document;
    expect(unmergeTrustStatement(merged, SSM).document).toEqual(original);
  });

  it('matches regardless of key order and one-element lists (IAM may respell the document)', () => {
    const respelled = {
      Action: ['sts:AssumeRole'],
      Principal: { Service: ['ssm.amazonaws.com'] },
      Effect: 'Allow'
    } as IPolicyStatement;
    expect(unmergeTrustStatement(doc(SAGEMAKER, respelled), SSM)).toEqual({
      document: doc(SAGEMAKER),
      removed: true
    });
  });

  it('removes one copy only', () => {
    expect(
      unmergeTrustStatement(doc(SSM, SAGEMAKER, SSM), SSM).document
    ).toEqual(doc(SAGEMAKER, SSM));
  });

  it('leaves a statement the administrator changed (e.g. added a condition)', () => {
    const changed: IPolicyStatement = {
      ...SSM,
      Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } }
    };
    const input = doc(SAGEMAKER, changed);
    expect(unmergeTrustStatement(input, SSM)).toEqual({
      document: input,
      removed: false
    });
  });
});

describe('helpers', () => {
  it('canonicalJson sorts keys and unwraps one-element lists', () => {
    expect(canonicalJson({ b: [1], a: { d: 2, c: [3, 4] } })).toBe(
      '{"a":{"c":[3,4],"d":2},"b":1}'
    );
  });

  it('grantsStatement needs every service and action of the wanted statement', () => {
    const both: IPolicyStatement = {
      Effect: 'Allow',
      Principal: { Service: ['a', 'b'] },
      Action: 'sts:AssumeRole'
    };
    expect(
      grantsStatement(
        { Effect: 'Allow', Principal: { Service: 'a' }, Action: '*' },
        both
      )
    ).toBe(false);
    expect(
      grantsStatement(
        { Effect: 'Allow', Principal: { Service: ['b', 'a'] }, Action: '*' },
        both
      )
    ).toBe(true);
  });

  it('parseTrustPhysicalId reads only its own ids', () => {
    expect(parseTrustPhysicalId('ssm-trust/added/Role-1')).toEqual({
      added: true,
      roleName: 'Role-1'
    });
    expect(parseTrustPhysicalId('ssm-trust/present/a+b=c,d.e@f_g')).toEqual({
      added: false,
      roleName: 'a+b=c,d.e@f_g'
    });
    expect(parseTrustPhysicalId('ssm-trust/failed/Role')).toBeUndefined();
    expect(parseTrustPhysicalId('2024/01/01/[$LATEST]abc')).toBeUndefined();
    expect(parseTrustPhysicalId(undefined)).toBeUndefined();
  });
});

/** An in-memory IAM with a call log. */
class FakeStore implements ITrustStore {
  readonly puts: Array<[string, IPolicyDocument]> = [];
  constructor(readonly roles: Record<string, IPolicyDocument>) {}
  async get(roleName: string): Promise<IPolicyDocument | undefined> {
    return this.roles[roleName];
  }
  async put(roleName: string, document: IPolicyDocument): Promise<void> {
    this.puts.push([roleName, document]);
    this.roles[roleName] = document;
  }
}

function event(
  requestType: ITrustEvent['RequestType'],
  roleName: string,
  physicalResourceId?: string
): ITrustEvent {
  return {
    RequestType: requestType,
    ResponseURL:
      'https://cloudformation-custom-resource-response.s3.amazonaws.com/x?sig=1',
    StackId:
      'arn:aws:cloudformation:eu-west-1:123456789012:stack/SSH-IAM-SSM-Stack/1',
    RequestId: 'request-1',
    LogicalResourceId: 'SsmTrust',
    PhysicalResourceId: physicalResourceId,
    ResourceProperties: { RoleName: roleName, Statement: JSON.stringify(SSM) }
  };
}

describe('handleTrustEvent', () => {
  it('Create adds the statement and records it; Delete removes it again', async () => {
    const store = new FakeStore({ Role: doc(SAGEMAKER, CODEBUILD) });
    const created = await handleTrustEvent(event('Create', 'Role'), store);
    expect(created).toEqual({
      PhysicalResourceId: 'ssm-trust/added/Role',
      Data: { RoleName: 'Role', Added: 'true' }
    });
    expect(store.roles.Role).toEqual(doc(SAGEMAKER, CODEBUILD, SSM));

    await handleTrustEvent(
      event('Delete', 'Role', created.PhysicalResourceId),
      store
    );
    expect(store.roles.Role).toEqual(doc(SAGEMAKER, CODEBUILD));
    expect(store.puts).toHaveLength(2);
  });

  it('Create on a role that already trusts SSM changes nothing, and Delete leaves that statement', async () => {
    const store = new FakeStore({ Role: trustPolicy() });
    const created = await handleTrustEvent(event('Create', 'Role'), store);
    expect(created.PhysicalResourceId).toBe('ssm-trust/present/Role');
    await handleTrustEvent(
      event('Delete', 'Role', created.PhysicalResourceId),
      store
    );
    expect(store.puts).toEqual([]);
    expect(store.roles.Role).toEqual(trustPolicy());
  });

  it('Update of the same role keeps ownership of the statement it added', async () => {
    const store = new FakeStore({ Role: trustPolicy() });
    const updated = await handleTrustEvent(
      event('Update', 'Role', 'ssm-trust/added/Role'),
      store
    );
    expect(updated.PhysicalResourceId).toBe('ssm-trust/added/Role');
    expect(store.puts).toEqual([]);
  });

  it('Update re-adds a statement someone removed', async () => {
    const store = new FakeStore({ Role: doc(SAGEMAKER) });
    const updated = await handleTrustEvent(
      event('Update', 'Role', 'ssm-trust/present/Role'),
      store
    );
    expect(updated.PhysicalResourceId).toBe('ssm-trust/added/Role');
    expect(store.roles.Role).toEqual(trustPolicy());
  });

  it('Update to another role returns a new id, so CloudFormation deletes the old one from the old role', async () => {
    const store = new FakeStore({ Old: trustPolicy(), New: doc(SAGEMAKER) });
    const updated = await handleTrustEvent(
      event('Update', 'New', 'ssm-trust/added/Old'),
      store
    );
    expect(updated.PhysicalResourceId).toBe('ssm-trust/added/New');
    await handleTrustEvent(
      event('Delete', 'New', 'ssm-trust/added/Old'),
      store
    );
    expect(store.roles).toEqual({ Old: doc(SAGEMAKER), New: trustPolicy() });
  });

  it('Delete succeeds when the role is gone', async () => {
    const store = new FakeStore({});
    await expect(
      handleTrustEvent(event('Delete', 'Role', 'ssm-trust/added/Role'), store)
    ).resolves.toMatchObject({
      PhysicalResourceId: 'ssm-trust/present/Role'
    });
  });

  it('Delete of a failed Create (an id it did not make) touches nothing', async () => {
    const store = new FakeStore({ Role: trustPolicy() });
    await handleTrustEvent(
      event('Delete', 'Role', 'ssm-trust/failed/Role'),
      store
    );
    expect(store.puts).toEqual([]);
  });

  it('Delete does not write an empty trust policy', async () => {
    const store = new FakeStore({ Role: doc(SSM) });
    await handleTrustEvent(
      event('Delete', 'Role', 'ssm-trust/added/Role'),
      store
    );
    expect(store.puts).toEqual([]);
  });

  it('Create fails for a missing role', async () => {
    await expect(
      handleTrustEvent(event('Create', 'Nope'), new FakeStore({}))
    ).rejects.toThrow('IAM role Nope does not exist');
  });
});

describe('runTrustRequest', () => {
  it('answers SUCCESS with the physical id and data', async () => {
    const response = await runTrustRequest(
      event('Create', 'Role'),
      new FakeStore({ Role: doc(SAGEMAKER) }),
      'stream'
    );
    expect(response).toEqual({
      Status: 'SUCCESS',
      PhysicalResourceId: 'ssm-trust/added/Role',
      Data: { RoleName: 'Role', Added: 'true' },
      StackId:
        'arn:aws:cloudformation:eu-west-1:123456789012:stack/SSH-IAM-SSM-Stack/1',
      RequestId: 'request-1',
      LogicalResourceId: 'SsmTrust'
    });
  });

  it('answers FAILED with the reason and an id that a rollback Delete ignores', async () => {
    const error = jest
      .spyOn(console, 'error')
      .mockImplementation(() => undefined);
    const response = await runTrustRequest(
      event('Create', 'Nope'),
      new FakeStore({}),
      '2026/11/25/[$LATEST]abc'
    );
    error.mockRestore();
    expect(response).toMatchObject({
      Status: 'FAILED',
      Reason:
        'Error: IAM role Nope does not exist (log stream 2026/11/25/[$LATEST]abc)',
      PhysicalResourceId: 'ssm-trust/failed/Nope'
    });
    expect(parseTrustPhysicalId(response.PhysicalResourceId)).toBeUndefined();
  });
});

/** A fake `@aws-sdk/client-iam` over a FakeStore, holding documents URL-encoded as IAM returns them. */
function fakeIamModule(
  encoded: Record<string, string>,
  sent: unknown[]
): IIamModule {
  class Command {
    constructor(readonly input: Record<string, string>) {}
  }
  class GetRoleCommand extends Command {}
  class UpdateAssumeRolePolicyCommand extends Command {}
  class IAMClient {
    async send(command: Command): Promise<unknown> {
      sent.push(command);
      if (command instanceof GetRoleCommand) {
        const text = encoded[command.input.RoleName];
        if (text === undefined) {
          const error = new Error(
            `The role with name ${command.input.RoleName} cannot be found.`
          );
          error.name = 'NoSuchEntityException';
          throw error;
        }
        return {
          Role: {
            RoleName: command.input.RoleName,
            AssumeRolePolicyDocument: text
          }
        };
      }
      encoded[command.input.RoleName] = encodeURIComponent(
        command.input.PolicyDocument
      );
      return {};
    }
  }
  return {
    IAMClient,
    GetRoleCommand,
    UpdateAssumeRolePolicyCommand
  } as unknown as IIamModule;
}

describe('createIamTrustStore', () => {
  it('decodes the URL-encoded document of GetRole and writes JSON with UpdateAssumeRolePolicy', async () => {
    const encoded = {
      Role: encodeURIComponent(JSON.stringify(doc(SAGEMAKER)))
    };
    const sent: unknown[] = [];
    const store = createIamTrustStore(fakeIamModule(encoded, sent));
    expect(await store.get('Role')).toEqual(doc(SAGEMAKER));
    await store.put('Role', trustPolicy());
    expect(sent[1]).toMatchObject({
      input: { RoleName: 'Role', PolicyDocument: JSON.stringify(trustPolicy()) }
    });
  });

  it('returns undefined for a missing role and rethrows other errors', async () => {
    const store = createIamTrustStore(fakeIamModule({}, []));
    await expect(store.get('Nope')).resolves.toBeUndefined();
    const denied = fakeIamModule({}, []);
    denied.IAMClient.prototype.send = async () => {
      const error = new Error('not authorized');
      error.name = 'AccessDenied';
      throw error;
    };
    await expect(createIamTrustStore(denied).get('Role')).rejects.toThrow(
      'not authorized'
    );
  });
});

/** A fake `node:https` recording the request. */
function fakeHttps(
  statusCode: number,
  requests: Array<{ url: string; options: unknown; body: string }>
): IHttpsModule {
  return {
    request(url, options, callback) {
      return {
        on: () => undefined,
        end(body: string) {
          requests.push({ url, options, body });
          callback({
            statusCode,
            resume: () => undefined,
            on: (_event, listener) => setImmediate(listener)
          });
        }
      };
    }
  };
}

describe('sendCfnResponse', () => {
  const response = {
    Status: 'SUCCESS' as const,
    PhysicalResourceId: 'p',
    StackId: 's',
    RequestId: 'r',
    LogicalResourceId: 'l'
  };

  it('PUTs the JSON with an empty content type', async () => {
    const requests: Array<{ url: string; options: unknown; body: string }> = [];
    await sendCfnResponse(
      fakeHttps(200, requests),
      'https://example/x',
      response
    );
    const body = JSON.stringify(response);
    expect(requests).toEqual([
      {
        url: 'https://example/x',
        options: {
          method: 'PUT',
          headers: { 'content-type': '', 'content-length': body.length }
        },
        body
      }
    ]);
  });

  it('fails when S3 refuses the answer', async () => {
    await expect(
      sendCfnResponse(fakeHttps(403, []), 'https://example/x', response)
    ).rejects.toThrow('HTTP 403');
  });
});

describe('trustHandlerCode (the Lambda inline code)', () => {
  it('is the source of the tested functions', () => {
    const code = trustHandlerCode();
    for (const fn of TRUST_HANDLER_FUNCTIONS) {
      expect(code).toContain(fn.toString());
    }
    expect(code).not.toMatch(/\bimport\b|\bexport\b|cov_/);
  });

  it('runs on its own as index.handler: Create then Delete against a fake IAM', async () => {
    const encoded: Record<string, string> = {
      Role: encodeURIComponent(JSON.stringify(doc(SAGEMAKER)))
    };
    const requests: Array<{ url: string; options: unknown; body: string }> = [];
    const modules: Record<string, unknown> = {
      '@aws-sdk/client-iam': fakeIamModule(encoded, []),
      https: fakeHttps(200, requests)
    };
    const realRequire = createRequire(import.meta.url);
    const sandboxModule = {
      exports: {} as {
        handler?: (event: ITrustEvent, context: object) => Promise<void>;
      }
    };
    const quiet = { log: () => undefined, error: () => undefined };
    vm.runInNewContext(trustHandlerCode(), {
      require: (name: string) =>
        name in modules ? modules[name] : realRequire(name),
      module: sandboxModule,
      exports: sandboxModule.exports,
      console: quiet,
      Buffer
    });
    const handler = sandboxModule.exports.handler;
    expect(typeof handler).toBe('function');

    await handler!(event('Create', 'Role'), { logStreamName: 'stream' });
    expect(JSON.parse(decodeURIComponent(encoded.Role))).toEqual(trustPolicy());
    const created = JSON.parse(requests[0].body);
    expect(created).toMatchObject({
      Status: 'SUCCESS',
      PhysicalResourceId: 'ssm-trust/added/Role'
    });

    await handler!(event('Delete', 'Role', created.PhysicalResourceId), {
      logStreamName: 'stream'
    });
    expect(JSON.parse(decodeURIComponent(encoded.Role))).toEqual(
      doc(SAGEMAKER)
    );
    expect(JSON.parse(requests[1].body)).toMatchObject({ Status: 'SUCCESS' });
  });
});
