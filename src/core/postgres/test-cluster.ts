import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/**
 * PostgreSQL for the test suites: the server at PG_TEST_URL, or else a throwaway cluster in a
 * temporary folder started from the Debian binaries (/usr/lib/postgresql/<version>/bin), or
 * nothing — then `reason` says why, for the skipped suites' names. See .ci/pg-setup.md.
 */
export type TestPostgres =
  | {
      url: () => Promise<string>;
      stop: () => Promise<void>;
      /**
       * Stops the server (fast shutdown: sessions end) and starts it again on the same data, for
       * fault tests; `down` runs while it is stopped. Undefined for the server at PG_TEST_URL,
       * which is not ours to restart.
       */
      restart?: (down?: () => Promise<void>) => Promise<void>;
    }
  | { reason: string };

const BIN_ROOT = '/usr/lib/postgresql';

/** Decided synchronously (a suite is skipped or not when it is declared); started on first use. */
export function testPostgres(env: NodeJS.ProcessEnv = process.env, binRoot = BIN_ROOT): TestPostgres {
  const given = env.PG_TEST_URL;
  if (given) return { url: async () => given, stop: async () => undefined };
  const bin = binaries(binRoot);
  if (!bin) return { reason: `no PostgreSQL: PG_TEST_URL unset and no ${binRoot}/<version>/bin/initdb` };
  const runAs = isRoot() ? unprivilegedUser() : undefined;
  if (isRoot() && !runAs) return { reason: 'no PostgreSQL: running as root and no "postgres" or "nobody" user' };
  let started: Promise<Cluster> | undefined;
  return {
    url: async () => (await (started ??= startCluster(bin, runAs))).url,
    stop: async () => {
      if (started) await (await started).stop();
      started = undefined;
    },
    restart: async (down) => {
      if (!started) throw new Error('testPostgres: restart() before url()');
      await (await started).restart(down);
    },
  };
}

interface Cluster {
  url: string;
  stop(): Promise<void>;
  restart(down?: () => Promise<void>): Promise<void>;
}

/** The newest installed version's bin folder. */
function binaries(root: string): string | undefined {
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => /^\d+$/.test(v) && existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length ? join(root, versions[0], 'bin') : undefined;
}

const isRoot = () => process.getuid?.() === 0;

/** initdb and postgres refuse to run as root: the Debian package's `postgres` user, else `nobody`. */
function unprivilegedUser(): { name: string; uid: number; gid: number } | undefined {
  for (const name of ['postgres', 'nobody']) {
    const uid = spawnSync('id', ['-u', name], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', name], { encoding: 'utf8' });
    if (uid.status === 0 && gid.status === 0) return { name, uid: Number(uid.stdout), gid: Number(gid.stdout) };
  }
  return undefined;
}

async function startCluster(
  bin: string,
  runAs: { name: string; uid: number; gid: number } | undefined,
): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), 'ib-pg-'));
  if (runAs) chownSync(dir, runAs.uid, runAs.gid);
  // setpriv (util-linux) drops to the user and execs the program: the child we signal is postgres itself.
  const command = (program: string, args: string[]): [string, string[]] =>
    runAs
      ? ['setpriv', [`--reuid=${runAs.uid}`, `--regid=${runAs.gid}`, '--clear-groups', join(bin, program), ...args]]
      : [join(bin, program), args];
  const [initCmd, initArgs] = command('initdb', ['-D', join(dir, 'data'), '-A', 'trust', '-U', 'postgres']);
  const init = spawnSync(initCmd, [...initArgs, '-E', 'UTF8', '--no-locale', '--no-sync'], {
    cwd: dir,
    encoding: 'utf8',
  });
  if (init.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed (${init.status}): ${init.stderr}`);
  }
  // Unix socket in the temporary folder only (no TCP port to collide with); durability is not tested against this cluster.
  const [cmd, args] = command('postgres', [
    '-D',
    join(dir, 'data'),
    '-k',
    dir,
    '-c',
    'listen_addresses=',
    '-c',
    'fsync=off',
    '-c',
    'full_page_writes=off',
  ]);
  const log = openSync(join(dir, 'server.log'), 'a');
  const launch = () => spawn(cmd, args, { cwd: dir, stdio: ['ignore', log, log] });
  let server = launch();
  const kill = () => server.kill('SIGKILL');
  process.once('exit', kill);
  const url = `postgresql://postgres@localhost:5432/postgres?host=${encodeURIComponent(dir)}`;
  try {
    await ready(url, server, dir);
  } catch (e) {
    kill();
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    url,
    stop: async () => {
      process.off('exit', kill);
      // SIGINT: fast shutdown (ends sessions, no wait for clients).
      await stopped(server, 'SIGINT');
      rmSync(dir, { recursive: true, force: true });
    },
    restart: async (down) => {
      await stopped(server, 'SIGINT');
      await down?.();
      server = launch();
      await ready(url, server, dir);
    },
  };
}

async function ready(url: string, server: ChildProcess, dir: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (server.exitCode !== null)
      throw new Error(
        `postgres exited (${server.exitCode}): ${readFileSync(join(dir, 'server.log'), 'utf8').slice(-2000)}`,
      );
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      await client.end();
      return;
    } catch (e) {
      await client.end().catch(() => undefined);
      if (Date.now() > deadline) throw new Error(`postgres did not accept connections in 30 s: ${e}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

function stopped(server: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (server.exitCode !== null || server.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => server.kill('SIGKILL'), 10_000);
    server.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    server.kill(signal);
  });
}
