import type { z } from 'zod';

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

/** One line per problem, each naming the field and what to do about it. */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((issue) => {
    const where = fieldPath(issue.path);
    if (issue.code === 'invalid_type' && /received undefined/.test(issue.message)) {
      return `${where}: required (${issue.expected})`;
    }
    if (issue.code === 'unrecognized_keys') {
      return `${where}: unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')} (check the spelling)`;
    }
    const options = issue.code === 'invalid_union' && 'options' in issue ? issue.options : undefined;
    if (Array.isArray(options)) {
      // A missing or unknown discriminator (`strategy`): say what it may be.
      const allowed = options.map((o) => JSON.stringify(o)).join(', ');
      return `${where}: must be one of ${allowed}`;
    }
    return `${where}: ${issue.message}`;
  });
}
