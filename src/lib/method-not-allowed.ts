// 405 instead of 404 when the path exists under other methods (Hono itself only knows "not found").
import type { Hono } from "hono";

const compiled = new WeakMap<object, { method: string; pattern: RegExp }[]>();

function compile(path: string): RegExp {
  const source = path
    .split("/")
    .map((part) => {
      if (part === "*") return ".*";
      if (part.startsWith(":")) return "[^/]+";
      return part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    })
    .join("/");
  return new RegExp(`^${source}/?$`);
}

export function methodNotAllowed(app: Hono<any, any, any>, method: string, path: string): string[] {
  let table = compiled.get(app);
  if (!table) {
    table = app.routes
      .filter((r) => r.method !== "ALL" && !r.path.includes("*"))
      .map((r) => ({ method: r.method, pattern: compile(r.path) }));
    compiled.set(app, table);
  }
  const methods = new Set(table.filter((r) => r.method !== method && r.pattern.test(path)).map((r) => r.method));
  if (methods.has("GET")) methods.add("HEAD");
  return [...methods].sort();
}
