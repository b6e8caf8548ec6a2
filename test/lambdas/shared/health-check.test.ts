import { afterEach, describe, expect, it, vi } from 'vitest';
import { HealthCheckSchema } from '../../../lambdas/shared/config.ts';
import { runHealthCheck } from '../../../lambdas/shared/health-check.ts';

const URL_UNDER_TEST = 'https://web.example.com/health';

function answers(response: Response) {
  const fetch = vi.fn(async (_url: string, _init?: RequestInit) => response);
  vi.stubGlobal('fetch', fetch);
  return fetch;
}

describe('HTTP health check', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.restoreAllMocks();
  });

  it('follows a dotted path into the JSON body', async () => {
    // Prepare
    const check = HealthCheckSchema.parse({ url: URL_UNDER_TEST, body: { path: 'checks.db.status', equals: 'UP' } });
    answers(Response.json({ status: 'UP', checks: { db: { status: 'DOWN' } } }));

    // Act
    const result = await runHealthCheck(check);

    // Assess
    expect(result).toEqual({ ok: false, detail: `GET ${URL_UNDER_TEST}: checks.db.status is "DOWN", expected "UP"` });
  });

  it('reports a field missing from the body', async () => {
    // Prepare
    const check = HealthCheckSchema.parse({ url: URL_UNDER_TEST, body: { path: 'status', equals: 'UP' } });
    answers(Response.json({ healthy: true }));

    // Act
    const result = await runHealthCheck(check);

    // Assess
    expect(result.ok).toBe(false);
    expect(result.detail).toContain('status is undefined');
  });

  it.each([
    ['null', { checks: null }],
    ['a string', { checks: 'all good' }],
  ])('reports a path through %s as a missing field, without throwing', async (_what, body) => {
    // Prepare
    const check = HealthCheckSchema.parse({ url: URL_UNDER_TEST, body: { path: 'checks.db.status', equals: 'UP' } });
    answers(Response.json(body));

    // Act
    const result = await runHealthCheck(check);

    // Assess
    expect(result).toEqual({ ok: false, detail: `GET ${URL_UNDER_TEST}: checks.db.status is undefined, expected "UP"` });
  });

  it('shows only the first 120 characters of a body that is not JSON', async () => {
    // Prepare
    const check = HealthCheckSchema.parse({ url: URL_UNDER_TEST, body: { path: 'status', equals: 'UP' } });
    const page = `<html>${'x'.repeat(114)}LOGIN PAGE</html>`;
    answers(new Response(page, { status: 200 }));

    // Act
    const result = await runHealthCheck(check);

    // Assess
    expect(result).toEqual({ ok: false, detail: `GET ${URL_UNDER_TEST} returned a body that is not JSON: ${page.slice(0, 120)}` });
  });

  it('fails a body assertion, without throwing, when the body breaks off while it is read', async () => {
    // Prepare
    const check = HealthCheckSchema.parse({ url: URL_UNDER_TEST, body: { path: 'status', equals: 'UP' } });
    const broken = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.error(new TypeError('terminated: other side closed'));
      },
    });
    answers(new Response(broken, { status: 200 }));

    // Act
    const result = await runHealthCheck(check);

    // Assess
    expect(result).toEqual({ ok: false, detail: `GET ${URL_UNDER_TEST} returned a body that is not JSON: ` });
  });

  it('does not take the string "true" for the boolean true', async () => {
    // Prepare
    const check = HealthCheckSchema.parse({ url: URL_UNDER_TEST, body: { path: 'ready', equals: true } });
    answers(Response.json({ ready: 'true' }));

    // Act
    const result = await runHealthCheck(check);

    // Assess
    expect(result.ok).toBe(false);
  });

  it('accepts the configured status without a body assertion', async () => {
    // Prepare
    const check = HealthCheckSchema.parse({ url: URL_UNDER_TEST, expectedStatus: 204 });
    answers(new Response(null, { status: 204 }));

    // Act
    const result = await runHealthCheck(check);

    // Assess
    expect(result).toEqual({ ok: true, detail: `GET ${URL_UNDER_TEST} returned 204` });
  });

  it('does not follow redirects, so a redirect to a login page is not healthy', async () => {
    // Prepare
    const check = HealthCheckSchema.parse({ url: URL_UNDER_TEST });
    const fetch = answers(new Response(null, { status: 302, headers: { location: 'https://login.example.com/' } }));

    // Act
    const result = await runHealthCheck(check);

    // Assess
    expect(fetch.mock.calls[0]?.[1]?.redirect).toBe('manual');
    expect(result).toEqual({ ok: false, detail: `GET ${URL_UNDER_TEST} returned 302, expected 200` });
  });

  it('gives up after the configured timeout', async () => {
    // Prepare
    const check = HealthCheckSchema.parse({ url: URL_UNDER_TEST, timeoutSeconds: 3 });
    // The timeout fires at once instead of after 3 s; what matters is the delay asked for and the outcome.
    const timeout = vi.spyOn(AbortSignal, 'timeout').mockImplementation(() => {
      const controller = new AbortController();
      setTimeout(() => controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')), 1);
      return controller.signal;
    });
    vi.stubGlobal(
      'fetch',
      vi.fn(
        (_url: string, init?: RequestInit) =>
          new Promise<Response>((_resolve, reject) => {
            init?.signal?.addEventListener('abort', () => reject(init.signal?.reason));
          }),
      ),
    );

    // Act
    const result = await runHealthCheck(check);

    // Assess
    expect(timeout).toHaveBeenCalledWith(3000);
    expect(result.ok).toBe(false);
    expect(result.detail).toMatch(/^GET https:\/\/web\.example\.com\/health failed: TimeoutError/);
  });
});
