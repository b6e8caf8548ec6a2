/**
 * The HTTP health check: GET the URL, compare the status, and optionally
 * assert a field of the JSON body (`status == "UP"`).
 */
import { timeoutSignal } from './clock.ts';
import type { HealthCheckConfig } from './config.ts';

export interface HealthCheckResult {
  ok: boolean;
  /** What was seen, for logs and the failure reason. */
  detail: string;
}

/** Follow a dotted path (`checks.db.status`) into parsed JSON. */
export function valueAt(body: unknown, path: string): unknown {
  let node: unknown = body;
  for (const part of path.split('.')) {
    if (typeof node !== 'object' || node === null || !(part in node)) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

/** Run one check; never throws (a network error is a failed check). */
export async function runHealthCheck(check: HealthCheckConfig): Promise<HealthCheckResult> {
  let response: Response;
  try {
    response = await fetch(check.url, { signal: timeoutSignal(check.timeoutSeconds * 1000), redirect: 'manual' });
  } catch (error) {
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return { ok: false, detail: `GET ${check.url} failed: ${reason}` };
  }
  const text = await response.text().catch(() => '');
  if (response.status !== check.expectedStatus) {
    return { ok: false, detail: `GET ${check.url} returned ${response.status}, expected ${check.expectedStatus}` };
  }
  if (check.body === undefined) return { ok: true, detail: `GET ${check.url} returned ${response.status}` };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, detail: `GET ${check.url} returned a body that is not JSON: ${text.slice(0, 120)}` };
  }
  const actual = valueAt(json, check.body.path);
  if (actual !== check.body.equals) {
    return {
      ok: false,
      detail: `GET ${check.url}: ${check.body.path} is ${JSON.stringify(actual)}, expected ${JSON.stringify(check.body.equals)}`,
    };
  }
  return { ok: true, detail: `GET ${check.url}: ${check.body.path} == ${JSON.stringify(check.body.equals)}` };
}
