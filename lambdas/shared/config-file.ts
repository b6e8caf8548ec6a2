/**
 * The config as a file: YAML text in, validated config out, and the JSON
 * Schema that lets editors complete `deployer.config.yaml`. Used by CDK and
 * the CLI; kept apart from `config.ts` so the Lambdas (which receive the
 * config already validated, as JSON) do not bundle a YAML parser and the
 * JSON Schema generator.
 */
import * as z from 'zod';
import { parseDocument } from 'yaml';
import { ConfigError, DeployerConfigSchema, parseConfig, type DeployerConfig } from './config.ts';

/** Parse and validate the YAML text of a config file. */
export function parseConfigYaml(text: string, source = 'config'): DeployerConfig {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      source,
      doc.errors.map((e) => `YAML syntax: ${e.message.split('\n')[0] ?? e.message}`),
    );
  }
  return parseConfig(doc.toJS() ?? {}, source);
}

/** The JSON Schema of the config file, for editors (`# yaml-language-server: $schema=...`). */
export function configJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(DeployerConfigSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}
