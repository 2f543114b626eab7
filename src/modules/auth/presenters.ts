// Row -> API shapes for creators and members (secrets never leave through here).
import type { creators, members } from "../../db/schema";
import { ROLE_PERMISSIONS } from "./tokens";

type CreatorRow = typeof creators.$inferSelect;
type MemberRow = typeof members.$inferSelect;

export function presentCreator(c: CreatorRow) {
  return {
    id: c.id,
    email: c.email,
    full_name: c.fullName,
    company_name: c.companyName,
    subscription_tier: c.subscriptionTier,
    is_active: c.isActive,
    timezone: c.timezone,
    bio: c.bio,
    website_url: c.websiteUrl,
    avatar_url: c.avatarUrl,
    settings: c.settings,
    created_at: c.createdAt,
    updated_at: c.updatedAt,
  };
}

export function presentMember(m: MemberRow) {
  return {
    id: m.id,
    email: m.email,
    full_name: m.fullName,
    role: m.role,
    status: m.status,
    last_login_at: m.lastLoginAt,
    created_at: m.createdAt,
  };
}

export function presentMe(c: CreatorRow, m: MemberRow) {
  return { ...presentCreator(c), member: presentMember(m), permissions: ROLE_PERMISSIONS[m.role] };
}
