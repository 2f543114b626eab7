// Node-side setup of the workers test project: the OpenAI-compatible and Anthropic stand-in servers, their URLs provided to tests.
import type { TestProject } from "vitest/node";
import { startAnthropicStub } from "./anthropic-stub";
import { startOpenAiStub } from "./openai-stub";

declare module "vitest" {
  export interface ProvidedContext {
    openaiStubUrl: string;
    anthropicStubUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const stub = await startOpenAiStub();
  project.provide("openaiStubUrl", stub.url);
  const anthropic = await startAnthropicStub();
  project.provide("anthropicStubUrl", anthropic.url);
  return async () => {
    await stub.close();
    await anthropic.close();
  };
}
