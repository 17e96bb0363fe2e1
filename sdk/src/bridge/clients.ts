/**
 * AWS clients per request: the `region` and `profile` query parameters pick them (validated: a bad one is a 400
 * naming it), one AwsClients per region+profile, kept for the bridge's life.
 */
import { AwsClients, createAwsClients, resolveRegion } from '../aws/clients.js';
import { assertRegion } from '../aws/regions.js';
import { UsageError } from '../errors.js';
import { badRequest } from './errors.js';

const REGION_SHAPE = /^[a-z]{2}(-[a-z]+)+-\d+$/;
const PROFILE_SHAPE = /^[A-Za-z0-9_.-]+$/;

export interface IClientChoice {
  region?: string;
  profile?: string;
}

/** Checks the `region` and `profile` query parameters. */
export function clientChoice(query: URLSearchParams): IClientChoice {
  const region = query.get('region') ?? undefined;
  const profile = query.get('profile') ?? undefined;
  if (region !== undefined) {
    const known = (() => {
      try {
        assertRegion(region, 'region');
        return true;
      } catch {
        return false;
      }
    })();
    if (!REGION_SHAPE.test(region) || !known) {
      throw badRequest(
        `region "${region.slice(0, 40)}" is not an AWS region`,
        'use a region code such as us-east-1 or eu-west-1'
      );
    }
  }
  if (profile !== undefined && !PROFILE_SHAPE.test(profile)) {
    throw badRequest(
      `profile "${profile.slice(0, 40)}" is not a profile name`,
      'profile names are letters, digits and _ . -'
    );
  }
  return { region, profile };
}

export class ClientPool {
  private readonly pool = new Map<string, Promise<AwsClients>>();
  private readonly defaults: IClientChoice & { fallbackRegion?: string };

  /** `fallbackRegion` is used when neither the option nor the SDK's chain gives one (Studio's metadata). */
  constructor(defaults: IClientChoice & { fallbackRegion?: string }) {
    this.defaults = defaults;
  }

  /** The profile of requests that name none. */
  get defaultProfile(): string | undefined {
    return this.defaults.profile;
  }

  /** A stable key of the choice, for caches kept per clients. */
  key(choice: IClientChoice): string {
    return `${choice.region ?? this.defaults.region ?? ''}|${choice.profile ?? this.defaults.profile ?? ''}`;
  }

  get(choice: IClientChoice = {}): Promise<AwsClients> {
    const key = this.key(choice);
    let clients = this.pool.get(key);
    if (!clients) {
      clients = this.create(choice);
      this.pool.set(key, clients);
      clients.catch(() => this.pool.delete(key));
    }
    return clients;
  }

  private async create(choice: IClientChoice): Promise<AwsClients> {
    const profile = choice.profile ?? this.defaults.profile;
    let region = choice.region ?? this.defaults.region;
    if (region === undefined) {
      region = await resolveRegion({ profile }).catch((error: unknown) => {
        if (
          this.defaults.fallbackRegion &&
          error instanceof UsageError &&
          error.message.startsWith('no AWS region')
        ) {
          return this.defaults.fallbackRegion;
        }
        throw error;
      });
    }
    return createAwsClients({ region, profile });
  }
}
