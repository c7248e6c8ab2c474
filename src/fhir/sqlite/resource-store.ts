import type Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { conflict, gone, notFound } from '../../core/errors.js';
import type {
  HistoryEntry,
  HistoryOptions,
  HistoryPage,
  HistoryScope,
  WriteOptions,
} from '../repository/repository.js';
import { checkId, checkVersion, withMeta } from '../repository/versioning.js';
import { sameContent } from '../repository/same-content.js';
import type { FhirResource } from '../types.js';
import type { IndexWriter } from './index-writer.js';

interface CurrentRow {
  pk: number;
  version: number;
  deleted: number;
  json: string;
}

interface VersionRow {
  type: string;
  id: string;
  version: number;
  last_updated: number;
  method: HistoryEntry['method'];
  json: string | null;
}

/**
 * Resource versions in SQLite, synchronous: the caller (sqlite-repository.ts) decides what runs
 * in one transaction. Every write appends a version and rewrites the resource's index rows.
 */
export class SqliteResourceStore {
  private readonly stmts;

  constructor(
    private readonly db: Database.Database,
    private readonly index: IndexWriter,
    private readonly now: () => number,
  ) {
    this.stmts = {
      current: db.prepare('SELECT pk, version, deleted, json FROM resources WHERE type = ? AND id = ?'),
      insert: db.prepare(
        'INSERT INTO resources(type, id, version, last_updated, deleted, json) VALUES (?, ?, ?, ?, 0, ?)',
      ),
      replace: db.prepare('UPDATE resources SET version = ?, last_updated = ?, deleted = ?, json = ? WHERE pk = ?'),
      addVersion: db.prepare(
        'INSERT INTO versions(resource_pk, version, type, id, last_updated, method, json) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      version: db.prepare(
        'SELECT v.json FROM versions v JOIN resources r ON r.pk = v.resource_pk WHERE r.type = ? AND r.id = ? AND v.version = ?',
      ),
    };
  }

  create(resource: FhirResource, keepId = false): FhirResource {
    const id = keepId && resource.id ? checkId(resource.id) : randomUUID();
    if (keepId && this.current(resource.resourceType, id))
      throw conflict(`${resource.resourceType}/${id} already exists`);
    const time = this.now();
    const stored = withMeta(resource, id, 1, time);
    const json = JSON.stringify(stored);
    const pk = Number(this.stmts.insert.run(resource.resourceType, id, 1, time, json).lastInsertRowid);
    this.record(pk, stored, 'POST', json);
    this.index.write(pk, stored, false);
    return stored;
  }

  /** Each under the id it carries, one after the other (the caller's transaction): undefined where the id was taken. */
  createMany(resources: readonly FhirResource[]): (FhirResource | undefined)[] {
    return resources.map((r) => {
      checkId(r.id ?? '');
      return this.current(r.resourceType, r.id!) ? undefined : this.create(r, true);
    });
  }

  read(resourceType: string, id: string): FhirResource {
    const row = this.current(resourceType, id);
    if (!row) throw notFound(`${resourceType}/${id} is not known`);
    if (row.deleted) throw gone(`${resourceType}/${id} was deleted`);
    return JSON.parse(row.json) as FhirResource;
  }

  vread(resourceType: string, id: string, versionId: string): FhirResource {
    const row = /^\d+$/.test(versionId)
      ? (this.stmts.version.get(resourceType, id, Number(versionId)) as { json: string | null } | undefined)
      : undefined;
    if (!row) throw notFound(`${resourceType}/${id} has no version ${versionId}`);
    if (row.json === null) throw gone(`${resourceType}/${id} version ${versionId} is a deletion`);
    return JSON.parse(row.json) as FhirResource;
  }

  update(resource: FhirResource, options: WriteOptions = {}): { resource: FhirResource; created: boolean } {
    const id = checkId(resource.id ?? '');
    const row = this.current(resource.resourceType, id);
    checkVersion(currentVersion(row), options.ifMatch, `${resource.resourceType}/${id}`);
    if (!row) return { resource: this.create({ ...resource, id }, true), created: true };
    if (!row.deleted) {
      const previous = JSON.parse(row.json) as FhirResource;
      // A write that changes nothing keeps the current version (no new history entry).
      if (sameContent(previous, resource)) return { resource: previous, created: false };
    }
    const version = row.version + 1;
    const stored = withMeta(resource, id, version, this.now());
    const json = JSON.stringify(stored);
    this.stmts.replace.run(version, Date.parse(stored.meta!.lastUpdated!), 0, json, row.pk);
    this.record(row.pk, stored, options.method ?? 'PUT', json);
    this.index.write(row.pk, stored, true);
    return { resource: stored, created: row.deleted === 1 };
  }

  delete(resourceType: string, id: string, options: WriteOptions = {}): void {
    const row = this.current(resourceType, id);
    checkVersion(currentVersion(row), options.ifMatch, `${resourceType}/${id}`);
    if (!row || row.deleted) return;
    const time = this.now();
    this.stmts.replace.run(row.version + 1, time, 1, '', row.pk);
    this.stmts.addVersion.run(row.pk, row.version + 1, resourceType, id, time, 'DELETE', null);
    this.index.clear(row.pk);
  }

  history(scope: HistoryScope, options: HistoryOptions): HistoryPage {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (scope.resourceType) {
      where.push('type = ?');
      args.push(scope.resourceType);
    }
    if (scope.id) {
      where.push('id = ?');
      args.push(scope.id);
    }
    if (options.since !== undefined) {
      where.push('last_updated >= ?');
      args.push(options.since);
    }
    const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const total = (this.db.prepare(`SELECT count(*) AS n FROM versions ${clause}`).get(...args) as { n: number }).n;
    if (scope.resourceType && scope.id && total === 0) throw notFound(`${scope.resourceType}/${scope.id} is not known`);
    const rows = this.db
      .prepare(
        `SELECT type, id, version, last_updated, method, json FROM versions ${clause} ORDER BY last_updated DESC, version DESC LIMIT ? OFFSET ?`,
      )
      .all(...args, options.count, options.offset) as VersionRow[];
    const entries = rows.map((r) => ({
      resourceType: r.type,
      id: r.id,
      versionId: String(r.version),
      lastUpdated: new Date(r.last_updated).toISOString(),
      method: r.method,
      resource: r.json === null ? undefined : (JSON.parse(r.json) as FhirResource),
    }));
    return { entries, total };
  }

  private current(resourceType: string, id: string): CurrentRow | undefined {
    return this.stmts.current.get(resourceType, id) as CurrentRow | undefined;
  }

  /** The version row; `json` is the stored resource's text, serialised once for both rows. */
  private record(pk: number, stored: FhirResource, method: HistoryEntry['method'], json: string): void {
    const version = Number(stored.meta!.versionId);
    const time = Date.parse(stored.meta!.lastUpdated!);
    this.stmts.addVersion.run(pk, version, stored.resourceType, stored.id, time, method, json);
  }
}

const currentVersion = (row: CurrentRow | undefined) => (row && !row.deleted ? String(row.version) : undefined);
