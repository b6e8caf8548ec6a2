/**
 * Validation problems as people read them: one line per field, naming the
 * field as it is written in YAML or JSON (`ecs[0].healthCheck.url`) and
 * saying what to write instead. Zod's own messages ("Invalid input: expected
 * string, received undefined") are replaced by {@link issueMessage}; the
 * messages a schema states itself (`.regex(re, 'an ECR repository name ...')`)
 * are kept.
 */
import { distance } from 'fastest-levenshtein';
import { globalRegistry, type core } from 'zod/mini';

/**
 * Render a dotted/bracketed field path the way a user writes it in YAML or
 * JSON: `ecs[0].healthCheck.url`.
 */
export function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out === '' ? '(root)' : out;
}

/** A value's kind in the words of a YAML/JSON file. */
function kindOf(value: unknown): string {
  if (value === null) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  switch (typeof value) {
    case 'string':
      return `the text ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
    case 'number':
      return `the number ${value}`;
    case 'boolean':
      return `${value}`;
    case 'object':
      return 'a mapping';
    default:
      return typeof value;
  }
}

/** What a schema expects, in the same words. */
function expectedKind(expected: string): string {
  switch (expected) {
    case 'string':
      return 'text';
    case 'number':
      return 'a number';
    case 'int':
      return 'a whole number';
    case 'boolean':
      return 'true or false';
    case 'array':
    case 'tuple':
      return 'a list';
    case 'object':
    case 'record':
    case 'map':
      return 'a mapping';
    default:
      return expected;
  }
}

/** The description a schema was given with `z.describe()`, as a clause (no final period). */
function descriptionOf(inst: core.$ZodType | core.$ZodCheck | undefined): string | undefined {
  // zod/mini schemas carry no `.description`: it is kept in the global registry `z.describe()` writes to
  // (a check is never registered there: the lookup finds nothing).
  const description = inst === undefined ? undefined : globalRegistry.get(inst as core.$ZodType)?.description;
  if (typeof description !== 'string' || description === '') return undefined;
  // "ECS cluster name or ARN" stays as it is; "The primary ECS service" reads on after a colon as "the primary ...".
  const clause = /^[A-Z][a-z]/.test(description) ? `${description[0]?.toLowerCase() ?? ''}${description.slice(1)}` : description;
  return clause.replace(/\.$/, '');
}

/** A missing field: what it is, from its description, or `undescribed` when it has none. */
function requiredMessage(inst: core.$ZodType | core.$ZodCheck | undefined, undescribed: string): string {
  const described = descriptionOf(inst);
  return described === undefined ? undescribed : `required: ${described}`;
}

/** The keys an object schema knows, to suggest the one a misspelt key was meant to be. */
function knownKeys(inst: unknown): string[] {
  const shape = (inst as { shape?: unknown } | undefined)?.shape;
  return shape !== null && typeof shape === 'object' ? Object.keys(shape) : [];
}

/** The known key closest to a misspelt one, when it is close enough to be a typo. */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  let best: { key: string; distance: number } | undefined;
  for (const candidate of known) {
    const d = distance(key.toLowerCase(), candidate.toLowerCase());
    if (best === undefined || d < best.distance) best = { key: candidate, distance: d };
  }
  // A third of the key's length, at least 1 and at most 3 edits: `bakeSecond` -> bakeSeconds, not `foo` -> name.
  const allowed = Math.min(3, Math.max(1, Math.floor(key.length / 3)));
  return best !== undefined && best.distance <= allowed ? best.key : undefined;
}

function unknownKeysMessage(keys: readonly string[], known: readonly string[]): string {
  const named = keys.map((k) => `'${k}'`).join(', ');
  const suggestions = keys.flatMap((k) => {
    const close = closestKey(k, known);
    if (close === undefined) return [];
    return [keys.length === 1 ? `'${close}'` : `'${close}' for '${k}'`];
  });
  const fix = suggestions.length > 0 ? `did you mean ${suggestions.join(', ')}?` : 'check the spelling, or remove it';
  return `unknown field${keys.length > 1 ? 's' : ''} ${named} (${fix})`;
}

function sizeMessage(bound: 'at least' | 'at most', origin: string, limit: number | bigint, inclusive: boolean | undefined): string {
  const n = Number(limit);
  switch (origin) {
    case 'array':
    case 'set':
      return `${bound} ${n} item${n === 1 ? '' : 's'}`;
    case 'string':
      if (bound === 'at least' && n === 1) return 'empty: give a value';
      return `${bound} ${n} character${n === 1 ? '' : 's'}`;
    default:
      if (inclusive === false) return `${bound === 'at least' ? 'more' : 'less'} than ${n}`;
      return `${bound} ${n}`;
  }
}

/**
 * Zod error map (pass it as `schema.safeParse(value, { error: issueMessage })`)
 * that says what to write: "required (ECS cluster name or ARN)" for a missing
 * field, "at least 0" for a number too small, "unknown field 'bakeSecond'
 * (did you mean 'bakeSeconds'?)". A message the schema gives itself wins.
 */
export const issueMessage: core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type': {
      if (issue.input === undefined) return requiredMessage(issue.inst, `required (${expectedKind(issue.expected)})`);
      if (issue.input === null) return `empty: give ${expectedKind(issue.expected)}, or remove the field`;
      return `expected ${expectedKind(issue.expected)}, not ${kindOf(issue.input)}`;
    }
    case 'too_small':
      return sizeMessage('at least', issue.origin, issue.minimum, issue.inclusive);
    case 'too_big':
      return sizeMessage('at most', issue.origin, issue.maximum, issue.inclusive);
    case 'invalid_value':
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'invalid_union': {
      // A missing field whose schema is a union (`equals: text, number or true/false`).
      if (issue.input === undefined) return requiredMessage(issue.inst, 'required');
      const options: unknown = issue.options;
      // A missing or unknown discriminator (`strategy`): say what it may be.
      if (Array.isArray(options) && options.length > 0) return `must be one of ${options.map((o) => JSON.stringify(o)).join(', ')}`;
      return undefined;
    }
    case 'invalid_format':
      if (issue.format === 'email') return 'an email address, e.g. ops@example.com';
      if (issue.format === 'url') return 'an http:// or https:// URL';
      if (issue.format === 'datetime') return 'an ISO-8601 timestamp, e.g. 2026-01-31T12:00:00Z';
      // zod/mini loads no English messages: a pattern the schema does not explain still says what it wants.
      if (issue.format === 'regex' && issue.pattern !== undefined) return `must match ${issue.pattern}`;
      return `not a valid ${issue.format}`;
    case 'not_multiple_of':
      return `a multiple of ${issue.divisor}`;
    case 'unrecognized_keys':
      return unknownKeysMessage(issue.keys, knownKeys(issue.inst));
    default:
      return undefined;
  }
};

/** One problem: where it is (the path of the field) and what to do, as a line. */
export interface Problem {
  readonly path: readonly PropertyKey[];
  /** `ecs[0].cluster: required (ECS cluster name or ARN)` */
  readonly text: string;
  /** For an unknown field: its key, so a file position can point at it. */
  readonly key?: string;
}

/** The problems of a failed parse, each naming its field. */
export function problemsOf(issues: readonly core.$ZodIssue[]): Problem[] {
  return issues.map((issue) => {
    const where = fieldPath(issue.path);
    if (issue.code === 'unrecognized_keys') {
      // Parsed without issueMessage: zod says "Unrecognized key"; say what to do.
      const text = /^unknown field/.test(issue.message) ? issue.message : unknownKeysMessage(issue.keys, []);
      const key = issue.keys[0];
      return key === undefined ? { path: issue.path, text: `${where}: ${text}` } : { path: issue.path, text: `${where}: ${text}`, key };
    }
    if (issue.code === 'invalid_type' && /received undefined/.test(issue.message)) {
      return { path: issue.path, text: `${where}: required (${expectedKind(issue.expected)})` };
    }
    if (issue.code === 'invalid_key') {
      // A mapping key its schema refuses (`vars: { log-level: … }`): the key schema's own message says what to write.
      const inner = issue.issues[0]?.message;
      return { path: issue.path, text: `${where}: ${inner ?? issue.message}` };
    }
    const options = issue.code === 'invalid_union' && 'options' in issue ? issue.options : undefined;
    if (Array.isArray(options) && !/^must be one of/.test(issue.message)) {
      // A missing or unknown discriminator (`strategy`): say what it may be.
      return { path: issue.path, text: `${where}: must be one of ${options.map((o) => JSON.stringify(o)).join(', ')}` };
    }
    return { path: issue.path, text: `${where}: ${issue.message}` };
  });
}

/** One line per problem, each naming the field and what to do about it. */
export function formatIssues(issues: readonly core.$ZodIssue[]): string[] {
  return problemsOf(issues).map((problem) => problem.text);
}
