import type { Pool, QueryResultRow } from 'pg';
import type { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';

/**
 * THE transaction handle: what a repository needs to run SQL, the DataSource or the `tx` of
 * `dataSource.transaction(async (tx) => ...)`. The one convention, in every app: a method that
 * can run in a caller's transaction takes it as its FIRST parameter, required (`insert(db, row)`),
 * so every call says where it runs; an optional trailing handle let a forgotten argument run
 * silently outside the transaction. Methods that never join one use their own DataSource.
 */
export interface Db {
  query(sql: string, params?: unknown[]): Promise<any>;
}

/**
 * Rows of a raw statement. TypeORM's `query()` answers `[rows, affectedCount]` for a bare
 * UPDATE/DELETE (RETURNING included) and `rows` for everything else; this folds both shapes,
 * so a repository never has to remember which one a statement gets.
 */
export async function rows<T>(db: Db, sql: string, params: unknown[] = []): Promise<T[]> {
  const out = await db.query(sql, params);
  return (Array.isArray(out) && out.length === 2 && Array.isArray(out[0]) && typeof out[1] === 'number' ? out[0] : out) as T[];
}

export async function one<T>(db: Db, sql: string, params: unknown[] = []): Promise<T | null> {
  return (await rows<T>(db, sql, params))[0] ?? null;
}

/**
 * Rows of a named (prepared) statement, straight on the pg pool under the DataSource: Postgres
 * plans it once per connection, and TypeORM's per-call query runner is skipped. For the few hot
 * statements whose planning costs as much as their execution; the SQL must not vary.
 */
export async function preparedRows<T>(dataSource: DataSource, name: string, sql: string, params: unknown[]): Promise<T[]> {
  const pool = (dataSource.driver as PostgresDriver).master as Pool;
  return (await pool.query<T & QueryResultRow>({ name, text: sql, values: params })).rows;
}

/** Rows an UPDATE or DELETE without RETURNING changed (TypeORM answers those `[rows, count]`). */
export async function affected(db: Db, sql: string, params: unknown[] = []): Promise<number> {
  const out = await db.query(sql, params);
  return Array.isArray(out) && typeof out[1] === 'number' ? out[1] : 0;
}

/** A liveness probe: the cheapest statement that makes Postgres answer. */
export async function ping(db: Db): Promise<void> {
  await db.query('SELECT 1');
}
