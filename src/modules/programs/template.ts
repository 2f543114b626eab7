// Message templates: {user_name}, the user's profile fields ({goal}, {profile.goal}) and what the
// assistant remembers of them ({memory.goal}: long-term memories, read at send time).
export interface TemplateUser {
  displayName: string | null;
  profile: Record<string, unknown>;
  /** Long-term memories by key (module memory). */
  memory?: Record<string, unknown>;
}

export function userName(user: TemplateUser): string {
  const name = user.profile.name;
  return typeof name === "string" && name.trim() ? name.trim() : user.displayName?.trim() || "there";
}

/** Unknown placeholders render as empty text: a template never leaks its braces to a user. */
export function renderTemplate(template: string, user: TemplateUser): string {
  return template.replace(/\{\s*([A-Za-z_][A-Za-z0-9_.]*)\s*\}/g, (_m, key: string) => {
    if (key === "user_name" || key === "name") return userName(user);
    const value = key.startsWith("memory.") ? user.memory?.[key.slice(7)] : user.profile[key.startsWith("profile.") ? key.slice(8) : key];
    if (value === undefined || value === null) return "";
    if (Array.isArray(value)) return value.map(String).join(", ");
    return typeof value === "object" ? "" : String(value);
  });
}
