/**
 * Tag patterns as the deployer matches them: globs with `*` and `?` (the
 * config allows nothing else), matched against the whole tag.
 */
import picomatch from 'picomatch';

/** Whether `tag` matches the service's `tagPattern`. */
export function matchesTagPattern(tag: string, pattern: string): boolean {
  return picomatch.isMatch(tag, pattern);
}
