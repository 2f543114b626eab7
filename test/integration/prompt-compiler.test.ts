// The prompt compiler (ai-chat-app spec): /compile/form, /compile, /update_parameters with an LLM
// (the OpenAI-compatible stand-in) and with deterministic parsing (the local provider).
import { describe, expect, inject, it } from "vitest";
import { createCreator, errorOf } from "../helpers";
import { call } from "../ai-helpers";

const openai = () => ({ AI_PROVIDER: "openai", OPENAI_BASE_URL: inject("openaiStubUrl"), OPENAI_CHAT_MODEL: "stub-chat", OPENAI_EMBEDDING_MODEL: "stub-embed" });
const TEMPLATE = "Write a {{ weeks:integer=4 }}-week plan for a {{level:enum(beginner|advanced)}} client aged {{age:integer}} weighing {{weight:number}} kg. Goal: {{goal}}. Keep {{ goal }} in mind.";

describe("POST /api/v1/prompt_compiler/compile/form", () => {
  it("gives the canonical prompt and a JSON-Schema form of its parameters (types, enum, defaults, required)", async () => {
    const s = await createCreator();
    const res = await call("/api/v1/prompt_compiler/compile/form", { token: s.access_token, json: { prompt: TEMPLATE } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    expect(body.compiled_prompt).toBe("Write a {{weeks}}-week plan for a {{level}} client aged {{age}} weighing {{weight}} kg. Goal: {{goal}}. Keep {{goal}} in mind.");
    expect(body.parameters).toEqual(["weeks", "level", "age", "weight", "goal"]);
    expect(body.form).toEqual({
      $schema: "https://json-schema.org/draft/2020-12/schema",
      type: "object",
      title: "Prompt parameters",
      properties: {
        weeks: { type: "integer", title: "Weeks", default: 4 },
        level: { type: "string", title: "Level", enum: ["beginner", "advanced"] },
        age: { type: "integer", title: "Age" },
        weight: { type: "number", title: "Weight" },
        goal: { type: "string", title: "Goal" },
      },
      required: ["level", "age", "weight", "goal"],
      additionalProperties: false,
    });
  });

  it("rejects malformed placeholders, conflicting types, bad defaults and unknown models", async () => {
    const s = await createCreator();
    for (const prompt of ["Hi {{name", "Hi {{first name}}", "{{a:number}} and {{a:string}}", "{{n:integer=many}}", "{{x:enum()}}"]) {
      const res = await call("/api/v1/prompt_compiler/compile/form", { token: s.access_token, json: { prompt } });
      expect(res.status, prompt).toBe(422);
    }
    const unknown = await call("/api/v1/prompt_compiler/compile/form", { token: s.access_token, json: { prompt: "{{a}}", modelid: "gpt-9000" } });
    expect((await errorOf(unknown)).details).toEqual([{ field: "modelid", message: "not served by any configured provider" }]);
    expect((await call("/api/v1/prompt_compiler/compile/form", { json: { prompt: "{{a}}" } })).status).toBe(401);
  });
});

describe("POST /api/v1/prompt_compiler/compile", () => {
  it("substitutes checked values (defaults filled, numbers coerced) and names every bad or missing one", async () => {
    const s = await createCreator();
    const ok = (await (await call("/api/v1/prompt_compiler/compile", { token: s.access_token, json: { prompt: TEMPLATE, parameters: { level: "Beginner", age: "34", weight: 80.5, goal: "a first 5k" } } })).json()) as any;
    expect(ok.compiled_prompt).toBe("Write a 4-week plan for a beginner client aged 34 weighing 80.5 kg. Goal: a first 5k. Keep a first 5k in mind.");
    expect(ok.parameters).toEqual({ weeks: 4, level: "beginner", age: 34, weight: 80.5, goal: "a first 5k" });
    const bad = await call("/api/v1/prompt_compiler/compile", { token: s.access_token, json: { prompt: TEMPLATE, parameters: { level: "expert", age: "old", colour: "red" } } });
    expect(bad.status).toBe(422);
    const fields = (await errorOf(bad)).details.map((d) => d.field).sort();
    expect(fields).toEqual(["parameters.age", "parameters.colour", "parameters.goal", "parameters.level", "parameters.weight"]);
  });

  it("optimize asks the model where one is configured, and says what to set where none is", async () => {
    const s = await createCreator();
    const res = await call("/api/v1/prompt_compiler/compile", { token: s.access_token, json: { prompt: "Find good {{food}} restaurants", parameters: { food: "vegan" }, optimize: true } }, openai());
    const body = (await res.json()) as any;
    expect(body.compiled_prompt).toBe("Find good vegan restaurants");
    expect(body.optimized_prompt).toBe("Stub stub-chat heard: Find good vegan restaurants");
    expect(body.model).toBe("openai:stub-chat");
    const local = await call("/api/v1/prompt_compiler/compile", { token: s.access_token, json: { prompt: "Find {{food}}", parameters: { food: "tacos" }, optimize: true } }, { AI_PROVIDER: "local" });
    expect(local.status).toBe(503);
    expect((await errorOf(local)).message).toMatch(/AI_PROVIDERS/);
  });
});

describe("POST /api/v1/prompt_compiler/update_parameters", () => {
  const text = "I'm 34 and weigh 80 kilos, a total beginner. goal: run a 10k";

  it("with an LLM configured the model extracts the values (method: llm)", async () => {
    const s = await createCreator();
    const res = await call("/api/v1/prompt_compiler/update_parameters", { token: s.access_token, json: { prompt: TEMPLATE, text } }, openai());
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    expect(body.method).toBe("llm");
    expect(body.model).toBe("openai:stub-chat");
    expect(body.parameters).toEqual({ weeks: 4, age: 34, weight: 80, level: "beginner" });
    expect(body.missing).toEqual(["goal"]);
    expect(body.compiled_prompt).toContain("aged 34 weighing 80 kg. Goal: {{goal}}");
  });

  it("without one (local) it parses deterministically, and says so; an LLM reply that isn't JSON falls back too", async () => {
    const s = await createCreator();
    const local = (await (await call("/api/v1/prompt_compiler/update_parameters", { token: s.access_token, json: { prompt: TEMPLATE, text, parameters: { weight: 79 } } }, { AI_PROVIDER: "local" })).json()) as any;
    expect(local.method).toBe("deterministic");
    expect(local.model).toBeNull();
    expect(local.parameters).toEqual({ weeks: 4, weight: 79, level: "beginner", goal: "run a 10k" });
    expect(local.missing).toEqual(["age"]);
    const fallback = (await (await call("/api/v1/prompt_compiler/update_parameters", { token: s.access_token, json: { prompt: TEMPLATE, text: `${text} BAD_JSON` } }, openai())).json()) as any;
    expect(fallback.method).toBe("deterministic");
    expect(fallback.llm_error).toMatch(/not a JSON object/);
    expect(fallback.parameters.goal).toBe("run a 10k BAD_JSON");
  });

  it("rejects an empty text and a bad prompt", async () => {
    const s = await createCreator();
    expect((await call("/api/v1/prompt_compiler/update_parameters", { token: s.access_token, json: { prompt: TEMPLATE, text: "" } })).status).toBe(422);
    expect((await call("/api/v1/prompt_compiler/update_parameters", { token: s.access_token, json: { prompt: "{{oops", text: "x" } })).status).toBe(422);
  });
});
