import * as z from 'zod';
import { describe, expect, it } from 'vitest';
import { fieldPath, formatIssues } from '../../../lambdas/shared/format-issues.ts';

function problemsOf(schema: z.ZodType, value: unknown): string[] {
  const result = schema.safeParse(value);
  if (result.success) throw new Error('accepted');
  return formatIssues(result.error.issues);
}

describe('problems, one line per field', () => {
  it.each([
    [[], '(root)'],
    [['ecs'], 'ecs'],
    [['ecs', 0, 'healthCheck', 'url'], 'ecs[0].healthCheck.url'],
    [['ecs', 2, 'steps', 1, 'weight'], 'ecs[2].steps[1].weight'],
    [[0, 'name'], '[0].name'],
  ])('writes the path %j as %j, the way it reads in YAML', (path, written) => {
    // Prepare
    const input = path as PropertyKey[];

    // Act
    const result = fieldPath(input);

    // Assess
    expect(result).toBe(written);
  });

  it('says a missing field is required, with the type it takes', () => {
    // Prepare
    const schema = z.object({ ecs: z.array(z.object({ cluster: z.string() })) });

    // Act
    const problems = problemsOf(schema, { ecs: [{}] });

    // Assess
    expect(problems).toEqual(['ecs[0].cluster: required (text)']);
  });

  it('names unknown fields so a typo can be found', () => {
    // Prepare
    const schema = z.strictObject({ bakeSeconds: z.number().optional() });

    // Act
    const problems = [problemsOf(schema, { bakeSecond: 1 }), problemsOf(schema, { a: 1, b: 2 })];

    // Assess
    expect(problems).toEqual([
      ["(root): unknown field 'bakeSecond' (check the spelling, or remove it)"],
      ["(root): unknown fields 'a', 'b' (check the spelling, or remove it)"],
    ]);
  });

  it('lists what a discriminator may be when it is missing or unknown', () => {
    // Prepare
    const schema = z.discriminatedUnion('strategy', [
      z.object({ strategy: z.literal('rolling') }),
      z.object({ strategy: z.literal('canary') }),
    ]);

    // Act
    const problems = [problemsOf(schema, {}), problemsOf(schema, { strategy: 'linear' })];

    // Assess
    expect(problems).toEqual([['strategy: must be one of "rolling", "canary"'], ['strategy: must be one of "rolling", "canary"']]);
  });

  it('passes other messages on after the field', () => {
    // Prepare
    const schema = z.object({ weight: z.number().max(100, 'at most 100') });

    // Act
    const problems = problemsOf(schema, { weight: 150 });

    // Assess
    expect(problems).toEqual(['weight: at most 100']);
  });
});
