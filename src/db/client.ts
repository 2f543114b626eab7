// The drizzle client over D1, and the tenant scope every creator-owned query goes through.
import { and, eq, type SQL } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import * as schema from "./schema";

export type Db = ReturnType<typeof makeDb>;

function makeDb(d1: D1Database) {
  return drizzle(d1, { schema });
}

const clients = new WeakMap<D1Database, Db>();

export function getDb(d1: D1Database): Db {
  let db = clients.get(d1);
  if (!db) {
    db = makeDb(d1);
    clients.set(d1, db);
  }
  return db;
}

/**
 * The tenant scope. Its creator id comes from the verified token (c.var.creatorId), never from a
 * request body; `where` prepends `creator_id = ?` to every condition so a query cannot forget it.
 */
export interface TenantScope {
  readonly creatorId: string;
  readonly db: Db;
  where<T extends { creatorId: SQLiteColumn }>(table: T, ...conditions: (SQL | undefined)[]): SQL;
}

export function tenant(d1: D1Database, creatorId: string): TenantScope {
  if (!creatorId) throw new Error("tenant scope needs a creator id");
  const db = getDb(d1);
  return {
    creatorId,
    db,
    where(table, ...conditions) {
      return and(eq(table.creatorId, creatorId), ...conditions)!;
    },
  };
}
