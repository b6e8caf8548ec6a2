/**
 * The Lambdas validate with zod's tree-shakable API, `zod/mini`. Classic zod
 * (`import * as z from 'zod'`) cannot be tree-shaken: one import anywhere a
 * handler reaches puts its whole module (~70 KB) back into that bundle and
 * 10-17 ms back into every cold start (issue 6; `npm run bench` shows it).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fromRepoRoot } from '../../infra/repo-root.ts';

/** Every TypeScript source under lambdas/. */
function lambdaSources(dir = fromRepoRoot('lambdas')): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return lambdaSources(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

/** The zod entry points a source imports from (type-only imports included: they cost nothing, but one spelling is easier to keep). */
function zodImports(file: string): string[] {
  return [...readFileSync(file, 'utf8').matchAll(/from '(zod(?:\/[^']*)?)'/g)].map((m) => m[1]!);
}

describe('the Lambdas and zod', () => {
  it('import zod only as zod/mini', () => {
    // Prepare
    const sources = lambdaSources();

    // Act
    const classic = sources.flatMap((file) => zodImports(file).filter((from) => from !== 'zod/mini').map((from) => `${path.relative(fromRepoRoot('.'), file)}: '${from}'`));

    // Assess
    expect(sources.length).toBeGreaterThan(50);
    expect(classic).toEqual([]);
  });
});
