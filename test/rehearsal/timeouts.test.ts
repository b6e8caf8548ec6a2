/**
 * Slow endpoints and slow AWS calls, rehearsed on the virtual clock: a slow
 * health check is one failed check (never a function timeout that rolls back
 * at once), and a function that times out is invoked again.
 */
import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { ALL_FUNCTIONS, functionTimeoutSeconds } from '../../lambdas/registry.ts';
import { healthCheckFields } from '../../lambdas/shared/config-fields.ts';
import { rehearseDeployment } from '../../simulator/rehearsal.ts';
import { exampleConfig, webImage } from '../support/example-config.ts';

const config = exampleConfig();
const HEALTH = 'https://web.example.com/health';

describe('timeouts, rehearsed', () => {
  it('gives Verify room for the longest health check and its other calls', () => {
    const longestCheck = z.toJSONSchema(healthCheckFields.timeoutSeconds, { io: 'input' }).maximum ?? Number.POSITIVE_INFINITY;
    expect(functionTimeoutSeconds(ALL_FUNCTIONS.Verify)).toBeGreaterThanOrEqual(longestCheck + 20);
  });

  it('counts a health check that times out as one failed check: the deployment goes on when the next one passes', async () => {
    // Act: the endpoint takes 10 s (the check waits 5 s) for the first 40 seconds of the rollout only.
    const { report, record } = await rehearseDeployment({ config, service: 'web', image: webImage('v1.1.0') }, (rehearsal) => {
      rehearsal.world.http.setResponse(HEALTH, { status: 200, body: { status: 'UP' }, delaySeconds: 10 });
      rehearsal.clock.at(rehearsal.clock.now() + 40_000, () => rehearsal.world.http.clearResponse(HEALTH));
    });

    // Assess
    expect(report.status).toBe('SUCCEEDED');
    const first = record.visits.find((v) => v.name === 'VerifyRollout')!.output as { verification: { verdict: string; consecutiveHealthFailures: number } };
    expect(first.verification.consecutiveHealthFailures).toBe(1);
    expect(first.verification.verdict).toContain('TimeoutError');
    expect(record.retries).toBe(0);
  });

  it('rolls back after failureThreshold slow checks in a row, saying the checks timed out (not the function)', async () => {
    // Act
    const { report, record } = await rehearseDeployment({ config, service: 'web', image: webImage('v1.1.0') }, (rehearsal) => {
      rehearsal.world.http.setResponse(HEALTH, { status: 200, body: { status: 'UP' }, delaySeconds: 10 });
    });

    // Assess
    expect(report.status).toBe('ROLLED_BACK');
    expect(report.error?.cause).toMatch(/VerificationFailed: health check failed 2 time\(s\) in a row: GET https:\/\/web\.example\.com\/health failed: TimeoutError/);
    expect(record.retries).toBe(0);
    expect(report.final).toEqual(report.initial);
  });

  it('invokes a function again when it timed out (a hanging AWS call), instead of rolling back', async () => {
    // Act: the first DescribeAlarms of Verify hangs for two minutes, past the function's 60 s.
    const { report, record } = await rehearseDeployment({ config, service: 'web', image: webImage('v1.1.0') }, (rehearsal) => {
      rehearsal.world.delayCalls({ functionKey: 'Verify', action: 'cloudwatch:DescribeAlarms' }, 120, 1);
    });

    // Assess
    expect(report.status).toBe('SUCCEEDED');
    expect(record.retries).toBe(1);
    const retried = record.visits.find((v) => v.error?.error === 'Lambda.Unknown')!;
    expect(retried.error?.cause).toContain('Task timed out after 60.00 seconds');
    // The state went on after the retry: no rollback.
    expect(record.visits.map((v) => v.name)).not.toContain('RollbackService');
  });
});
