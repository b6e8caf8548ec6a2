/**
 * Verify: one verification of new code that serves (or is about to), the
 * same for every strategy and phase:
 *
 * - alarms: one that went into ALARM during the deployment fails at once;
 *   one already in ALARM before it is reported (see `alarms.ts`);
 * - new side against old side, from their target groups' metrics over the
 *   window (canary, blue-green; see `comparison.ts`);
 * - the HTTP health check (through the test listener for blue-green's idle
 *   colour), failing after `failureThreshold` consecutive failures;
 * - an operator's `deployer promote` ends the bake now.
 *
 * `done` once the window's bake has passed with the last check good and,
 * where metrics are compared, enough requests to judge. The verdict and the
 * figures behind it are returned into the execution state, and each
 * finished step's verdict is appended to the deployment's history.
 */
import { AnyDeploymentSchema, type AnyDeployment } from '../shared/any-deployment.ts';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import { loadBalancerDimension, targetGroupFigures, type Figures } from '../shared/alb-metrics.ts';
import { awsCall } from '../shared/aws-call.ts';
import { now } from '../shared/clock.ts';
import { historySortKey, LOCK_SORT_KEY, servicePartitionKey } from '../shared/deployment.ts';
import { formatDuration } from '../shared/duration.ts';
import { VerificationFailed } from '../shared/errors.ts';
import { createHandler } from '../shared/handler.ts';
import { runHealthCheck } from '../shared/health-check.ts';
import { logger } from '../shared/logger.ts';
import { PROMOTE_ATTRIBUTE, PromoteRequestSchema, type PromoteRequest } from '../shared/operator-requests.ts';
import { documentClient, tableName } from '../shared/table.ts';
import { readAlarms } from './alarms.ts';
import { compareSides } from './comparison.ts';
import { BaselineSchema, VerificationStateSchema, WindowSchema, type VerificationState, type Window } from './verification-state.ts';

const EventSchema = z.object({
  deployment: AnyDeploymentSchema,
  baseline: z.partial(BaselineSchema, { reference: true }),
  window: WindowSchema,
  previous: VerificationStateSchema,
});

/** A promote request of this execution made since the window started, if any. */
async function promotedSince(deployment: AnyDeployment, since: number): Promise<PromoteRequest | undefined> {
  const result = await awsCall('dynamodb:GetItem (lock)', () =>
    documentClient().send(
      new GetCommand({
        TableName: tableName(),
        Key: { pk: servicePartitionKey(deployment.service), sk: LOCK_SORT_KEY },
        ProjectionExpression: '#p',
        ExpressionAttributeNames: { '#p': PROMOTE_ATTRIBUTE },
      }),
    ),
  );
  const parsed = PromoteRequestSchema.safeParse(result.Item?.[PROMOTE_ATTRIBUTE]);
  if (!parsed.success || parsed.data.executionArn !== deployment.executionId) return undefined;
  return Date.parse(parsed.data.requestedAt) >= since ? parsed.data : undefined;
}

/** Append a finished step's verdict to the deployment's history. */
async function recordVerdict(deployment: AnyDeployment, window: Window, verdict: string): Promise<void> {
  const entry = { phase: window.phase, step: window.step ?? -1, weight: window.weight ?? 100, verdict, at: new Date(now()).toISOString() };
  await awsCall('dynamodb:UpdateItem (verdicts)', () =>
    documentClient().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: {
          pk: servicePartitionKey(deployment.service),
          sk: historySortKey(deployment.executionStartTime, deployment.executionName),
        },
        UpdateExpression: 'SET verdicts = list_append(if_not_exists(verdicts, :empty), :entry)',
        ExpressionAttributeValues: { ':empty': [], ':entry': [entry] },
      }),
    ),
  );
}

interface MetricsOutcome {
  /** The comparison's verdict, when metrics were compared. */
  note?: string;
  /** False while the new side has too few requests to judge. */
  enough: boolean;
  figures?: { new?: Figures; old?: Figures };
  reference?: Figures;
}

async function compareMetrics(deployment: AnyDeployment, window: Window, previous: VerificationState, time: number): Promise<MetricsOutcome> {
  const settings = deployment.verification.comparison;
  const listener = deployment.loadBalancer?.listenerArn;
  if (settings === undefined || listener === undefined || window.newTargetGroupArn === undefined || window.phase === 'test' || window.phase === 'rollout') {
    return { enough: true, reference: previous.reference };
  }
  const lb = loadBalancerDimension(listener);
  const newSide = await targetGroupFigures(lb, window.newTargetGroupArn, window.since, time);
  const oldNow = window.oldTargetGroupArn !== undefined ? await targetGroupFigures(lb, window.oldTargetGroupArn, window.since, time) : undefined;
  const enoughOld = (f: Figures | undefined): f is Figures => f !== undefined && f.requests >= Math.max(1, settings.minRequests);
  // The old side's own figures while it serves; once it does not (100% on the new side), the last ones it had.
  const reference = enoughOld(oldNow) ? oldNow : previous.reference;
  const oldSide = enoughOld(oldNow) ? oldNow : enoughOld(previous.reference) ? previous.reference : undefined;
  const verdict = compareSides(newSide, oldSide, settings, deployment.strategy === 'canary' ? 'canary' : 'new colour');
  if (verdict.kind === 'fail') throw new VerificationFailed(verdict.detail);
  const figures: { new?: Figures; old?: Figures } = { new: newSide };
  // Stryker disable next-line ConditionalExpression: equivalent: `old: undefined` leaves the Lambda as JSON, which drops it.
  if (oldNow !== undefined) figures.old = oldNow;
  return { note: verdict.detail, enough: verdict.kind === 'pass', figures, reference };
}

export const handler = createHandler(EventSchema, async function verify({ deployment, baseline, window, previous }): Promise<VerificationState> {
  const time = now();
  const bakeUntil = window.since + window.bakeSeconds * 1000;
  const { verification } = deployment;

  const alarms = await readAlarms(verification.alarms, baseline.capturedAt + 1);
  if (alarms.firing.length > 0) {
    throw new VerificationFailed(alarms.firing.map((a) => `alarm ${a.name} went into ALARM: ${a.reason}`).join('; '));
  }
  const notes: string[] = [
    alarms.watched === 0 ? 'no alarms' : `alarms OK (${alarms.watched})`,
    ...(alarms.preexisting.length > 0 ? [`already in ALARM before the deployment: ${alarms.preexisting.join(', ')}`] : []),
  ];

  const metrics = await compareMetrics(deployment, window, previous, time);
  if (metrics.note !== undefined) notes.push(metrics.note);

  let consecutiveHealthFailures = 0;
  const url = window.phase === 'test' ? verification.testUrl : verification.healthCheck?.url;
  if (verification.healthCheck !== undefined && url !== undefined) {
    const health = await runHealthCheck({ ...verification.healthCheck, url });
    consecutiveHealthFailures = health.ok ? 0 : (previous.consecutiveHealthFailures ?? 0) + 1;
    if (consecutiveHealthFailures >= verification.healthCheck.failureThreshold) {
      throw new VerificationFailed(`health check failed ${consecutiveHealthFailures} time(s) in a row: ${health.detail}`);
    }
    notes.push(health.detail);
  }

  // When this window's checks started: keep-warm begins where the last step's bake ended, so only a
  // promote asked for during keep-warm ends it (not the one that ended that step).
  const startedAt = previous.startedAt ?? time;
  let done = time >= bakeUntil && metrics.enough && consecutiveHealthFailures === 0;
  if (!done && (window.phase === 'bake' || window.phase === 'keep-warm')) {
    const promote = await promotedSince(deployment, window.phase === 'keep-warm' ? startedAt : window.since);
    if (promote !== undefined) {
      done = true;
      notes.push(`promoted by ${promote.requestedBy}: bake ended early`);
    }
  }
  const extra = verification.comparison?.maxExtraBakeSeconds ?? 0;
  if (!done && !metrics.enough && time >= bakeUntil + extra * 1000) {
    throw new VerificationFailed(
      `too little traffic to judge the new revision: ${metrics.note} after ${formatDuration(Math.round((time - window.since) / 1000))} (bake ${formatDuration(window.bakeSeconds)} + maxExtraBake ${formatDuration(extra)}); lower verification.minRequests or send traffic`,
    );
  }
  const verdict = `${window.weight !== undefined ? `${window.weight}% ` : ''}${window.phase} check ${previous.checks + 1}: ${notes.join('; ')}`;
  const state: VerificationState = { checks: previous.checks + 1, done, startedAt, consecutiveHealthFailures, verdict, bakeUntil };
  // Stryker disable next-line ConditionalExpression: equivalent: `reference: undefined` leaves the Lambda as JSON, which drops it.
  if (metrics.reference !== undefined) state.reference = metrics.reference;
  // Stryker disable next-line ConditionalExpression: equivalent: `figures: undefined` leaves the Lambda as JSON, which drops it.
  if (metrics.figures !== undefined) state.figures = metrics.figures;
  if (done && window.phase !== 'rollout') await recordVerdict(deployment, window, verdict);
  logger.info('verification', { serviceName: deployment.service, ...state });
  return state;
});
