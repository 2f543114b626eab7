// Issue 16 "At the edge": a conversation's object is created near its visitor (the location hint of
// the first request that reaches it, from the request's cf properties).
import { describe, expect, it } from "vitest";
import { locationHintFor } from "../../src/realtime";

describe("locationHintFor", () => {
  it("maps the visitor's continent (and longitude or country where one continent has two regions) to a region", () => {
    expect(locationHintFor({ continent: "EU", longitude: "2.35" })).toBe("weur");
    expect(locationHintFor({ continent: "EU", longitude: "37.6" })).toBe("eeur");
    expect(locationHintFor({ continent: "NA", longitude: "-122.4" })).toBe("wnam");
    expect(locationHintFor({ continent: "NA", longitude: "-74.0" })).toBe("enam");
    expect(locationHintFor({ continent: "AS", country: "JP" })).toBe("apac");
    expect(locationHintFor({ continent: "AS", country: "AE" })).toBe("me");
    expect(locationHintFor({ continent: "SA" })).toBe("sam");
    expect(locationHintFor({ continent: "OC" })).toBe("oc");
    expect(locationHintFor({ continent: "AF" })).toBe("afr");
    // No cf (local dev, tests) or Antarctica: no hint, the platform decides.
    expect(locationHintFor(undefined)).toBeUndefined();
    expect(locationHintFor({ continent: "AN" })).toBeUndefined();
  });
});
