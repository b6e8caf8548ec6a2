/**
 * Editor completion for a config file: the `# yaml-language-server:
 * $schema=REF` line at its top names the JSON Schema, relative to the file.
 * After the README's copy step the schema must be where that line says, and
 * current; `deployer validate` says so when it is not.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { configJsonSchema } from '../../lambdas/shared/config-file.ts';

const MODELINE = /^#\s*yaml-language-server:\s*\$schema=(?<ref>\S+)\s*$/m;

/** The schema reference of a config file's modeline, or undefined when it has none. */
export function schemaReference(text: string): string | undefined {
  return MODELINE.exec(text)?.groups?.ref;
}

/** The JSON Schema as `deployer schema` prints it (and `npm run schema` writes it). */
export function schemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}

/**
 * A note when the config's schema reference does not lead to the current
 * schema (missing or out of date), saying the command that fixes it; undefined
 * when it does, or when the reference is a URL or absent (nothing to check).
 *
 * @param configFile path of the config file (absolute, or relative to `cwd`)
 */
export function schemaReferenceNote(configFile: string, cwd = process.cwd()): string | undefined {
  const file = path.resolve(cwd, configFile);
  const ref = schemaReference(readFileSync(file, 'utf8'));
  if (ref === undefined || /^[a-z][a-z0-9+.-]*:/i.test(ref)) return undefined;
  // yaml-language-server resolves a relative reference against the config file's directory.
  const schemaFile = path.resolve(path.dirname(file), ref);
  const shown = path.relative(cwd, schemaFile) || schemaFile;
  const fix = `run \`npx deployer schema > ${shown}\` for editor completion`;
  if (!existsSync(schemaFile)) return `${configFile} refers to its JSON Schema ${ref}, which does not exist (${schemaFile}): ${fix}`;
  if (readFileSync(schemaFile, 'utf8') !== schemaText()) return `${shown} is not the JSON Schema of this deployer version: ${fix}`;
  return undefined;
}
