/**
 * Fault injection: make chosen calls fail the way AWS would refuse them
 * (access denied, throttling...), matched on the caller and the IAM action.
 */
import type { Authorization, Caller } from './calls.ts';

/** Which calls fail. Every field given must match; an omitted field matches anything. */
export interface FaultMatch {
  stateName?: string;
  functionKey?: string;
  /** IAM action (`ecs:UpdateService`) or a whole service (`ecs:*`); matches any authorization the call needs. */
  action?: string;
}

/** The error a matching call fails with. */
export interface FaultError {
  name: string;
  message: string;
  /** Retryable, marked the way the SDK marks throttling errors. */
  transient?: boolean;
}

/** A throttling error, as AWS returns it when a caller exceeds its request rate. */
export const THROTTLING: Readonly<FaultError> = Object.freeze({
  name: 'ThrottlingException',
  message: 'Rate exceeded',
  transient: true,
});

/** A fault that fired: what the call fails with, and the authorization it was matched on. */
export interface FiredFault {
  /** Undefined for the default error (access denied on the matched action). */
  error: FaultError | undefined;
  authorization: Authorization;
}

interface FaultRule {
  match: FaultMatch;
  error: FaultError | undefined;
  remaining: number;
}

function matches(match: FaultMatch, caller: Caller, authorizations: readonly Authorization[]): boolean {
  if (match.stateName !== undefined && caller.stateName !== match.stateName) return false;
  if (match.functionKey !== undefined && caller.functionKey !== match.functionKey) return false;
  return match.action === undefined || authorizations.some((a) => actionMatches(match.action!, a.action));
}

function actionMatches(pattern: string, action: string): boolean {
  if (pattern.endsWith(':*')) return action.startsWith(pattern.slice(0, -1));
  return pattern === action;
}

interface DelayRule {
  match: FaultMatch;
  seconds: number;
  remaining: number;
}

/** The registered faults; the first rule that matches a call fires and uses up one of its times. */
export class FaultInjector {
  private readonly rules: FaultRule[] = [];
  private readonly delays: DelayRule[] = [];

  /** Make the next `times` matching calls take `seconds` (of the world's clock) before they answer. */
  public addDelay(match: FaultMatch, seconds: number, times = Number.POSITIVE_INFINITY): void {
    if (!(seconds > 0) || !(times > 0)) throw new Error('delayCalls: seconds and times must be positive');
    this.delays.push({ match: { ...match }, seconds, remaining: times });
  }

  /** The delay of a call about to run, in seconds (0 when none matches). */
  public takeDelay(caller: Caller, authorizations: readonly Authorization[]): number {
    for (const rule of this.delays) {
      if (!matches(rule.match, caller, authorizations)) continue;
      rule.remaining -= 1;
      if (rule.remaining <= 0) this.delays.splice(this.delays.indexOf(rule), 1);
      return rule.seconds;
    }
    return 0;
  }

  /** Fail the next `times` matching calls (all of them by default). */
  public add(match: FaultMatch, error?: FaultError, times = Number.POSITIVE_INFINITY): void {
    if (!(times > 0)) throw new Error(`failCalls: times must be positive, got ${times}`);
    this.rules.push({ match: { ...match }, error: error === undefined ? undefined : { ...error }, remaining: times });
  }

  /** Forget every rule. */
  public clear(): void {
    this.rules.length = 0;
    this.delays.length = 0;
  }

  /** The fault for a call about to run, if one matches; checked before the call changes anything. */
  public take(caller: Caller, authorizations: readonly Authorization[]): FiredFault | undefined {
    for (const rule of this.rules) {
      const { stateName, functionKey, action } = rule.match;
      if (stateName !== undefined && caller.stateName !== stateName) continue;
      if (functionKey !== undefined && caller.functionKey !== functionKey) continue;
      const authorization =
        action === undefined ? authorizations[0] : authorizations.find((a) => actionMatches(action, a.action));
      if (authorization === undefined) continue;
      rule.remaining -= 1;
      if (rule.remaining <= 0) this.rules.splice(this.rules.indexOf(rule), 1);
      return { error: rule.error, authorization };
    }
    return undefined;
  }
}
