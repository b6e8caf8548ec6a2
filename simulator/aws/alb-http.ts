/**
 * HTTP requests through the simulated load balancer (the health check URLs
 * of canary and blue-green services): the listener or rule picks a target
 * group by weight, in a deterministic low-discrepancy sequence, then a
 * healthy target of it round-robin; the target answers for its revision,
 * `200 {"status":"UP","version":"<tag>"}`. A group without a healthy target
 * gets the load balancer's own 503; a fixed-response action answers itself.
 */
import type { Action } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { SimResponse } from './http.ts';

/** A target that serves now, and the tag of its revision. */
export interface ServingNow {
  id: string;
  version: string | undefined;
}

/** What routing reads from the world at the instant of the request. */
export interface AlbRouting {
  /** The listener's default actions or the rule's actions, now. */
  actions(listenerOrRuleArn: string): readonly Action[] | undefined;
  /** The healthy targets of a target group, now. */
  serving(targetGroupArn: string): ServingNow[];
}

const GOLDEN = 0.618_033_988_749_895;
const UNAVAILABLE: SimResponse = {
  status: 503,
  body: '<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n<body>\r\n<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n</body>\r\n</html>\r\n',
  headers: { 'content-type': 'text/html', server: 'awselb/2.0' },
};

/** The simulated load balancer's answers, with its per-listener and per-group counters. */
export class AlbRouter {
  private readonly requests = new Map<string, number>();
  private readonly picks = new Map<string, number>();

  public constructor(private readonly routing: AlbRouting) {}

  /** What a request to the listener or rule gets now. */
  public answer(listenerOrRuleArn: string): SimResponse {
    const actions = this.routing.actions(listenerOrRuleArn) ?? [];
    const routing = actions.find((a) => a.Type === 'forward' || a.Type === 'fixed-response' || a.Type === 'redirect');
    if (routing?.Type === 'fixed-response') {
      const config = routing.FixedResponseConfig;
      return {
        status: Number(config?.StatusCode ?? '200'),
        body: config?.MessageBody ?? '',
        headers: { 'content-type': config?.ContentType ?? 'text/plain', server: 'awselb/2.0' },
      };
    }
    const groups = (routing?.ForwardConfig?.TargetGroups ?? []).filter((g) => (g.Weight ?? 1) > 0);
    const total = groups.reduce((sum, g) => sum + (g.Weight ?? 1), 0);
    if (groups.length === 0 || total <= 0) return UNAVAILABLE;
    const n = (this.requests.get(listenerOrRuleArn) ?? 0) + 1;
    this.requests.set(listenerOrRuleArn, n);
    const position = ((n * GOLDEN) % 1) * total;
    let cumulative = 0;
    const chosen = groups.find((g) => {
      cumulative += g.Weight ?? 1;
      return position < cumulative;
    }) ?? groups.at(-1);
    const arn = chosen?.TargetGroupArn ?? '';
    const serving = this.routing.serving(arn);
    if (serving.length === 0) return UNAVAILABLE;
    const pick = this.picks.get(arn) ?? 0;
    this.picks.set(arn, pick + 1);
    const target = serving[pick % serving.length];
    const body: Record<string, string> = { status: 'UP' };
    if (target?.version !== undefined) body.version = target.version;
    return { status: 200, body };
  }
}
