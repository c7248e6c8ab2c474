import { chmodSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError } from './errors.js';

/**
 * The data directory holds PHI (instances, FHIR resources, audit records) and credentials
 * (client secret hashes, signing keys): only its owner may enter it. Everything here is small
 * and synchronous so that every store can call it where it creates its files:
 * - `privateUmask()` at the start of `serve` and `import` (and every command that writes the data
 *   dir): whatever the process creates is 0600 / 0700 from the start;
 * - `openDataDir(dir)` creates the directory 0700, or refuses one that group or others may read,
 *   write or enter, or that another user owns;
 * - `privateDir` / `privateFile` / `privateSqlite` make what a store creates private explicitly,
 *   whatever the umask (a library caller, an existing installation).
 */
export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** Files and directories created from now on are private to the owner. */
export function privateUmask(): void {
  process.umask(0o077);
}

/** Creates the data directory (0700) or checks the existing one; ConfigError when others could reach it. */
export function openDataDir(dir: string): void {
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
    chmodSync(dir, PRIVATE_DIR_MODE);
    return;
  }
  const st = statSync(dir);
  if (!st.isDirectory()) throw new ConfigError(`--data-dir ${dir} is not a directory`);
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) {
    throw new ConfigError(
      `--data-dir ${resolve(dir)} belongs to another user (uid ${st.uid}, we run as ${uid}): it holds patient data and credentials, so it must be ours alone. Run as its owner, or give this user a directory of its own.`,
    );
  }
  if ((st.mode & 0o077) !== 0) {
    const mode = (st.mode & 0o777).toString(8).padStart(4, '0');
    throw new ConfigError(
      `--data-dir ${resolve(dir)} is open to other users (mode ${mode}): it holds patient data and credentials. Refusing to start. Make it private with: chmod -R go-rwx ${resolve(dir)}`,
    );
  }
}

/** A directory inside the data directory: created 0700, made 0700 if it exists. */
export function privateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  chmodSync(dir, PRIVATE_DIR_MODE);
}

/** A file we created (or keep): 0600. Missing files are left alone. */
export function privateFile(file: string): void {
  try {
    chmodSync(file, PRIVATE_FILE_MODE);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}

/**
 * A SQLite database and its companions, once opened: 0600. SQLite gives the -wal and -shm files
 * it creates later the main file's mode, so they follow.
 */
export function privateSqlite(path: string): void {
  for (const suffix of ['', '-wal', '-shm', '-journal']) privateFile(path + suffix);
}
