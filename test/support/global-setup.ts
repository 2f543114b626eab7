// Node-side setup of the workers test project: the OpenAI-compatible stand-in server, its URL provided to tests.
import type { TestProject } from "vitest/node";
import { startOpenAiStub } from "./openai-stub";

declare module "vitest" {
  export interface ProvidedContext {
    openaiStubUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const stub = await startOpenAiStub();
  project.provide("openaiStubUrl", stub.url);
  return async () => stub.close();
}
