import { describe, expect, it } from 'vitest';
import { ConfigError, findService, parseConfig } from '../../../lambdas/shared/config.ts';
import { configJsonSchema, parseConfigYaml } from '../../../lambdas/shared/config-file.ts';
import { exampleConfigText } from '../../support/lambda-fixtures.ts';

/** A minimal valid service, as YAML lines under `ecs:`; `extra` lines are appended to it. */
function serviceYaml(name: string, extra: string[] = [], omit: string[] = []): string {
  const fields: Record<string, string> = {
    name,
    cluster: 'prod',
    service: name,
    container: 'app',
    repository: 'team/app',
  };
  const lines = Object.entries(fields)
    .filter(([key]) => !omit.includes(key))
    .map(([key, value], index) => `${index === 0 ? '  - ' : '    '}${key}: ${value}`);
  return [...lines, ...extra.map((line) => `    ${line}`)].join('\n');
}

function configYaml(...services: string[]): string {
  return `ecs:\n${services.join('\n')}\n`;
}

/** The problems a bad config is reported with. */
function problemsOf(text: string): string[] {
  try {
    parseConfigYaml(text, 'deployer.config.yaml');
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('the config was accepted');
}

describe('config file', () => {
  it('accepts the example config shipped with the project', () => {
    // Prepare
    const text = exampleConfigText();

    // Act
    const config = parseConfigYaml(text, 'examples/deployer.config.yaml');

    // Assess
    expect(config.ecs.map((s) => s.name)).toEqual(['web', 'orders-api']);
    expect(findService(config, 'orders-api')).toMatchObject({ repository: 'team/orders-api', tagPattern: 'release-*' });
  });

  it('fills in the documented defaults for settings a service leaves out', () => {
    // Prepare
    const text = configYaml(serviceYaml('web', ['healthCheck: { url: "https://web.example.com/health" }']));

    // Act
    const [svc] = parseConfigYaml(text).ecs;

    // Assess
    expect(svc).toMatchObject({
      tagPattern: '*',
      strategy: 'rolling',
      alarms: [],
      bakeSeconds: 300,
      verifyIntervalSeconds: 30,
      deploymentTimeoutSeconds: 1800,
      healthCheck: { url: 'https://web.example.com/health', expectedStatus: 200, timeoutSeconds: 5, failureThreshold: 2 },
    });
  });

  it('treats an empty file as a config with no services', () => {
    // Prepare
    const text = '# nothing yet\n';

    // Act
    const config = parseConfigYaml(text);

    // Assess
    expect(config.ecs).toEqual([]);
  });

  it('reports a missing cluster as required, naming the field', () => {
    // Prepare
    const text = configYaml(serviceYaml('web', [], ['cluster']));

    // Act
    const problems = problemsOf(text);

    // Assess
    expect(problems).toEqual([expect.stringMatching(/^ecs\[0\]\.cluster: required/)]);
  });

  it('names a misspelt key so the typo can be found', () => {
    // Prepare
    const text = configYaml(serviceYaml('web', ['bakeSecond: 60']));

    // Act
    const problems = problemsOf(text);

    // Assess
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^ecs\[0\]: unknown field 'bakeSecond'/);
  });

  it('rejects a health check URL that is not http(s)', () => {
    // Prepare
    const text = configYaml(serviceYaml('web', ['healthCheck: { url: "ftp://web.example.com/health" }']));

    // Act
    const problems = problemsOf(text);

    // Assess
    expect(problems).toEqual([expect.stringMatching(/^ecs\[0\]\.healthCheck\.url: .*http/)]);
  });

  it('rejects a repository given as a full image reference', () => {
    // Prepare
    const text = configYaml(
      serviceYaml('web', [], ['repository']).concat('\n    repository: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/web:v1"'),
    );

    // Act
    const problems = problemsOf(text);

    // Assess
    expect(problems).toEqual([expect.stringMatching(/^ecs\[0\]\.repository: .*ECR repository name/)]);
  });

  it('rejects two services with the same name, pointing at the second one', () => {
    // Prepare
    const text = configYaml(serviceYaml('web'), serviceYaml('api'), serviceYaml('web'));

    // Act
    const problems = problemsOf(text);

    // Assess
    expect(problems).toEqual([expect.stringMatching(/^ecs\[2\]\.name: duplicate service name 'web' \(already used by ecs\[0\]\)/)]);
  });

  it('reports YAML syntax errors instead of validating a half-read file', () => {
    // Prepare
    const text = 'ecs: [ { name: web\n';

    // Act
    const problems = problemsOf(text);

    // Assess
    expect(problems.length).toBeGreaterThan(0);
    for (const problem of problems) expect(problem).toMatch(/^YAML syntax: /);
  });

  it('says which strategies are available when another one is asked for', () => {
    // Prepare
    const text = configYaml(serviceYaml('web', ['strategy: canary']));

    // Act
    const problems = problemsOf(text);

    // Assess
    expect(problems).toEqual([expect.stringMatching(/^ecs\[0\]\.strategy: .*"rolling"/)]);
  });

  it('gives one line per problem when a file has several', () => {
    // Prepare
    const text = configYaml(serviceYaml('web', ['bakeSeconds: -1'], ['container']), serviceYaml('Bad_Name'));

    // Act
    const problems = problemsOf(text);

    // Assess
    expect(problems).toHaveLength(3);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^ecs\[0\]\.container: required/),
        expect.stringMatching(/^ecs\[0\]\.bakeSeconds: /),
        expect.stringMatching(/^ecs\[1\]\.name: /),
      ]),
    );
  });

  it('puts the source and every problem in the error message', () => {
    // Prepare
    const raw = { ecs: [{ name: 'web', service: 'web', container: 'app', repository: 'web' }] };

    // Act
    const parse = () => parseConfig(raw, 'my-config.yaml');

    // Assess
    expect(parse).toThrow(ConfigError);
    expect(parse).toThrow(/^my-config\.yaml is not a valid deployer config:\n {2}- ecs\[0\]\.cluster: required/);
  });
});

describe('config JSON Schema', () => {
  it('describes the ECS services with the fields a service must have', () => {
    // Prepare
    const schema = configJsonSchema() as {
      $schema?: string;
      properties: { ecs: { type: string; items: { required: string[]; properties: Record<string, unknown> } } };
    };

    // Act
    const items = schema.properties.ecs.items;

    // Assess
    expect(schema.$schema).toMatch(/json-schema\.org/);
    expect(schema.properties.ecs.type).toBe('array');
    expect(items.required).toEqual(expect.arrayContaining(['name', 'cluster', 'service', 'container', 'repository']));
    // Settings with defaults may be left out of the file.
    expect(items.required).not.toContain('bakeSeconds');
    expect(Object.keys(items.properties)).toEqual(expect.arrayContaining(['healthCheck', 'alarms', 'tagPattern']));
  });

  it('is plain JSON an editor can load', () => {
    // Prepare
    const schema = configJsonSchema();

    // Act
    const roundTripped: unknown = JSON.parse(JSON.stringify(schema));

    // Assess
    expect(roundTripped).toEqual(schema);
  });
});
