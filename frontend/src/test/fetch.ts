// A stand-in for the network in component tests: answers by method and path, records every call.
import { vi } from "vitest";

export interface Call {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Headers;
  /** The parsed JSON body, if the request had one. */
  body: unknown;
}

type Reply = (call: Call, params: Record<string, string>) => Response | Promise<Response>;

/** A Response shaped like the API's: JSON, with the given status. */
export function answer(status: number, body?: unknown, headers: Record<string, string> = {}): Response {
  if (body === undefined) return new Response(null, { status, headers });
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json", ...headers },
  });
}

/** The API's error envelope. */
export function apiError(
  status: number,
  code: string,
  message: string,
  fields: { field: string; message: string }[] = [],
): Response {
  return answer(status, { error: { code, message, fields } });
}

function matches(pattern: string, path: string): Record<string, string> | null {
  const want = pattern.split("/");
  const got = path.split("/");
  if (want.length !== got.length) return null;
  const params: Record<string, string> = {};
  for (const [index, part] of want.entries()) {
    const actual = got[index] ?? "";
    if (part.startsWith(":")) params[part.slice(1)] = decodeURIComponent(actual);
    else if (part !== actual) return null;
  }
  return params;
}

/**
 * Stubs `fetch` with routes keyed "METHOD /api/path/:param". An unexpected request is recorded
 * in `unexpected` and answered 599, so a test sees it instead of hanging on it.
 */
export function stubApi(routes: Record<string, Reply>) {
  const calls: Call[] = [];
  const unexpected: string[] = [];
  const fetch = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    // Relative paths as a page would resolve them (the app fetches /health that way).
    const request =
      input instanceof Request ? input : new Request(new URL(String(input), location.origin), init);
    const url = new URL(request.url);
    const text = await request.clone().text();
    const call: Call = {
      method: request.method,
      path: url.pathname,
      query: url.searchParams,
      headers: request.headers,
      body: text === "" ? undefined : (JSON.parse(text) as unknown),
    };
    calls.push(call);
    for (const [key, reply] of Object.entries(routes)) {
      const [method, pattern] = key.split(" ");
      if (method !== call.method || pattern === undefined) continue;
      const params = matches(pattern, call.path);
      if (params !== null) return reply(call, params);
    }
    unexpected.push(`${call.method} ${call.path}`);
    return answer(599, { error: { code: "unexpected", message: "No stub for this request." } });
  });
  vi.stubGlobal("fetch", fetch);
  return {
    calls,
    unexpected,
    /** The calls to one route, e.g. `to("POST /api/emails/send")`. */
    to(key: string): Call[] {
      const [method, pattern] = key.split(" ");
      return calls.filter(
        (call) => call.method === method && pattern !== undefined && matches(pattern, call.path),
      );
    },
  };
}
