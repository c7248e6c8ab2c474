import { ConfigError } from '../../core/errors.js';
import { ROLES, type Role } from '../../auth/principal.js';
import { hashSecret, UNMATCHABLE_HASH, verifySecret } from './password-hash.js';
import type { SecurityDb } from './security-store.js';

/**
 * People who sign in to the authorization server (table `users` of security.sqlite), written by
 * `imaging-bridge users …`. Passwords are kept as scrypt hashes only. A user may be bound to a
 * FHIR Practitioner (`fhirUser`) and to one patient (the patient context of `launch/patient`).
 * For a hospital directory, use an external identity provider instead (security.externalIssuers).
 */
export interface User {
  username: string;
  role: Exclude<Role, 'ai-service'>;
  fhirUser?: string;
  patient?: string;
  createdAt: string;
}

export const USER_ROLES = ROLES.filter((r): r is User['role'] => r !== 'ai-service');

const USERNAME = /^[A-Za-z0-9._@-]{1,64}$/;
const REFERENCE = /^[A-Z][A-Za-z]+\/[A-Za-z0-9.-]{1,64}$/;
const ID = /^[A-Za-z0-9.-]{1,64}$/;

export class UserStore {
  constructor(private readonly db: SecurityDb) {}

  add(input: { username: string; password: string; role: string; fhirUser?: string; patient?: string }): User {
    if (!USERNAME.test(input.username)) throw new ConfigError('--username: 1 to 64 letters, digits or . _ @ -');
    if (input.password.length < 8) throw new ConfigError('the password must be at least 8 characters');
    if (!(USER_ROLES as readonly string[]).includes(input.role))
      throw new ConfigError(`--role must be one of ${USER_ROLES.join(', ')}`);
    if (input.fhirUser !== undefined && !REFERENCE.test(input.fhirUser))
      throw new ConfigError('--fhir-user must be a FHIR reference such as Practitioner/123');
    if (input.patient !== undefined && !ID.test(input.patient))
      throw new ConfigError('--patient must be a FHIR Patient id');
    if (this.get(input.username)) throw new ConfigError(`user "${input.username}" already exists (remove it first)`);
    const user: User = {
      username: input.username,
      role: input.role as User['role'],
      fhirUser: input.fhirUser,
      patient: input.patient,
      createdAt: new Date().toISOString(),
    };
    this.db
      .prepare(
        'INSERT INTO users (username, password_hash, role, fhir_user, patient, created_at) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(
        user.username,
        hashSecret(input.password),
        user.role,
        user.fhirUser ?? null,
        user.patient ?? null,
        user.createdAt,
      );
    return user;
  }

  get(username: string): User | undefined {
    const row = this.db.prepare('SELECT * FROM users WHERE username = ?').get(username) as Row | undefined;
    return row && fromRow(row);
  }

  list(): User[] {
    return (this.db.prepare('SELECT * FROM users ORDER BY username').all() as Row[]).map(fromRow);
  }

  remove(username: string): boolean {
    return this.db.prepare('DELETE FROM users WHERE username = ?').run(username).changes > 0;
  }

  /** The user when the password matches; undefined otherwise (same cost for an unknown name). */
  async authenticate(username: string, password: string): Promise<User | undefined> {
    const row = this.db.prepare('SELECT * FROM users WHERE username = ?').get(username) as Row | undefined;
    const ok = await verifySecret(password, row?.password_hash ?? UNMATCHABLE_HASH);
    return row && ok ? fromRow(row) : undefined;
  }
}

interface Row {
  username: string;
  password_hash: string;
  role: string;
  fhir_user: string | null;
  patient: string | null;
  created_at: string;
}

function fromRow(r: Row): User {
  return {
    username: r.username,
    role: r.role as User['role'],
    fhirUser: r.fhir_user ?? undefined,
    patient: r.patient ?? undefined,
    createdAt: r.created_at,
  };
}
