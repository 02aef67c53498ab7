// A webhook receiver, a real HTTP server in the test process (embedded mode lets endpoints be on
// loopback). It keeps every request and checks signatures as the Standard Webhooks specification
// tells receivers to: HMAC-SHA256 of `{webhook-id}.{webhook-timestamp}.{body}` under the secret.
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { expect } from "./test";

export interface Received {
  id: string;
  timestamp: string;
  /** The `webhook-signature` header's signatures, without their `v1,` version. */
  signatures: string[];
  body: string;
  event: { id: string; type: string; data: Record<string, unknown> };
}

export class Receiver {
  readonly requests: Received[] = [];
  /** Status codes to answer with, one per request; 200 once they are used up. */
  answers: number[] = [];

  private constructor(private readonly server: Server) {}

  static async start(): Promise<Receiver> {
    const server = createServer();
    const receiver = new Receiver(server);
    server.on("request", (request: IncomingMessage, response: ServerResponse) => {
      void receiver.take(request, response);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${String((this.server.address() as AddressInfo).port)}/hooks/eccs`;
  }

  /** Request number `n` (from 1), once it has arrived. */
  async request(n: number, timeout = 30_000): Promise<Received> {
    await expect
      .poll(() => this.requests.length, { timeout, message: `webhook request ${String(n)}` })
      .toBeGreaterThanOrEqual(n);
    const request = this.requests[n - 1];
    if (request === undefined) throw new Error(`no webhook request ${String(n)}`);
    return request;
  }

  /** Whether one of the request's signatures was made with `secret` (`whsec_` + base64 key). */
  static signedWith(request: Received, secret: string): boolean {
    const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
    const expected = createHmac("sha256", key).update(`${request.id}.${request.timestamp}.${request.body}`).digest();
    return request.signatures.some((signature) => {
      const given = Buffer.from(signature, "base64");
      return given.length === expected.length && timingSafeEqual(given, expected);
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => { resolve(); }));
  }

  private async take(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString("utf8");
    const header = (name: string) => String(request.headers[name] ?? "");
    this.requests.push({
      id: header("webhook-id"),
      timestamp: header("webhook-timestamp"),
      signatures: header("webhook-signature").split(" ").map((part) => part.replace(/^v1,/, "")),
      body,
      event: JSON.parse(body) as Received["event"],
    });
    const status = this.answers.shift() ?? 200;
    response.writeHead(status, { "Content-Type": "text/plain" }).end(`answered ${String(status)}`);
  }
}
