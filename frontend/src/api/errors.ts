// The API's error envelope, as something the screens can show: a message, and per-field messages.
import type { ErrorBody, FieldError } from "./types";

const FALLBACK: Record<number, string> = {
  401: "You are not signed in.",
  403: "You do not have access to this.",
  404: "Not found: it may have been deleted.",
  413: "That is too large to send.",
  429: "Too many requests: wait a moment and try again.",
  503: "ECCS is starting or busy: try again in a moment.",
};

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly fields: FieldError[];

  constructor(status: number, code: string, message: string, fields: FieldError[] = []) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.fields = fields;
  }

  static from(response: Response, body: unknown): ApiError {
    if (isErrorBody(body)) {
      const { code, message, fields } = body.error;
      return new ApiError(response.status, code, message, fields);
    }
    const message = FALLBACK[response.status] ?? `The server answered ${response.status}.`;
    return new ApiError(response.status, "http_" + String(response.status), message);
  }

  /** The message for one form field: `to` also collects `to[0]`, `to[1]`, ... */
  fieldMessage(field: string): string | undefined {
    const match = this.fields.find(
      (entry) =>
        entry.field === field ||
        entry.field.startsWith(field + "[") ||
        entry.field.startsWith(field + "."),
    );
    return match?.message;
  }
}

function isErrorBody(body: unknown): body is ErrorBody {
  if (typeof body !== "object" || body === null || !("error" in body)) return false;
  const error = body.error;
  return typeof error === "object" && error !== null && "code" in error && "message" in error;
}

/** What to tell the user about any failure: the API's message, or that it cannot be reached. */
export function describe(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof TypeError) return "ECCS cannot be reached: check your connection.";
  if (error instanceof Error) return error.message;
  return "Something went wrong.";
}
