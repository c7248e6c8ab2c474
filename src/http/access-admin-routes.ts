import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Role } from '../auth/principal.js';
import { badRequest } from '../core/errors.js';
import type { AccessAdmin, NewClientRequest, NewUserRequest } from '../security/oauth/index.js';
import { FHIR_ERRORS } from './errors.js';
import { ADMIN_ROLES, access, noteAccess } from './security/route-access.js';

const ADMIN = { config: { ...access({ kind: 'roles', roles: ADMIN_ROLES }).config, ...FHIR_ERRORS } };

/**
 * Users and OAuth clients for administrators (docs/console.md): the same rules as
 * `imaging-bridge users|clients`. Passwords and secret hashes are never returned; a generated
 * client secret is returned once, in the answer to its creation. Each change is audited as a
 * configuration change (client-registered, user-removed …), like the CLI's.
 */
export function registerAccessAdminRoutes(app: FastifyInstance, admin: AccessAdmin): void {
  app.get('/api/admin/users', ADMIN, async () => ({ users: await admin.listUsers() }));

  app.post('/api/admin/users', ADMIN, async (req, reply) => {
    const body = objectBody(req);
    const input: NewUserRequest = {
      username: text(body, 'username', true)!,
      password: text(body, 'password', true)!,
      role: text(body, 'role', true)!,
      fhirUser: text(body, 'fhirUser'),
      patient: text(body, 'patient'),
    };
    noteAccess(req, { event: 'config', details: { what: 'user-added', target: input.username } });
    return reply.code(201).send(await admin.addUser(input));
  });

  app.delete<{ Params: { username: string } }>('/api/admin/users/:username', ADMIN, async (req, reply) => {
    noteAccess(req, { event: 'config', details: { what: 'user-removed', target: req.params.username } });
    await admin.removeUser(req.params.username);
    return reply.code(204).send();
  });

  app.get('/api/admin/clients', ADMIN, async () => ({ clients: await admin.listClients() }));

  app.post('/api/admin/clients', ADMIN, async (req, reply) => {
    const body = objectBody(req);
    if (Object.hasOwn(body, 'secret'))
      throw badRequest('a client secret is never chosen by the caller: set generateSecret to true', 'secret');
    const generate = body.generateSecret;
    if (generate !== undefined && typeof generate !== 'boolean')
      throw badRequest('generateSecret must be true or false', 'generateSecret');
    const input: NewClientRequest = {
      clientId: text(body, 'clientId', true)!,
      scope: text(body, 'scope', true)!,
      role: text(body, 'role') as Role | undefined,
      jwks: body.jwks,
      jwksUri: text(body, 'jwksUri'),
      generateSecret: generate === true,
      redirectUris: texts(body, 'redirectUris'),
    };
    noteAccess(req, { event: 'config', details: { what: 'client-registered', target: input.clientId } });
    // The one answer that holds the secret: never cached.
    return reply
      .code(201)
      .header('cache-control', 'no-store')
      .send(await admin.addClient(input));
  });

  app.delete<{ Params: { clientId: string } }>('/api/admin/clients/:clientId', ADMIN, async (req, reply) => {
    noteAccess(req, { event: 'config', details: { what: 'client-removed', target: req.params.clientId } });
    await admin.removeClient(req.params.clientId);
    return reply.code(204).send();
  });
}

type Body = Record<string, unknown>;

function objectBody(req: FastifyRequest): Body {
  const body = req.body;
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw badRequest('the body must be a JSON object (Content-Type: application/json)');
  return body as Body;
}

function text(body: Body, name: string, required = false): string | undefined {
  const value = Object.hasOwn(body, name) ? body[name] : undefined;
  if (value === undefined || value === null) {
    if (required) throw badRequest(`${name} is required`, name);
    return undefined;
  }
  if (typeof value !== 'string') throw badRequest(`${name} must be a string`, name);
  return value;
}

function texts(body: Body, name: string): string[] | undefined {
  const value = Object.hasOwn(body, name) ? body[name] : undefined;
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string'))
    throw badRequest(`${name} must be an array of strings`, name);
  return value as string[];
}
