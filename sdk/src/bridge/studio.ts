/**
 * SageMaker Studio detection: the resource metadata file Studio puts in every app container
 * (`/opt/ml/metadata/resource-metadata.json`, or `$SM_SSH_RESOURCE_METADATA`).
 */
import { readFileSync } from 'node:fs';

export const DEFAULT_RESOURCE_METADATA =
  '/opt/ml/metadata/resource-metadata.json';

export interface IStudioMetadata {
  executionRoleArn?: string;
  domainId?: string;
  spaceName?: string;
  resourceArn?: string;
  /** The region of ResourceArn (its 4th `:` field). */
  region?: string;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/** The metadata file's path: `$SM_SSH_RESOURCE_METADATA`, else Studio's own. */
export function resourceMetadataPath(
  env: NodeJS.ProcessEnv = process.env
): string {
  return env.SM_SSH_RESOURCE_METADATA || DEFAULT_RESOURCE_METADATA;
}

/** The Studio metadata, or undefined outside Studio (no file, or not a JSON object). */
export function readStudioMetadata(
  path = resourceMetadataPath()
): IStudioMetadata | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return undefined;
  }
  const fields = parsed as Record<string, unknown>;
  const resourceArn = text(fields.ResourceArn);
  return {
    executionRoleArn: text(fields.ExecutionRoleArn),
    domainId: text(fields.DomainId),
    spaceName: text(fields.SpaceName),
    resourceArn,
    region: text(resourceArn?.split(':')[3])
  };
}

/** The origin of the Studio domain's pages (`https://<domain id>.studio.<region>.sagemaker.aws`), when known. */
export function studioOrigin(
  studio: IStudioMetadata | undefined
): string | undefined {
  return studio?.domainId && studio.region
    ? `https://${studio.domainId.toLowerCase()}.studio.${studio.region}.sagemaker.aws`
    : undefined;
}
