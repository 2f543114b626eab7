// What each module owns per creator: GDPR export reads it, GDPR deletion erases it.
// A module registers its tables here (in src/db/owned-tables.ts) so later modules extend both.

export interface OwnedTable {
  /** SQL table name; a constant, never user input. */
  table: string;
  /** Column holding the owning creator id. */
  column: string;
  /** Columns never exported (password hashes, token hashes, ciphertexts). */
  redact?: string[];
  /** Rows kept on deletion (the audit trail of the deletion itself). */
  keepOnDeletion?: boolean;
}

const tables: OwnedTable[] = [];
const r2Prefixes: ((creatorId: string) => string)[] = [];

export function registerOwnedTable(entry: OwnedTable): void {
  if (!/^[a-z_][a-z0-9_]*$/.test(entry.table) || !/^[a-z_][a-z0-9_]*$/.test(entry.column)) {
    throw new Error(`invalid owned table ${entry.table}.${entry.column}`);
  }
  if (!tables.some((t) => t.table === entry.table)) tables.push(entry);
}

export function registerOwnedR2Prefix(prefix: (creatorId: string) => string): void {
  r2Prefixes.push(prefix);
}

/** In registration order: parents first. Deletion walks it backwards. */
export function ownedTables(): readonly OwnedTable[] {
  return tables;
}

export function ownedR2Prefixes(creatorId: string): string[] {
  return r2Prefixes.map((p) => p(creatorId));
}

/** Every R2 key of a creator starts with this (DESIGN.md "Multi-tenancy"). */
export const creatorR2Prefix = (creatorId: string) => `creators/${creatorId}/`;
