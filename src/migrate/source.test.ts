import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openSource } from './source.js';

describe('openSource', () => {
  const dirs: string[] = [];
  const dataDir = (meta: [string, string][] = []) => {
    const dir = mkdtempSync(join(tmpdir(), 'ib-migrate-source-'));
    dirs.push(dir);
    const db = new Database(join(dir, 'index.sqlite'));
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
    for (const [k, v] of meta) db.prepare('INSERT INTO meta VALUES (?, ?)').run(k, v);
    db.close();
    return dir;
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('refuses a folder that is not a data directory', () => {
    expect(() => openSource(mkdtempSync(join(tmpdir(), 'ib-migrate-empty-')))).toThrow(/index\.sqlite is missing/);
  });

  it('refuses a data directory another process has open, and locks out others while it reads', () => {
    const dir = dataDir();
    const server = new Database(join(dir, 'index.sqlite'));
    server.prepare('SELECT count(*) FROM meta').get();
    expect(() => openSource(dir)).toThrow(/in use by another process/);
    server.close();
    const source = openSource(dir);
    try {
      expect(() => new Database(join(dir, 'index.sqlite'), { timeout: 0 }).prepare('SELECT * FROM meta').all()).toThrow(
        /locked/,
      );
    } finally {
      source.close();
    }
  });

  it('refuses a server that did not stop cleanly, and an encrypted data directory', () => {
    expect(() => openSource(dataDir([['running_since', '1']]))).toThrow(/did not stop cleanly/);
    const encrypted = dataDir();
    writeFileSync(join(encrypted, 'encryption.json'), '{}');
    expect(() => openSource(encrypted)).toThrow(/encrypted at rest/);
  });
});
