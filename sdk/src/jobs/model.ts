/**
 * `withSshModel`: a CreateModel request (endpoints, batch transform) whose framework serving containers start SSH.
 * Such a container imports the module its `SAGEMAKER_PROGRAM` names from its code directory (the SageMaker inference
 * toolkits, sagemaker-containers); the wrap points `SAGEMAKER_PROGRAM` at our shim `sm_ssh_inference.py`, which
 * starts `sm-ssh-init.sh` once per container and then is the original module (`SM_SSH_ORIGINAL_PROGRAM`). The shim
 * and the script must be in that code directory, which is inside the model's archives: the result says which files
 * to add where, since rewriting a model archive is the caller's to do. Pure: no AWS calls.
 */
import type {
  ContainerDefinition,
  CreateModelInput
} from '@aws-sdk/client-sagemaker';
import { UsageError } from '../errors.js';
import { INIT_SCRIPT, remoteFile, sha256Hex } from './bundle.js';
import { requireText } from './fields.js';
import {
  JOB_ENV,
  type ICodeFile,
  type IModelSshOptions,
  type IWrappedModel,
  type IWrappedModelContainer
} from './types.js';
import { clonePlain, roleNameWithPath, ssmRoleOf } from './wrap.js';

/** The shim module `SAGEMAKER_PROGRAM` names after the wrap (`sdk/remote/sm_ssh_inference.py`). */
export const INFERENCE_SHIM = 'sm_ssh_inference.py';

/** The Environment entries of a model container the wrap reads or sets. */
export const MODEL_ENV = {
  program: 'SAGEMAKER_PROGRAM',
  originalProgram: 'SM_SSH_ORIGINAL_PROGRAM',
  submitDirectory: 'SAGEMAKER_SUBMIT_DIRECTORY'
} as const;

/** CreateModel's limits on a container's Environment. */
const MAX_ENVIRONMENT_ENTRIES = 100;
const MAX_ENVIRONMENT_VALUE = 1024;
const MODEL_NAME = /^[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?$/;

function codeFile(path: string, body: string): ICodeFile {
  return {
    path,
    body,
    bytes: Buffer.byteLength(body, 'utf8'),
    sha256: sha256Hex(body)
  };
}

/** The request with SSH in every container; see `IWrappedModel` for what the caller must still do. */
export function withSshModel(
  request: CreateModelInput,
  options: IModelSshOptions
): IWrappedModel<CreateModelInput> {
  const name = requireText(
    request?.ModelName,
    'ModelName',
    "set ModelName to the model's name"
  );
  if (!MODEL_NAME.test(name)) {
    throw new UsageError(
      `ModelName "${name}" is not a SageMaker model name (1-63 letters, digits and hyphens, not starting or ending with a hyphen)`,
      'rename the model'
    );
  }
  if (typeof options?.owner !== 'string' || options.owner.trim() === '') {
    throw new UsageError(
      'no owner for the model (SSH_OWNER_TAG)',
      'pass the UserId of whoever will connect (aws sts get-caller-identity --query UserId)'
    );
  }
  const ssmRole = modelSsmRole(request.ExecutionRoleArn, options.ssmRole);
  if (request.EnableNetworkIsolation) {
    throw new UsageError(
      "EnableNetworkIsolation is true: the model's containers would have no network, and SSH goes through AWS Systems Manager",
      'create the model without EnableNetworkIsolation to reach it over SSH'
    );
  }
  const places: [string, ContainerDefinition][] = [
    ...(request.PrimaryContainer
      ? [
          ['PrimaryContainer', request.PrimaryContainer] as [
            string,
            ContainerDefinition
          ]
        ]
      : []),
    ...(request.Containers ?? []).map(
      (container, index) =>
        [`Containers[${index}]`, container] as [string, ContainerDefinition]
    )
  ];
  if (places.length === 0) {
    throw new UsageError(
      'the request has neither PrimaryContainer nor Containers',
      'pass a CreateModel request with its containers'
    );
  }
  const ours: Record<string, string> = {
    [JOB_ENV.owner]: options.owner,
    [JOB_ENV.ssmRole]: ssmRole
  };
  const containers = places.map(([field, container]) =>
    checkContainer(field, container, ours)
  );

  const wrapped = clonePlain(request);
  const wrap = (container: ContainerDefinition): ContainerDefinition => {
    const environment = container.Environment ?? {};
    return {
      ...container,
      Environment: {
        ...environment,
        [MODEL_ENV.program]: INFERENCE_SHIM,
        [MODEL_ENV.originalProgram]: environment[MODEL_ENV.program],
        ...ours
      }
    };
  };
  if (wrapped.PrimaryContainer) {
    wrapped.PrimaryContainer = wrap(wrapped.PrimaryContainer);
  }
  if (wrapped.Containers) {
    wrapped.Containers = wrapped.Containers.map(wrap);
  }
  return {
    modelName: name,
    request: wrapped,
    containers,
    codeFiles: [
      codeFile(INFERENCE_SHIM, remoteFile(INFERENCE_SHIM)),
      codeFile(INIT_SCRIPT, remoteFile(INIT_SCRIPT))
    ]
  };
}

function modelSsmRole(
  executionRoleArn: string | undefined,
  given: string | undefined
): string {
  return ssmRoleOf(given, () => {
    const roleArn = requireText(
      executionRoleArn,
      'ExecutionRoleArn',
      "set ExecutionRoleArn to the model's role, or pass the SSM role (name with path)",
      'the request has no ExecutionRoleArn, so the activation role (SSH_SSM_ROLE) is unknown'
    );
    return roleNameWithPath(roleArn, 'ExecutionRoleArn');
  });
}

function checkContainer(
  field: string,
  container: ContainerDefinition,
  ours: Record<string, string>
): IWrappedModelContainer {
  const environment = container.Environment ?? {};
  const program = environment[MODEL_ENV.program];
  const image = container.Image ?? container.ModelPackageName;
  const which = `${field}${image ? ` (${image})` : ''}`;
  if (!program) {
    throw new UsageError(
      `${which} has no Environment.${MODEL_ENV.program}, so it is no framework serving container whose inference module the wrap could replace`,
      `add SSH to its image instead: its serve entry point runs "sh sm-ssh-init.sh &" first, with ${JOB_ENV.owner} (and ${JOB_ENV.ssmRole}) in the container's Environment (see sdk/remote/README.md)`
    );
  }
  if (program === INFERENCE_SHIM || program === INFERENCE_SHIM.slice(0, -3)) {
    throw new UsageError(
      `${which} already runs ${INFERENCE_SHIM}`,
      'pass the request as it was before withSshModel'
    );
  }
  if (
    MODEL_ENV.originalProgram in environment &&
    environment[MODEL_ENV.originalProgram] !== program
  ) {
    throw new UsageError(
      `${which} sets ${MODEL_ENV.originalProgram} to "${environment[MODEL_ENV.originalProgram]}", which the wrap sets to "${program}"`,
      `remove ${MODEL_ENV.originalProgram} from its Environment`
    );
  }
  for (const [key, value] of Object.entries(ours)) {
    if (key in environment && environment[key] !== value) {
      throw new UsageError(
        `${which} sets ${key} to "${environment[key]}", but the wrap sets it to "${value}"`,
        `remove ${key} from its Environment (the wrap sets it), or pass the same value as an option`
      );
    }
    if (value.length > MAX_ENVIRONMENT_VALUE) {
      throw new UsageError(
        `${key} would be ${value.length} characters; a model container's Environment values are at most ${MAX_ENVIRONMENT_VALUE}`,
        'pass a shorter value'
      );
    }
  }
  const entries = Object.keys({
    ...environment,
    [MODEL_ENV.originalProgram]: program,
    ...ours
  }).length;
  if (entries > MAX_ENVIRONMENT_ENTRIES) {
    throw new UsageError(
      `${which}'s Environment would have ${entries} entries with the wrap's; a model container takes at most ${MAX_ENVIRONMENT_ENTRIES}`,
      'remove entries from its Environment'
    );
  }
  const codeDirectory = environment[MODEL_ENV.submitDirectory];
  return {
    field,
    ...(image ? { image } : {}),
    originalProgram: program,
    ...(codeDirectory ? { codeDirectory } : {})
  };
}
