/**
 * The config as a file: YAML text in, validated config out, and the JSON
 * Schema that lets editors complete `deployer.config.yaml`. Used by CDK and
 * the CLI; kept apart from `config.ts` so the Lambdas (which receive the
 * config already validated, as JSON) do not bundle a YAML parser and the
 * JSON Schema generator.
 */
import * as z from 'zod/mini';
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node, type Pair } from 'yaml';
import { ConfigError, DeployerConfigSchema, EcsServiceListSchema, parseConfig, type DeployerConfig, type LocateField, type SourcePosition } from './config.ts';
import { VmServiceListSchema } from './vm-config.ts';

/** The value node of a pair, or its key when the value is absent (`ecs:` with nothing after it). */
function valueOrKey(pair: Pair): unknown {
  const value = pair.value;
  if (value === null || (isScalar(value) && value.value === null && value.source === '')) return pair.key;
  return value;
}

function pairOf(node: unknown, key: PropertyKey): Pair | undefined {
  if (!isMap(node)) return undefined;
  return node.items.find((pair) => (isScalar(pair.key) ? pair.key.value : pair.key) === key);
}

function startOf(node: unknown): number | undefined {
  return (node as Partial<Node> | null)?.range?.[0];
}

/**
 * Positions of fields in a parsed YAML document: the node at the path, or
 * the deepest node on the way to it that exists (the entry a missing field
 * belongs in). Fields that come from an alias or a merge key (`<<: *base`)
 * are found where the alias is used.
 */
export function yamlLocator(doc: Document, lineCounter: LineCounter): LocateField {
  return (path, key) => {
    let node: unknown = doc.contents;
    for (const step of path) {
      if (isAlias(node)) node = node.resolve(doc);
      if (isMap(node)) {
        const pair = pairOf(node, step);
        if (pair === undefined) break;
        node = valueOrKey(pair);
      } else if (isSeq(node) && typeof step === 'number' && node.items[step] !== undefined) {
        node = node.items[step];
      } else break;
    }
    if (key !== undefined) {
      const pair = pairOf(isAlias(node) ? node.resolve(doc) : node, key);
      if (pair !== undefined) node = pair.key;
    }
    const offset = startOf(node);
    // An empty document has no node at all: its problems are at the top of the file.
    if (offset === undefined) return { line: 1, column: 1 };
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
}

/** The first line of a YAML parser message, without the position the problem line already gives. */
function yamlMessage(message: string): string {
  const first = message.split('\n')[0] ?? message;
  return first.replace(/ at line \d+, column \d+:?$/, '');
}

/**
 * Parse and validate the YAML text of a config file. A problem names the
 * file, line and column, the field and what to write (`ConfigError`).
 */
export function parseConfigYaml(text: string, source = 'config'): DeployerConfig {
  const lineCounter = new LineCounter();
  // Merge keys (`<<: *defaults`) let a file share settings between services.
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, merge: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      source,
      doc.errors.map((e) => {
        const at = e.linePos?.[0];
        const position: SourcePosition | undefined = at === undefined ? undefined : { line: at.line, column: at.col };
        const problem = `YAML syntax: ${yamlMessage(e.message)}`;
        return position === undefined ? { text: problem } : { text: problem, position };
      }),
    );
  }
  return parseConfig(doc.toJS() ?? {}, source, yamlLocator(doc, lineCounter));
}

/** The JSON Schema of the config file, for editors (`# yaml-language-server: $schema=...`). */
export function configJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(DeployerConfigSchema, {
    io: 'input',
    unrepresentable: 'any',
    override: ({ zodSchema, jsonSchema }) => {
      // Editors should flag an empty `ecs:` or `vm:` (no services) rather than accept null there.
      if (zodSchema !== EcsServiceListSchema && zodSchema !== VmServiceListSchema) return;
      const [list] = jsonSchema.anyOf ?? [];
      if (list === undefined || typeof list !== 'object') return;
      delete jsonSchema.anyOf;
      Object.assign(jsonSchema, list);
    },
  }) as Record<string, unknown>;
}
