import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { conflict, gone, notFound } from '../../core/errors.js';
import type {
  HistoryEntry,
  HistoryOptions,
  HistoryPage,
  HistoryScope,
  WriteOptions,
} from '../repository/repository.js';
import { sameContent } from '../repository/same-content.js';
import { checkId, checkVersion, withMeta } from '../repository/versioning.js';
import type { FhirResource } from '../types.js';
import type { PgIndexWriter } from './index-writer.js';

export type Queryable = Pick<pg.ClientBase, 'query'>;

interface CurrentRow {
  pk: number;
  version: number;
  deleted: boolean;
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
 * Resource versions in PostgreSQL. Writes take a connection inside the caller's transaction
 * (pg-repository.ts); the current row is locked (FOR UPDATE) before a new version is made, so
 * concurrent writers of one resource, from any instance, take turns.
 */
export class PgResourceStore {
  private readonly s: string;

  constructor(
    schema: string,
    private readonly index: PgIndexWriter,
    private readonly now: () => number,
  ) {
    this.s = `${schema}.`;
  }

  async create(db: Queryable, resource: FhirResource, keepId = false): Promise<FhirResource> {
    const id = keepId && resource.id ? checkId(resource.id) : randomUUID();
    const stored = await this.insert(db, resource, id);
    if (!stored) throw conflict(`${resource.resourceType}/${id} already exists`);
    return stored;
  }

  async read(db: Queryable, resourceType: string, id: string): Promise<FhirResource> {
    const { rows } = await db.query<{ deleted: boolean; json: string }>(
      `SELECT deleted, json FROM ${this.s}resources WHERE type = $1 AND id = $2`,
      [resourceType, id],
    );
    if (rows.length === 0) throw notFound(`${resourceType}/${id} is not known`);
    if (rows[0].deleted) throw gone(`${resourceType}/${id} was deleted`);
    return JSON.parse(rows[0].json) as FhirResource;
  }

  async vread(db: Queryable, resourceType: string, id: string, versionId: string): Promise<FhirResource> {
    const rows = /^\d{1,9}$/.test(versionId)
      ? (
          await db.query<{ json: string | null }>(
            `SELECT v.json FROM ${this.s}versions v JOIN ${this.s}resources r ON r.pk = v.resource_pk
             WHERE r.type = $1 AND r.id = $2 AND v.version = $3`,
            [resourceType, id, Number(versionId)],
          )
        ).rows
      : [];
    if (rows.length === 0) throw notFound(`${resourceType}/${id} has no version ${versionId}`);
    if (rows[0].json === null) throw gone(`${resourceType}/${id} version ${versionId} is a deletion`);
    return JSON.parse(rows[0].json) as FhirResource;
  }

  async update(
    db: Queryable,
    resource: FhirResource,
    options: WriteOptions = {},
  ): Promise<{ resource: FhirResource; created: boolean }> {
    const id = checkId(resource.id ?? '');
    // Twice at most: a create that lost a race to another writer of the same new id updates what it made.
    for (let attempt = 0; ; attempt++) {
      const row = await this.locked(db, resource.resourceType, id);
      checkVersion(currentVersion(row), options.ifMatch, `${resource.resourceType}/${id}`);
      if (!row) {
        const made = await this.insert(db, resource, id);
        if (made) return { resource: made, created: true };
        if (attempt > 0) throw conflict(`${resource.resourceType}/${id} is being written by another request`);
        continue;
      }
      if (!row.deleted) {
        const previous = JSON.parse(row.json) as FhirResource;
        // A write that changes nothing keeps the current version (no new history entry).
        if (sameContent(previous, resource)) return { resource: previous, created: false };
      }
      const stored = withMeta(resource, id, row.version + 1, this.now());
      await this.replace(db, row.pk, stored, options.method ?? 'PUT');
      return { resource: stored, created: row.deleted };
    }
  }

  async delete(db: Queryable, resourceType: string, id: string, options: WriteOptions = {}): Promise<void> {
    const row = await this.locked(db, resourceType, id);
    checkVersion(currentVersion(row), options.ifMatch, `${resourceType}/${id}`);
    if (!row || row.deleted) return;
    // The tombstone, its history entry and the deletion of its index rows: one statement.
    await db.query(
      `WITH u AS (UPDATE ${this.s}resources SET version = $2, last_updated = $3, deleted = true, json = '' WHERE pk = $1),
            v AS (INSERT INTO ${this.s}versions(resource_pk, version, type, id, last_updated, method, json)
                  VALUES ($1, $2, $4, $5, $3, 'DELETE', NULL))${steps(this.index.clearSteps('$1::bigint'))}
       SELECT 1`,
      [row.pk, row.version + 1, this.now(), resourceType, id],
    );
  }

  async history(db: Queryable, scope: HistoryScope, options: HistoryOptions): Promise<HistoryPage> {
    const where: string[] = [];
    const args: (string | number)[] = [];
    const test = (sql: string, value: string | number) => {
      args.push(value);
      where.push(`${sql} $${args.length}`);
    };
    if (scope.resourceType) test('type =', scope.resourceType);
    if (scope.id) test('id =', scope.id);
    if (options.since !== undefined) test('last_updated >=', Math.floor(options.since));
    const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const total = (await db.query<{ n: number }>(`SELECT count(*) AS n FROM ${this.s}versions ${clause}`, args)).rows[0]
      .n;
    if (scope.resourceType && scope.id && total === 0) throw notFound(`${scope.resourceType}/${scope.id} is not known`);
    const n = args.length;
    const { rows } = await db.query<VersionRow>(
      `SELECT type, id, version, last_updated, method, json FROM ${this.s}versions ${clause}
       ORDER BY last_updated DESC, version DESC LIMIT $${n + 1} OFFSET $${n + 2}`,
      [...args, options.count, options.offset],
    );
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

  /** Version 1 under `id`, or undefined when (type, id) is taken (also by a tombstone): one statement with its index rows. */
  private async insert(db: Queryable, resource: FhirResource, id: string): Promise<FhirResource | undefined> {
    const time = this.now();
    const stored = withMeta(resource, id, 1, time);
    const args: unknown[] = [resource.resourceType, id, time, JSON.stringify(stored)];
    const index = this.index.insertSteps(stored, args, { pk: 'r.pk', from: 'r' });
    const { rows } = await db.query<{ pk: number }>(
      `WITH r AS (INSERT INTO ${this.s}resources(type, id, version, last_updated, json) VALUES ($1, $2, 1, $3, $4)
                  ON CONFLICT (type, id) DO NOTHING RETURNING pk),
            v AS (INSERT INTO ${this.s}versions(resource_pk, version, type, id, last_updated, method, json)
                  SELECT pk, 1, $1, $2, $3, 'POST', $4 FROM r)${steps(index)}
       SELECT pk FROM r`,
      args,
    );
    return rows.length === 0 ? undefined : stored;
  }

  /**
   * Version 1 of each resource under the id it carries, all in one statement with their index
   * rows: per resource, the stored version, or undefined where (type, id) was taken (also by a
   * tombstone, or by an earlier one of the list) — nothing written for that one.
   */
  async createMany(db: Queryable, resources: readonly FhirResource[]): Promise<(FhirResource | undefined)[]> {
    const time = this.now();
    const taken = new Set<string>();
    const fresh: { at: number; stored: FhirResource }[] = [];
    resources.forEach((resource, at) => {
      const id = checkId(resource.id ?? '');
      const key = `${resource.resourceType}/${id}`;
      if (taken.has(key)) return;
      taken.add(key);
      fresh.push({ at, stored: withMeta(resource, id, 1, time) });
    });
    const out: (FhirResource | undefined)[] = resources.map(() => undefined);
    if (fresh.length === 0) return out;
    const stored = fresh.map((f) => f.stored);
    const args: unknown[] = [
      stored.map((r) => r.resourceType),
      stored.map((r) => r.id),
      stored.map((r) => JSON.stringify(r)),
      time,
    ];
    const index = this.index.insertStepsMany(stored, args, 'w');
    const { rows } = await db.query<{ n: string }>(
      `WITH k AS MATERIALIZED (SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS k(type, id, json, n)),
            r AS (INSERT INTO ${this.s}resources(type, id, version, last_updated, json)
                  SELECT type, id, 1, $4::bigint, json FROM k ORDER BY n ON CONFLICT (type, id) DO NOTHING RETURNING pk, type, id),
            w AS MATERIALIZED (SELECT r.pk, k.n, k.type, k.id, k.json FROM r JOIN k ON k.type = r.type AND k.id = r.id),
            v AS (INSERT INTO ${this.s}versions(resource_pk, version, type, id, last_updated, method, json)
                  SELECT pk, 1, type, id, $4::bigint, 'POST', json FROM w)${steps(index)}
       SELECT n FROM w`,
      args,
    );
    for (const { n } of rows) {
      const f = fresh[Number(n) - 1]!;
      out[f.at] = f.stored;
    }
    return out;
  }

  /** The new current version, its history entry and its index rows (the old ones deleted): one statement. */
  private async replace(db: Queryable, pk: number, stored: FhirResource, method: HistoryEntry['method']) {
    const args: unknown[] = [
      pk,
      Number(stored.meta!.versionId),
      Date.parse(stored.meta!.lastUpdated!),
      JSON.stringify(stored),
      stored.resourceType,
      stored.id,
      method,
    ];
    const index = [
      ...this.index.clearSteps('$1::bigint'),
      ...this.index.insertSteps(stored, args, { pk: '$1::bigint' }),
    ];
    await db.query(
      `WITH u AS (UPDATE ${this.s}resources SET version = $2, last_updated = $3, deleted = false, json = $4 WHERE pk = $1),
            v AS (INSERT INTO ${this.s}versions(resource_pk, version, type, id, last_updated, method, json)
                  VALUES ($1, $2, $5, $6, $3, $7, $4))${steps(index)}
       SELECT 1`,
      args,
    );
  }

  private async locked(db: Queryable, resourceType: string, id: string): Promise<CurrentRow | undefined> {
    const { rows } = await db.query<CurrentRow>(
      `SELECT pk, version, deleted, json FROM ${this.s}resources WHERE type = $1 AND id = $2 FOR UPDATE`,
      [resourceType, id],
    );
    return rows[0];
  }
}

/** Further WITH items after others: `, i0 AS (…), i1 AS (…)`. */
const steps = (sql: string[]): string => sql.map((step, i) => `,\n            i${i} AS (${step})`).join('');

const currentVersion = (row: CurrentRow | undefined) => (row && !row.deleted ? String(row.version) : undefined);
