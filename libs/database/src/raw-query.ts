/** What a repository needs to run SQL: the DataSource or a transaction's EntityManager. */
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
