import { readFileSync } from 'node:fs';
import { ConfigError } from '../core/errors.js';
import { openAtRestOf } from '../core/encryption/at-rest.js';
import type { Role } from '../auth/principal.js';
import { clientView } from '../security/oauth/access-admin.js';
import { authMethodOf, ClientStore } from '../security/oauth/client-store.js';
import { openSecurityStore } from '../security/oauth/open-security-store.js';
import { auditConfigChange } from './audit-config-change.js';
import { parseCommandLine } from './options.js';

const USAGE = `imaging-bridge clients add --client-id ID --scope "SCOPES" (--jwks-file FILE | --jwks-url URL | --secret-file F|-)
                          [--role ROLE] [--redirect-uri URL]...      register an OAuth client (takes effect at once)
imaging-bridge clients list [--json]                              registered clients (no secrets)
imaging-bridge clients remove --client-id ID                      unregister; its tokens expire within the token lifetime

Backend services (SMART): --jwks-file/--jwks-url (private_key_jwt, RS384/ES384), role ai-service by default.
Symmetric clients: --secret-file F, or --secret-file - to read it from standard input (client_secret_basic;
stored as a scrypt hash). A secret is never taken from the command line (other users see it in ps).
Apps used by people: --redirect-uri (authorization code + PKCE), with or without a secret.
Options: --data-dir DIR (and the other serve options, e.g. --config FILE).`;

/** OAuth client registration in <data-dir>/security.sqlite, read by the running server on every request. */
export async function runClients(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  if (args.includes('--help') || args.length === 0) {
    console.log(USAGE);
    return args.length === 0 ? 2 : 0;
  }
  const { config, values, positionals } = parseCommandLine(args, env, {
    'client-id': { type: 'string' },
    scope: { type: 'string' },
    'jwks-file': { type: 'string' },
    'jwks-url': { type: 'string' },
    secret: { type: 'string' },
    'secret-file': { type: 'string' },
    role: { type: 'string' },
    'redirect-uri': { type: 'string', multiple: true },
    json: { type: 'boolean' },
  });
  const db = await openSecurityStore(config.database, config.dataDir, openAtRestOf(config).sqlite);
  try {
    const store = new ClientStore(db);
    const clientId = values['client-id'] as string | undefined;
    switch (positionals[0]) {
      case 'add': {
        if (values.secret !== undefined) throw new ConfigError(SECRET_ON_COMMAND_LINE);
        if (!clientId) throw new ConfigError('clients add needs --client-id');
        const client = await store.add({
          clientId,
          scope: (values.scope as string | undefined) ?? '',
          role: values.role as Role | undefined,
          jwks: values['jwks-file'] === undefined ? undefined : readJson(values['jwks-file'] as string),
          jwksUri: values['jwks-url'] as string | undefined,
          secret: values['secret-file'] === undefined ? undefined : readSecret(values['secret-file'] as string),
          redirectUris: values['redirect-uri'] as string[] | undefined,
        });
        await auditConfigChange(config, 'client-registered', client.clientId);
        console.log(
          `client ${client.clientId} registered (${authMethodOf(client)}, role ${client.role}): ${client.scope}`,
        );
        return 0;
      }
      case 'list': {
        const clients = (await store.list()).map(clientView);
        if (values.json) console.log(JSON.stringify(clients, null, 2));
        else if (clients.length === 0) console.log('no clients registered');
        else for (const c of clients) console.log(`${c.clientId}\t${c.auth}\t${c.role}\t${c.scope}`);
        return 0;
      }
      case 'remove': {
        if (!clientId) throw new ConfigError('clients remove needs --client-id');
        if (!(await store.remove(clientId))) {
          console.error(`no client "${clientId}"`);
          return 1;
        }
        await auditConfigChange(config, 'client-removed', clientId);
        console.log(`client ${clientId} removed`);
        return 0;
      }
      default:
        throw new ConfigError(`unknown clients action "${positionals[0]}"\n\n${USAGE}`);
    }
  } finally {
    await db.close();
  }
}

const SECRET_ON_COMMAND_LINE =
  '--secret is refused: a secret on the command line is visible to every user of the machine (ps, /proc) and kept in shell history. Use --secret-file FILE, or --secret-file - to read it from standard input.';

/** The client secret from a file, or from standard input for `-` (one line; surrounding white space dropped). */
function readSecret(file: string): string {
  try {
    return readFileSync(file === '-' ? 0 : file, 'utf8').trim();
  } catch (e) {
    throw new ConfigError(`--secret-file ${file}: ${(e as Error).message}`);
  }
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ConfigError(`--jwks-file ${file}: ${(e as Error).message}`);
  }
}
