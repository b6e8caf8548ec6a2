import * as z from 'zod';
import * as zm from 'zod/mini';
import { describe, expect, it } from 'vitest';
import { closestKey, fieldPath, formatIssues, issueMessage } from '../../../lambdas/shared/format-issues.ts';

function problemsOf(schema: z.ZodType, value: unknown): string[] {
  const result = schema.safeParse(value);
  if (result.success) throw new Error('accepted');
  return formatIssues(result.error.issues);
}

/** The problems as the config, the handlers and the CLI report them: with the error map. */
function messagesOf(schema: z.core.$ZodType, value: unknown): string[] {
  const result = z.safeParse(schema, value, { error: issueMessage });
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

  describe('with the error map: what to write instead', () => {
    it('says a missing field is required with what the field is, from its description', () => {
      // Prepare
      const schema = z.object({ cluster: z.string().describe('ECS cluster name or ARN.'), service: z.string().describe('The primary ECS service.') });

      // Act
      const problems = messagesOf(schema, {});

      // Assess
      expect(problems).toEqual(['cluster: required: ECS cluster name or ARN', 'service: required: the primary ECS service']);
    });

    it('suggests the field a misspelt key was meant to be, and nothing for a key unlike any', () => {
      // Prepare
      const schema = z.strictObject({ bakeSeconds: z.number().optional(), tagPattern: z.string().optional() });

      // Act
      const problems = [messagesOf(schema, { bakeSecond: 1 }), messagesOf(schema, { tagpatern: 'v*', zzz: 1 }), messagesOf(schema, { colour: 'red' })];

      // Assess
      expect(problems).toEqual([
        ["(root): unknown field 'bakeSecond' (did you mean 'bakeSeconds'?)"],
        ["(root): unknown fields 'tagpatern', 'zzz' (did you mean 'tagPattern' for 'tagpatern'?)"],
        ["(root): unknown field 'colour' (check the spelling, or remove it)"],
      ]);
    });

    it.each([
      ['a number too small', z.object({ n: z.number().min(10) }), { n: 1 }, 'n: at least 10'],
      ['a number too large', z.object({ n: z.number().max(100) }), { n: 101 }, 'n: at most 100'],
      ['a number not above an exclusive bound', z.object({ n: z.number().gt(0) }), { n: 0 }, 'n: more than 0'],
      ['a list too short', z.object({ l: z.array(z.string()).min(1) }), { l: [] }, 'l: at least 1 item'],
      ['a list too long', z.object({ l: z.array(z.string()).max(2) }), { l: ['a', 'b', 'c'] }, 'l: at most 2 items'],
      ['an empty text', z.object({ s: z.string().min(1) }), { s: '' }, 's: empty: give a value'],
      ['text where a number goes', z.object({ n: z.number() }), { n: 'five' }, 'n: expected a number, not the text "five"'],
      ['a list where a mapping goes', z.object({ o: z.object({}) }), { o: [] }, 'o: expected a mapping, not a list'],
      ['nothing after a key', z.object({ n: z.number() }), { n: null }, 'n: empty: give a number, or remove the field'],
      ['a value outside an enum', z.object({ e: z.enum(['report', 'block']) }), { e: 'warn' }, 'e: must be one of "report", "block"'],
      ['a bad email address', z.object({ m: z.email() }), { m: 'ops' }, 'm: an email address, e.g. ops@example.com'],
    ])('says what to write for %s', (_what, schema, value, problem) => {
      // Act
      const problems = messagesOf(schema, value);

      // Assess
      expect(problems).toEqual([problem]);
    });

    it('says the same of zod/mini schemas, as the Lambdas build them: descriptions from the registry, formats and missing unions without English messages', () => {
      // Prepare: zod/mini keeps descriptions in zod's registry and loads no English messages of its own.
      const schema = zm.object({
        cluster: zm.string().check(zm.describe('ECS cluster name or ARN.')),
        size: zm.string().check(zm.regex(/^(100|[1-9][0-9]?)%$/)),
        at: zm.iso.datetime(),
        count: zm.number().check(zm.int(), zm.gte(1)),
        equals: zm.union([zm.string(), zm.number()]).check(zm.describe('Value the field must equal, e.g. "UP".')),
      });

      // Act
      const problems = messagesOf(schema, { size: '120%', at: 'yesterday', count: 0 });

      // Assess
      expect(problems).toEqual([
        'cluster: required: ECS cluster name or ARN',
        'size: must match /^(100|[1-9][0-9]?)%$/',
        'at: an ISO-8601 timestamp, e.g. 2026-01-31T12:00:00Z',
        'count: at least 1',
        'equals: required: value the field must equal, e.g. "UP"',
      ]);
    });

    it('keeps a message the schema states itself', () => {
      // Prepare
      const schema = z.object({ repository: z.string().regex(/^[a-z]+$/, 'an ECR repository name such as "web"') });

      // Act
      const problems = messagesOf(schema, { repository: 'Web' });

      // Assess
      expect(problems).toEqual(['repository: an ECR repository name such as "web"']);
    });
  });

  it.each([
    ['bakeSecond', 'bakeSeconds'],
    ['tagpattern', 'tagPattern'],
    ['strategie', 'strategy'],
    ['foo', undefined],
    ['x', undefined],
  ])('takes %s for %s only when it is a likely typo', (key, expected) => {
    // Act
    const close = closestKey(key, ['bakeSeconds', 'tagPattern', 'strategy', 'name']);

    // Assess
    expect(close).toBe(expected);
  });
});
