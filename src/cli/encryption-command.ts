import { rotateDataDir } from '../archive/rotate-encryption.js';
import { keyProviderOf, readMarker } from '../core/encryption/at-rest.js';
import { ObjectCipher, SealedObjectError } from '../core/encryption/chunked-cipher.js';
import { Keyring, keyIdText } from '../core/encryption/keys.js';
import { ConfigError } from '../core/errors.js';
import { parseCommandLine } from './options.js';

const USAGE = `imaging-bridge encryption rotate --data-dir DIR (--encryption-key-file F | IMAGING_BRIDGE_ENCRYPTION_KEY=…)

Brings every database and stored object of DIR under the primary (first) key of F, opening
them with any key F lists (older keys after a rotation) — or encrypts DIR when it was created
without encryption. Stop the server first. Safe to run again after an interruption.
See docs/security.md, "Encryption at rest".`;

export async function runEncryption(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  if (args.includes('--help') || args.length === 0) {
    console.log(USAGE);
    return args.length === 0 ? 2 : 0;
  }
  const { config, positionals } = parseCommandLine(args, env);
  if (positionals[0] !== 'rotate')
    throw new ConfigError(`unknown encryption action "${positionals[0] ?? ''}"\n\n${USAGE}`);
  const provider = keyProviderOf(config);
  if (!provider)
    throw new ConfigError(
      'encryption rotate needs the keys: --encryption-key-file F (primary key first) or IMAGING_BRIDGE_ENCRYPTION_KEY',
    );
  const keyring = new Keyring(provider.keys());
  const marker = readMarker(config.dataDir);
  if (marker) {
    // Refuse keys that cannot open the directory before changing anything.
    try {
      new ObjectCipher(keyring).open(Buffer.from(marker.check, 'base64'));
    } catch (e) {
      if (!(e instanceof SealedObjectError)) throw e;
      throw new ConfigError(
        `${config.dataDir} is under key id ${ObjectCipher.keyIdOfHeader(Buffer.from(marker.check, 'base64')) ?? '?'}, which ${provider.description} does not list: add it after the new primary key`,
      );
    }
  }
  const report = await rotateDataDir(config.dataDir, keyring, !marker, (line) =>
    console.error(`encryption rotate: ${line}`),
  );
  console.log(
    `${config.dataDir} is now under key id ${keyIdText(keyring.primary.id)}: ${report.databases.length} databases rekeyed, ` +
      `${report.files} object files and ${report.packObjects} pack objects sealed again. Older keys can be removed from ${provider.description}.`,
  );
  return 0;
}
