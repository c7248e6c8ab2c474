import { readFileSync } from 'node:fs';
import { ConfigError } from '../core/errors.js';
import { openAtRestOf } from '../core/encryption/at-rest.js';
import { openSecurityStore } from '../security/oauth/open-security-store.js';
import { USER_ROLES, UserStore } from '../security/oauth/user-store.js';
import { auditConfigChange } from './audit-config-change.js';
import { parseCommandLine } from './options.js';

const USAGE = `imaging-bridge users add --username U --password-file F --role ROLE [--fhir-user Practitioner/1] [--patient ID]
imaging-bridge users list [--json]
imaging-bridge users remove --username U

People who sign in to the authorization server (authorization code + PKCE). Roles: ${USER_ROLES.join(', ')}.
Passwords are read from a file (never from the command line) and stored as scrypt hashes.
--patient binds the user to one patient: the patient context of launch/patient.
Options: --data-dir DIR (and the other serve options).`;

/** Local user accounts in <data-dir>/security.sqlite (for a hospital directory, use security.externalIssuers). */
export async function runUsers(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  if (args.includes('--help') || args.length === 0) {
    console.log(USAGE);
    return args.length === 0 ? 2 : 0;
  }
  const { config, values, positionals } = parseCommandLine(args, env, {
    username: { type: 'string' },
    'password-file': { type: 'string' },
    role: { type: 'string' },
    'fhir-user': { type: 'string' },
    patient: { type: 'string' },
    json: { type: 'boolean' },
  });
  const db = await openSecurityStore(config.database, config.dataDir, openAtRestOf(config).sqlite);
  try {
    const store = new UserStore(db);
    const username = values.username as string | undefined;
    switch (positionals[0]) {
      case 'add': {
        if (!username || values['password-file'] === undefined || values.role === undefined)
          throw new ConfigError('users add needs --username, --password-file and --role');
        const password = readFileSync(values['password-file'] as string, 'utf8').replace(/\r?\n$/, '');
        const user = await store.add({
          username,
          password,
          role: values.role as string,
          fhirUser: values['fhir-user'] as string | undefined,
          patient: values.patient as string | undefined,
        });
        await auditConfigChange(config, 'user-added', user.username);
        console.log(
          `user ${user.username} added (${user.role}${user.fhirUser ? `, ${user.fhirUser}` : ''}${user.patient ? `, patient ${user.patient}` : ''})`,
        );
        return 0;
      }
      case 'list': {
        const users = await store.list();
        if (values.json) console.log(JSON.stringify(users, null, 2));
        else if (users.length === 0) console.log('no users');
        else for (const u of users) console.log(`${u.username}\t${u.role}\t${u.fhirUser ?? ''}\t${u.patient ?? ''}`);
        return 0;
      }
      case 'remove': {
        if (!username) throw new ConfigError('users remove needs --username');
        if (!(await store.remove(username))) {
          console.error(`no user "${username}"`);
          return 1;
        }
        await auditConfigChange(config, 'user-removed', username);
        console.log(`user ${username} removed`);
        return 0;
      }
      default:
        throw new ConfigError(`unknown users action "${positionals[0]}"\n\n${USAGE}`);
    }
  } finally {
    await db.close();
  }
}
