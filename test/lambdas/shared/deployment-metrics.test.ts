import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { emitDeploymentMetric, emitLockAges } from '../../../lambdas/shared/deployment-metrics.ts';

interface Emf {
  _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
  [key: string]: unknown;
}

/** The EMF lines written to stdout while `act` runs (what CloudWatch Logs turns into metrics). */
function emfLines(act: () => void): Emf[] {
  const lines: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  try {
    act();
  } finally {
    spy.mockRestore();
  }
  return lines.flatMap((l) => l.split('\n')).filter((l) => l.includes('"_aws"')).map((l) => JSON.parse(l) as Emf);
}

/** `{metric name: value}` with the dimension values of one EMF line. */
function summary(line: Emf): { namespace: string; dimensions: Record<string, unknown>; metrics: Record<string, unknown> } {
  const directive = line._aws.CloudWatchMetrics[0]!;
  return {
    namespace: directive.Namespace,
    dimensions: Object.fromEntries(directive.Dimensions.flat().map((d) => [d, line[d]])),
    metrics: Object.fromEntries(directive.Metrics.map((m) => [m.Name, line[m.Name]])),
  };
}

describe('deployment metrics', () => {
  beforeEach(() => {
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
    vi.stubEnv('POWERTOOLS_METRICS_NAMESPACE', 'Deployer/EcsDeployer');
  });

  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('counts a rolled-back deployment per service with its duration, and once for the whole deployer', () => {
    // Act
    const lines = emfLines(() => emitDeploymentMetric({ service: 'web', status: 'ROLLED_BACK', durationSeconds: 742 }));

    // Assess
    expect(lines.map(summary)).toEqual([
      {
        namespace: 'Deployer/EcsDeployer',
        dimensions: { service: 'deployer', ServiceName: 'web' },
        metrics: { RolledBack: 1, DurationSeconds: 742 },
      },
      { namespace: 'Deployer/EcsDeployer', dimensions: { service: 'deployer' }, metrics: { RolledBack: 1 } },
    ]);
  });

  it('counts a start without a duration', () => {
    // Act
    const lines = emfLines(() => emitDeploymentMetric({ service: 'checkout', status: 'IN_PROGRESS', durationSeconds: 0 }));

    // Assess
    expect(lines.map(summary).map((l) => l.metrics)).toEqual([{ Started: 1 }, { Started: 1 }]);
  });

  it('counts a failure (not rolled back) deployer-wide, which the FailedDeployments alarm watches', () => {
    // Act
    const lines = emfLines(() => emitDeploymentMetric({ service: 'payments', status: 'FAILED', durationSeconds: 30 }));

    // Assess
    expect(summary(lines[1]!)).toEqual({ namespace: 'Deployer/EcsDeployer', dimensions: { service: 'deployer' }, metrics: { Failed: 1 } });
  });

  it('emits nothing when metrics are disabled (the rehearsal)', () => {
    // Prepare
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'true');

    // Act
    const lines = emfLines(() => emitDeploymentMetric({ service: 'web', status: 'SUCCEEDED', durationSeconds: 10 }));

    // Assess
    expect(lines).toEqual([]);
  });

  it('reports the age of held locks per service and how many are overdue, zero included', () => {
    // Act
    const overdue = emfLines(() =>
      emitLockAges([
        { service: 'web', ageSeconds: 90_000, overdue: true },
        { service: 'checkout', overdue: false },
      ]),
    );
    const none = emfLines(() => emitLockAges([{ service: 'checkout', overdue: false }]));

    // Assess
    expect(overdue.map(summary)).toEqual([
      { namespace: 'Deployer/EcsDeployer', dimensions: { service: 'deployer', ServiceName: 'web' }, metrics: { LockAgeSeconds: 90_000 } },
      { namespace: 'Deployer/EcsDeployer', dimensions: { service: 'deployer' }, metrics: { OverdueLocks: 1 } },
    ]);
    expect(none.map(summary)).toEqual([{ namespace: 'Deployer/EcsDeployer', dimensions: { service: 'deployer' }, metrics: { OverdueLocks: 0 } }]);
  });
});
