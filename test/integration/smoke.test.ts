import { describe, expect, it } from "vitest";
import { api, createCreator } from "../helpers";

describe("smoke", () => {
  it("health", async () => {
    const res = await api("/health");
    expect(res.status).toBe(200);
  });
  it("register + me", async () => {
    const s = await createCreator();
    const res = await api("/api/v1/auth/me", { token: s.access_token });
    expect(res.status).toBe(200);
  });
});
