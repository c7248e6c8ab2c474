import { ConfigError } from '../../core/errors.js';
import { ROLES } from '../../auth/principal.js';
import { hashSecret, UNMATCHABLE_HASH, verifySecret } from './password-hash.js';
import type { SecurityStore, StoredUser, User } from './security-store.js';

export type { User } from './security-store.js';

export const USER_ROLES = ROLES.filter((r): r is User['role'] => r !== 'ai-service');

const USERNAME = /^[A-Za-z0-9._@-]{1,64}$/;
const REFERENCE = /^[A-Z][A-Za-z]+\/[A-Za-z0-9.-]{1,64}$/;
const ID = /^[A-Za-z0-9.-]{1,64}$/;

export class UserStore {
  constructor(private readonly store: SecurityStore) {}

  async add(input: {
    username: string;
    password: string;
    role: string;
    fhirUser?: string;
    patient?: string;
  }): Promise<User> {
    if (!USERNAME.test(input.username)) throw new ConfigError('--username: 1 to 64 letters, digits or . _ @ -');
    if (input.password.length < 8) throw new ConfigError('the password must be at least 8 characters');
    if (!(USER_ROLES as readonly string[]).includes(input.role))
      throw new ConfigError(`--role must be one of ${USER_ROLES.join(', ')}`);
    if (input.fhirUser !== undefined && !REFERENCE.test(input.fhirUser))
      throw new ConfigError('--fhir-user must be a FHIR reference such as Practitioner/123');
    if (input.patient !== undefined && !ID.test(input.patient))
      throw new ConfigError('--patient must be a FHIR Patient id');
    const user: User = {
      username: input.username,
      role: input.role as User['role'],
      fhirUser: input.fhirUser,
      patient: input.patient,
      createdAt: new Date().toISOString(),
    };
    if (!(await this.store.addUser({ ...user, passwordHash: hashSecret(input.password) })))
      throw new ConfigError(`user "${input.username}" already exists (remove it first)`);
    return user;
  }

  async get(username: string): Promise<User | undefined> {
    const stored = await this.store.user(username);
    return stored && withoutHash(stored);
  }

  async list(): Promise<User[]> {
    return (await this.store.users()).map(withoutHash);
  }

  remove(username: string): Promise<boolean> {
    return this.store.removeUser(username);
  }

  /** The user when the password matches; undefined otherwise (same cost for an unknown name). */
  async authenticate(username: string, password: string): Promise<User | undefined> {
    const stored = await this.store.user(username);
    const ok = await verifySecret(password, stored?.passwordHash ?? UNMATCHABLE_HASH);
    return stored && ok ? withoutHash(stored) : undefined;
  }
}

function withoutHash({ passwordHash: _, ...user }: StoredUser): User {
  return user;
}
