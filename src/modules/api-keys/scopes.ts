// What an API key's scopes allow: mapped onto the platform's permissions, never `admin`.
import type { Permission } from "../auth";

export const API_KEY_SCOPES = ["read", "write", "conversations", "knowledge", "analytics"] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

/**
 * `read`, `write` and `conversations` are the permissions of the same name everywhere. `knowledge`
 * and `analytics` are area scopes: read+write on the knowledge routes (knowledge bases, documents, search),
 * read under /api/v1/analytics — so an ingestion pipeline's key can't touch conversations or the team.
 * `admin` is never granted: a key can't manage keys, members or the plan.
 */
export function keyPermissions(scopes: readonly string[], path: string): Permission[] {
  const granted = new Set<Permission>();
  for (const scope of scopes) {
    if (scope === "read" || scope === "write" || scope === "conversations") granted.add(scope);
    if (scope === "knowledge" && /^\/api\/(v1\/knowledge-bases|v1\/creators\/knowledge|v1\/ai\/documents|memory\/knowledge)(\/|$)/.test(path)) {
      granted.add("read");
      granted.add("write");
    }
    if (scope === "analytics" && /^\/api\/v1\/analytics(\/|$)/.test(path)) granted.add("read");
  }
  return [...granted];
}
