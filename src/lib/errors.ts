// Errors are values with codes: throw AppError, one handler renders the standard body (DESIGN.md "Errors").
export const ERROR_STATUS = {
  MALFORMED_REQUEST: 400,
  AUTHENTICATION_REQUIRED: 401,
  INSUFFICIENT_PERMISSIONS: 403,
  RESOURCE_NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  VALIDATION_ERROR: 422,
  RATE_LIMIT_EXCEEDED: 429,
  INTERNAL_SERVER_ERROR: 500,
  SERVICE_UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export interface ErrorDetail {
  field: string;
  message: string;
}

export class AppError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: ErrorDetail[] = [],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "AppError";
    this.status = ERROR_STATUS[code];
  }
}

export const notFound = (what = "Resource") => new AppError("RESOURCE_NOT_FOUND", `${what} not found`);
export const unauthenticated = (message = "Authentication required") =>
  new AppError("AUTHENTICATION_REQUIRED", message);
export const forbidden = (message = "Insufficient permissions") => new AppError("INSUFFICIENT_PERMISSIONS", message);
export const conflict = (message: string) => new AppError("CONFLICT", message);
export const invalid = (details: ErrorDetail[], message = "The request contains invalid data") =>
  new AppError("VALIDATION_ERROR", message, details);

export function errorBody(err: AppError, requestId: string) {
  return {
    error: {
      code: err.code,
      message: err.message,
      details: err.details,
      timestamp: new Date().toISOString(),
      request_id: requestId,
    },
  };
}
