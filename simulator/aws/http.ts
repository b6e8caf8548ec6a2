/**
 * Simulated HTTP for the health checks: `fetch` to a configured service's
 * health check URL is answered from the simulated world (ECS for a service
 * without load balancer, the load balancer for one behind it); anything else
 * fails like a request to a host that does not resolve.
 */
import type { SimulatedApi } from './api-call.ts';
import type { Caller, CallRecorder } from './calls.ts';

/** A response forced by a test. */
export interface ForcedResponse {
  status: number;
  /** Text, or a value sent as JSON. */
  body: string | object;
  headers?: Record<string, string>;
  /** Virtual seconds before the answer comes (a slow endpoint); the request's timeout signal still applies. */
  delaySeconds?: number;
}

/** One request the simulation answered (or refused). */
export interface HttpRequestRecord {
  url: string;
  method: string;
  at: number;
  caller: Caller;
  status?: number;
  error?: string;
}

/** What a URL answers now. */
export interface SimResponse {
  status: number;
  /** Text, or a value sent as JSON. */
  body: string | object;
  headers?: Record<string, string>;
}

/** How a URL answers now, or undefined when it is not one the world serves. */
export type Responder = (url: string) => SimResponse | undefined;

function normalize(url: string): string {
  try {
    return new URL(url).href;
  } catch {
    return url;
  }
}

function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(typeof body === 'string' ? body : JSON.stringify(body), {
    status,
    headers: { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json', ...headers },
  });
}

/** The fetch replacement and its log. */
export class SimHttp implements SimulatedApi {
  private readonly forced = new Map<string, ForcedResponse>();
  private readonly passThroughPrefixes: string[] = [];
  private readonly log: HttpRequestRecord[] = [];
  private original: typeof fetch | undefined;

  public constructor(
    private readonly now: () => number,
    private readonly recorder: CallRecorder,
    private readonly respond: Responder,
    /** Sleep on the world's (virtual) clock, for slow responses. */
    private readonly sleep: (seconds: number) => Promise<void> = () => Promise.resolve(),
  ) {}

  /** Every request made through the simulated fetch, oldest first. */
  public get requests(): ReadonlyArray<HttpRequestRecord> {
    return this.log;
  }

  /** Answer `url` with this response from now on (a health check that lies, a 500...). */
  public setResponse(url: string, response: ForcedResponse): void {
    this.forced.set(normalize(url), { ...response });
  }

  /** Stop forcing the response of `url`. */
  public clearResponse(url: string): void {
    this.forced.delete(normalize(url));
  }

  /** Send requests to URLs starting with `prefix` to the real network (e.g. a local process serving HTTP). */
  public passThrough(prefix: string): void {
    this.passThroughPrefixes.push(prefix);
  }

  /** Replace `globalThis.fetch`; returns the function that restores it. */
  public install(): () => void {
    const original = globalThis.fetch;
    this.original = original;
    globalThis.fetch = (input, init) => this.fetch(input, init);
    return () => {
      globalThis.fetch = original;
      this.original = undefined;
    };
  }

  /** Wait `seconds` of the clock, or fail as fetch does when the request's signal aborts first. */
  private async slowly(seconds: number, signal: AbortSignal | null | undefined, record: HttpRequestRecord): Promise<void> {
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(signal?.reason instanceof Error ? signal.reason : new DOMException('This operation was aborted', 'AbortError'));
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    try {
      await Promise.race([this.sleep(seconds), aborted]);
    } catch (error) {
      record.error = error instanceof Error ? error.name : 'AbortError';
      throw error;
    } finally {
      if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
    }
  }

  /** The simulated fetch. */
  public async fetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
    const url = normalize(input instanceof Request ? input.url : input.toString());
    const method = (init?.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
    const record: HttpRequestRecord = { url, method, at: this.now(), caller: { ...this.recorder.current() } };
    this.log.push(record);
    const signal = init?.signal ?? (input instanceof Request ? input.signal : undefined);
    if (signal?.aborted === true) {
      record.error = 'AbortError';
      throw signal.reason instanceof Error ? signal.reason : new DOMException('This operation was aborted', 'AbortError');
    }
    if (this.original !== undefined && this.passThroughPrefixes.some((p) => url.startsWith(p))) {
      const response = await this.original(input, init);
      record.status = response.status;
      return response;
    }
    const forced = this.forced.get(url);
    if (forced?.delaySeconds !== undefined && forced.delaySeconds > 0) {
      await this.slowly(forced.delaySeconds, signal, record);
    }
    if (forced !== undefined) {
      record.status = forced.status;
      return jsonResponse(forced.status, forced.body, forced.headers);
    }
    const answer = this.respond(url);
    if (answer !== undefined) {
      record.status = answer.status;
      return jsonResponse(answer.status, answer.body, answer.headers);
    }
    // What undici throws when the host does not resolve.
    record.error = 'TypeError';
    const host = URL.canParse(url) ? new URL(url).hostname : url;
    const cause = Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), {
      code: 'ENOTFOUND',
      syscall: 'getaddrinfo',
      hostname: host,
    });
    throw new TypeError('fetch failed', { cause });
  }
}
