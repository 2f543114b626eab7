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
  /**
   * How a row belongs to one end user (GDPR rights of the creator's audience): a SQL condition with
   * exactly one `?` for the end user's id, e.g. "end_user_id = ?". Tables without it hold no
   * end-user data. A constant, never user input.
   */
  endUser?: string;
}

const tables: OwnedTable[] = [];
const r2Prefixes: ((creatorId: string) => string)[] = [];

export function registerOwnedTable(entry: OwnedTable): void {
  if (!/^[a-z_][a-z0-9_]*$/.test(entry.table) || !/^[a-z_][a-z0-9_]*$/.test(entry.column)) {
    throw new Error(`invalid owned table ${entry.table}.${entry.column}`);
  }
  if (entry.endUser !== undefined && (entry.endUser.split("?").length !== 2 || /;|--/.test(entry.endUser))) {
    throw new Error(`invalid end-user condition for ${entry.table}`);
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

/** Every conversation file of an end user lives under this prefix (DESIGN.md "files in conversations"). */
export const conversationR2Prefix = (creatorId: string, conversationId: string) => `creators/${creatorId}/conversations/${conversationId}/`;
