// One router factory: every module's OpenAPIHono shares the validation hook that renders our 422.
import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppBindings } from "../env";
import { AppError, type ErrorDetail } from "./errors";

interface Issue {
  path: PropertyKey[];
  message: string;
}

export function issuesToDetails(issues: readonly Issue[], target?: string): ErrorDetail[] {
  return issues.map((issue) => {
    const path = issue.path.map(String).join(".");
    return { field: path || (target === "json" ? "body" : (target ?? "request")), message: issue.message };
  });
}

export function createRouter() {
  return new OpenAPIHono<AppBindings>({
    defaultHook: (result) => {
      if (!result.success) {
        const target = (result as { target?: string }).target;
        throw new AppError("VALIDATION_ERROR", "The request contains invalid data", issuesToDetails(result.error.issues, target));
      }
    },
  });
}

export type Router = ReturnType<typeof createRouter>;
