/**
 * Reads what IAM knows about a role: its trust policy, inline policies, attached managed policies (their default
 * versions) and permissions boundary. Documents come back URL-encoded from IAM; both forms are accepted.
 */
import {
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  ListRoleTagsCommand,
  paginateListAttachedRolePolicies,
  paginateListRolePolicies,
  type IAMClient
} from '@aws-sdk/client-iam';
import { describeAwsError, errorName } from '../aws/errors.js';
import { UsageError } from '../errors.js';
import { parseRoleArn, type IRoleArn } from './arn.js';
import type { INamedPolicy, IPolicyDocument } from './types.js';

export interface ILiveRole extends IRoleArn {
  /** The unique id (`AROA…`) that appears in `aws:userid` of sessions of the role. */
  roleId: string;
  trustPolicy: IPolicyDocument;
  inlinePolicies: INamedPolicy[];
  /** Attached managed policies, named by ARN, with the document of their default version. */
  attachedPolicies: INamedPolicy[];
  permissionsBoundary?: INamedPolicy;
  tags: Record<string, string>;
}

/** Parses an IAM policy document as IAM returns it (URL-encoded JSON) or as a user writes it (plain JSON). */
export function parsePolicyDocument(text: string): IPolicyDocument {
  const trimmed = text.trim();
  return JSON.parse(
    trimmed.startsWith('{') ? trimmed : decodeURIComponent(trimmed)
  ) as IPolicyDocument;
}

async function managedPolicy(
  iam: IAMClient,
  arn: string
): Promise<INamedPolicy> {
  const { Policy } = await iam.send(new GetPolicyCommand({ PolicyArn: arn }));
  const { PolicyVersion } = await iam.send(
    new GetPolicyVersionCommand({
      PolicyArn: arn,
      VersionId: Policy?.DefaultVersionId
    })
  );
  return {
    name: arn,
    document: parsePolicyDocument(PolicyVersion?.Document ?? '{"Statement":[]}')
  };
}

/** Reads a role by ARN; an unknown role is a UsageError that names the flag. */
export async function readRole(
  iam: IAMClient,
  roleArn: string,
  option = 'role'
): Promise<ILiveRole> {
  const parsed = parseRoleArn(roleArn, option);
  try {
    const { Role } = await iam.send(
      new GetRoleCommand({ RoleName: parsed.name })
    );
    if (!Role?.Arn || !Role.RoleId) {
      throw new Error(`IAM returned no role for ${parsed.name}`);
    }
    const actual = parseRoleArn(Role.Arn, option);
    const inlinePolicies: INamedPolicy[] = [];
    for await (const page of paginateListRolePolicies(
      { client: iam },
      { RoleName: parsed.name }
    )) {
      for (const name of page.PolicyNames ?? []) {
        const { PolicyDocument } = await iam.send(
          new GetRolePolicyCommand({ RoleName: parsed.name, PolicyName: name })
        );
        inlinePolicies.push({
          name,
          document: parsePolicyDocument(PolicyDocument ?? '{"Statement":[]}')
        });
      }
    }
    const attachedPolicies: INamedPolicy[] = [];
    for await (const page of paginateListAttachedRolePolicies(
      { client: iam },
      { RoleName: parsed.name }
    )) {
      for (const attached of page.AttachedPolicies ?? []) {
        if (attached.PolicyArn) {
          attachedPolicies.push(await managedPolicy(iam, attached.PolicyArn));
        }
      }
    }
    const boundaryArn = Role.PermissionsBoundary?.PermissionsBoundaryArn;
    const { Tags } = await iam.send(
      new ListRoleTagsCommand({ RoleName: parsed.name })
    );
    return {
      ...actual,
      roleId: Role.RoleId,
      trustPolicy: parsePolicyDocument(
        Role.AssumeRolePolicyDocument ?? '{"Statement":[]}'
      ),
      inlinePolicies,
      attachedPolicies,
      permissionsBoundary: boundaryArn
        ? await managedPolicy(iam, boundaryArn)
        : undefined,
      tags: Object.fromEntries(
        (Tags ?? []).map(tag => [tag.Key ?? '', tag.Value ?? ''])
      )
    };
  } catch (error) {
    if (
      errorName(error) === 'NoSuchEntity' ||
      errorName(error) === 'NoSuchEntityException'
    ) {
      throw new UsageError(
        `${option}: role "${parsed.name}" does not exist in account ${parsed.account}`,
        'check the ARN (IAM console → Roles, or `aws iam get-role --role-name NAME`)'
      );
    }
    throw describeAwsError(error, `reading role ${parsed.name}`);
  }
}
