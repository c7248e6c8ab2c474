import { randomBytes } from 'node:crypto';
import { ConfigError, badRequest, conflict, notFound } from '../../core/errors.js';
import type { Role } from '../../auth/principal.js';
import { authMethodOf, type ClientStore, type RegisteredClient } from './client-store.js';
import type { User, UserStore } from './user-store.js';

/** A registered client as it may be shown: never its secret hash. (`imaging-bridge clients list` prints the same.) */
export interface ClientView {
  clientId: string;
  auth: ReturnType<typeof authMethodOf>;
  role: Role;
  scope: string;
  jwksUri?: string;
  keys?: number;
  redirectUris: string[];
  createdAt: string;
}

export function clientView(c: RegisteredClient): ClientView {
  return {
    clientId: c.clientId,
    auth: authMethodOf(c),
    role: c.role,
    scope: c.scope,
    jwksUri: c.jwksUri,
    keys: c.jwks?.keys.length,
    redirectUris: c.redirectUris,
    createdAt: c.createdAt,
  };
}

/** What the admin API accepts for a new client: credentials are a public key set, or a secret the server makes. */
export interface NewClientRequest {
  clientId: string;
  scope: string;
  role?: Role;
  jwks?: unknown;
  jwksUri?: string;
  /** The server generates the secret and returns it once (a secret is never chosen by the caller). */
  generateSecret?: boolean;
  redirectUris?: string[];
}

export interface NewUserRequest {
  username: string;
  password: string;
  role: string;
  fhirUser?: string;
  patient?: string;
}

/**
 * Users and OAuth clients managed over HTTP by administrators (the console's "Clients and users"
 * page): the same stores and the same validation as `imaging-bridge users|clients`, their
 * ConfigErrors turned into 400 (naming the field), duplicates into 409 and unknown names into 404.
 * The server's own clients (the console's) are re-registered at every start, so they cannot be removed here.
 */
export class AccessAdmin {
  constructor(
    private readonly users: UserStore,
    private readonly clients: ClientStore,
    private readonly builtInClients: ReadonlySet<string> = new Set(),
  ) {}

  listUsers(): Promise<User[]> {
    return this.users.list();
  }

  async addUser(input: NewUserRequest): Promise<User> {
    if (await this.users.get(input.username)) throw conflict(`user "${input.username}" already exists`, 'username');
    return validated(() => this.users.add(input));
  }

  async removeUser(username: string): Promise<void> {
    if (!(await this.users.remove(username))) throw notFound(`no user "${username}"`);
  }

  async listClients(): Promise<ClientView[]> {
    return (await this.clients.list()).map(clientView);
  }

  /** The registered client, and its secret when one was generated (shown this once; only its hash is kept). */
  async addClient(input: NewClientRequest): Promise<{ client: ClientView; secret?: string }> {
    if (await this.clients.get(input.clientId))
      throw conflict(`client "${input.clientId}" is already registered`, 'clientId');
    const secret = input.generateSecret ? randomBytes(32).toString('base64url') : undefined;
    const client = await validated(() =>
      this.clients.add({
        clientId: input.clientId,
        scope: input.scope,
        role: input.role,
        jwks: input.jwks,
        jwksUri: input.jwksUri,
        secret,
        redirectUris: input.redirectUris,
      }),
    );
    return { client: clientView(client), ...(secret ? { secret } : {}) };
  }

  async removeClient(clientId: string): Promise<void> {
    if (this.builtInClients.has(clientId))
      throw conflict(`client "${clientId}" belongs to the server itself and is registered again at every start`);
    if (!(await this.clients.remove(clientId))) throw notFound(`no client "${clientId}"`);
  }
}

/** The stores speak in command-line flags; the API in JSON members. */
const FIELD_OF_FLAG = new Map([
  ['--username', 'username'],
  ['--password-file', 'password'],
  ['--role', 'role'],
  ['--fhir-user', 'fhirUser'],
  ['--patient', 'patient'],
  ['--client-id', 'clientId'],
  ['--scope', 'scope'],
  ['--redirect-uri', 'redirectUris'],
  ['--jwks-url', 'jwksUri'],
  ['--jwks-file', 'jwks'],
  ['--secret-file', 'generateSecret'],
]);

/** Runs a store's add; its ConfigError becomes a 400 naming the JSON member at fault. */
async function validated<T>(add: () => Promise<T>): Promise<T> {
  try {
    return await add();
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    const text = e.message.replace(/--[a-z-]+/g, (flag) => FIELD_OF_FLAG.get(flag) ?? flag);
    const first = /--[a-z-]+/.exec(e.message)?.[0];
    const expression =
      (first && FIELD_OF_FLAG.get(first)) ??
      (/\bpassword\b/.test(e.message) ? 'password' : /\bJWKS\b/.test(e.message) ? 'jwks' : undefined);
    throw badRequest(text, expression);
  }
}
