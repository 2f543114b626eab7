// Message templates: {user_name} and the user's profile fields ({goal}, {profile.goal}).
export interface TemplateUser {
  displayName: string | null;
  profile: Record<string, unknown>;
}

export function userName(user: TemplateUser): string {
  const name = user.profile.name;
  return typeof name === "string" && name.trim() ? name.trim() : user.displayName?.trim() || "there";
}

/** Unknown placeholders render as empty text: a template never leaks its braces to a user. */
export function renderTemplate(template: string, user: TemplateUser): string {
  return template.replace(/\{\s*([A-Za-z_][A-Za-z0-9_.]*)\s*\}/g, (_m, key: string) => {
    if (key === "user_name" || key === "name") return userName(user);
    const path = key.startsWith("profile.") ? key.slice(8) : key;
    const value = user.profile[path];
    if (value === undefined || value === null) return "";
    if (Array.isArray(value)) return value.map(String).join(", ");
    return typeof value === "object" ? "" : String(value);
  });
}
