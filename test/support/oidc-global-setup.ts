// Starts the local OpenID provider once for the workerd integration tests (vitest.config.ts passes
// its discovery URL to the Worker as GOOGLE_OIDC_DISCOVERY_URL).
import type { TestProject } from "vitest/node";
import { startOidcProvider } from "./oidc-provider";

declare module "vitest" {
  export interface ProvidedContext {
    oidcDiscoveryUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const provider = await startOidcProvider();
  project.provide("oidcDiscoveryUrl", provider.discoveryUrl);
  return () => provider.close();
}
