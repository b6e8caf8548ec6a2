import { describe, expect, it } from 'vitest';
import { ConfigError, ecsServicesOf, findService, parseConfig } from '../../../lambdas/shared/config.ts';
import { configJsonSchema, parseConfigYaml } from '../../../lambdas/shared/config-file.ts';
import { BLUE_TG, CHECKOUT_CANARY_TG, CHECKOUT_TG, CONFIG_DOCUMENT, GREEN_TG, LISTENER_ARN, LISTENER_RULE_ARN, TEST_LISTENER_ARN, exampleConfigText } from '../../support/lambda-fixtures.ts';

/** A minimal valid rolling service, as YAML lines under `ecs:`; `extra` lines are appended to it. */
function serviceYaml(name: string, extra: string[] = [], omit: string[] = []): string {
  const fields: Record<string, string> = {
    name,
    strategy: 'rolling',
    cluster: 'prod',
    service: name,
    container: 'app',
    repository: 'team/app',
    tagPattern: '"v*"',
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

/** The problems of a config given as an object (as the YAML reads). */
function problemsOfConfig(raw: unknown): string[] {
  try {
    parseConfig(raw, 'deployer.config.yaml');
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('the config was accepted');
}

const base = { cluster: 'prod', container: 'app', tagPattern: 'v*' };
/** A valid canary entry (the test config's `checkout`), to break one field at a time. */
const canary = (overrides: Record<string, unknown> = {}) => ({
  ...base,
  name: 'checkout',
  strategy: 'canary',
  service: 'checkout',
  repository: 'checkout',
  loadBalancer: { listener: LISTENER_ARN, targetGroup: CHECKOUT_TG, canaryTargetGroup: CHECKOUT_CANARY_TG },
  ...overrides,
});
/** A valid blue-green entry (the test config's `payments`). */
const blueGreen = (overrides: Record<string, unknown> = {}) => ({
  ...base,
  name: 'payments',
  strategy: 'blue-green',
  repository: 'payments',
  blue: { service: 'payments-blue', targetGroup: BLUE_TG },
  green: { service: 'payments-green', targetGroup: GREEN_TG },
  loadBalancer: { listener: LISTENER_RULE_ARN },
  ...overrides,
});
const rolling = (name: string, overrides: Record<string, unknown> = {}) => ({ ...base, name, strategy: 'rolling', service: name, repository: name, ...overrides });

describe('config file', () => {
  it('accepts the example config shipped with the project: one service per strategy', () => {
    // Prepare
    const text = exampleConfigText();

    // Act
    const config = parseConfigYaml(text, 'examples/deployer.config.yaml');

    // Assess
    expect(config.ecs.map((s) => [s.name, s.strategy])).toEqual([
      ['web', 'rolling'],
      ['orders-api', 'rolling'],
      ['checkout', 'canary'],
      ['payments', 'blue-green'],
    ]);
    expect(findService(config, 'orders-api')).toMatchObject({ repository: 'team/orders-api', tagPattern: 'release-*' });
  });

  it('accepts the handler tests’ config', () => {
    // Prepare
    const raw = structuredClone(CONFIG_DOCUMENT);

    // Act
    const config = parseConfig(raw);

    // Assess
    expect(config.ecs).toHaveLength(4);
  });

  it('fills in the documented defaults for settings a rolling service leaves out', () => {
    // Prepare
    const text = configYaml(serviceYaml('web', ['healthCheck: { url: "https://web.example.com/health" }']));

    // Act
    const [svc] = parseConfigYaml(text).ecs;

    // Assess
    expect(svc).toMatchObject({
      tagPattern: 'v*',
      strategy: 'rolling',
      alarms: [],
      bakeSeconds: 300,
      verifyIntervalSeconds: 30,
      deploymentTimeoutSeconds: 1800,
      verification: { preexistingAlarms: 'report' },
      healthCheck: { url: 'https://web.example.com/health', expectedStatus: 200, timeoutSeconds: 5, failureThreshold: 2 },
    });
  });

  it('gives a canary the default steps 10, 50, 100% of 5 minutes, the default comparison and a 4h approval timeout', () => {
    // Prepare
    const raw = { ecs: [canary()] };

    // Act
    const [svc] = parseConfig(raw).ecs;

    // Assess
    expect(svc).toMatchObject({
      steps: [
        { kind: 'weight', weight: 10, bakeSeconds: 300 },
        { kind: 'weight', weight: 50, bakeSeconds: 300 },
        { kind: 'weight', weight: 100, bakeSeconds: 300 },
      ],
      verification: { preexistingAlarms: 'report', maxErrorRateIncrease: 1, maxLatencyRatio: 1.5, minRequests: 100, maxExtraBake: 600 },
      approvalTimeout: 4 * 3600,
    });
  });

  it('gives a blue-green service one step to 100% of 5 minutes and 15 minutes of keep-warm', () => {
    // Prepare
    const raw = { ecs: [blueGreen()] };

    // Act
    const [svc] = parseConfig(raw).ecs;

    // Assess
    expect(svc).toMatchObject({ steps: [{ kind: 'weight', weight: 100, bakeSeconds: 300 }], keepWarm: 900 });
  });

  it('reads durations written as text or as seconds, and approval steps with or without a timeout', () => {
    // Prepare
    const raw = {
      ecs: [
        canary({
          steps: [{ weight: 5, bake: '1h30m' }, { approval: true }, { weight: 20, bake: 90 }, { approval: true, timeout: '45m' }, { weight: 100 }],
          approvalTimeout: '2h',
          verification: { maxExtraBake: '30s' },
        }),
      ],
    };

    // Act
    const [svc] = parseConfig(raw).ecs;

    // Assess
    expect(svc).toMatchObject({
      steps: [
        { kind: 'weight', weight: 5, bakeSeconds: 5400 },
        { kind: 'approval' },
        { kind: 'weight', weight: 20, bakeSeconds: 90 },
        { kind: 'approval', timeoutSeconds: 2700 },
        { kind: 'weight', weight: 100, bakeSeconds: 0 },
      ],
      approvalTimeout: 7200,
      verification: { maxExtraBake: 30 },
    });
  });

  it('refuses a file without services', () => {
    // Prepare
    const text = '# nothing yet\n';

    // Act
    const problems = problemsOf(text);

    // Assess
    expect(problems).toEqual(['ecs: no services: describe at least one service under ecs: or vm:']);
  });

  it('reports a missing cluster as required, naming the field', () => {
    // Prepare
    const text = configYaml(serviceYaml('web', [], ['cluster']));

    // Act
    const problems = problemsOf(text);

    // Assess
    expect(problems).toEqual([expect.stringMatching(/^ecs\[0\]\.cluster: required/)]);
  });

  it('reports a missing tagPattern as required: a push must not deploy every tag by accident', () => {
    // Prepare
    const text = configYaml(serviceYaml('web', [], ['tagPattern']));

    // Act
    const problems = problemsOf(text);

    // Assess
    expect(problems).toEqual([expect.stringMatching(/^ecs\[0\]\.tagPattern: required/)]);
  });

  it('refuses a tagPattern no ECR tag could match (braces are not globs here)', () => {
    // Prepare
    const raw = { ecs: [rolling('web', { tagPattern: '{canary,preview}-*' })] };

    // Act
    const problems = problemsOfConfig(raw);

    // Assess
    expect(problems).toEqual([expect.stringMatching(/^ecs\[0\]\.tagPattern: a glob of image tags/)]);
  });

  it('says which strategies exist when the strategy is missing', () => {
    // Prepare
    const text = configYaml(serviceYaml('web', [], ['strategy']));

    // Act
    const problems = problemsOf(text);

    // Assess
    expect(problems).toEqual(['ecs[0].strategy: must be one of "rolling", "canary", "blue-green"']);
  });

  it('says which strategies exist when another one is asked for', () => {
    // Prepare
    const text = configYaml(serviceYaml('web', [], ['strategy']).concat('\n    strategy: linear'));

    // Act
    const problems = problemsOf(text);

    // Assess
    expect(problems).toEqual(['ecs[0].strategy: must be one of "rolling", "canary", "blue-green"']);
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

  it.each([
    ['steps on a rolling service', rolling('web', { steps: [{ weight: 100 }] }), "ecs[0]: unknown field 'steps'"],
    ['bakeSeconds on a canary', canary({ bakeSeconds: 60 }), "ecs[0]: unknown field 'bakeSeconds'"],
    ['keepWarm on a canary', canary({ keepWarm: '5m' }), "ecs[0]: unknown field 'keepWarm'"],
  ])('names a field of another strategy as unknown: %s', (_what, svc, problem) => {
    // Prepare
    const raw = { ecs: [svc] };

    // Act
    const problems = problemsOfConfig(raw);

    // Assess
    expect(problems).toEqual([expect.stringContaining(problem)]);
  });

  it('rejects a health check URL that is not http(s)', () => {
    // Prepare
    const text = configYaml(serviceYaml('web', ['healthCheck: { url: "ftp://web.example.com/health" }']));

    // Act
    const problems = problemsOf(text);

    // Assess
    expect(problems).toEqual([expect.stringMatching(/^ecs\[0\]\.healthCheck\.url: .*http/)]);
  });

  it('refuses a task role given as an ARN, saying to write its name (roles of other accounts cannot be passed)', () => {
    // Prepare
    const text = configYaml(serviceYaml('web', ['taskRoles: ["arn:aws:iam::123456789012:role/web-task"]']));

    // Act
    const problems = problemsOf(text);

    // Assess
    expect(problems).toEqual([expect.stringMatching(/^ecs\[0\]\.taskRoles\[0\]: an IAM role name of the deployer's account.*not an ARN/)]);
  });

  it('rejects a repository given as a full image reference', () => {
    // Prepare
    const text = configYaml(
      serviceYaml('web', [], ['repository']).concat('\n    repository: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/web:v1"'),
    );

    // Act
    const problems = problemsOf(text);

    // Assess
    expect(problems).toEqual([expect.stringMatching(/^ecs\[0\]\.repository: a repository name without its registry: write repository: web /)]);
  });

  it('rejects two services with the same name, pointing at the second one', () => {
    // Prepare
    const text = configYaml(serviceYaml('web'), serviceYaml('api'), serviceYaml('web', [], ['service']).concat('\n    service: web-v2'));

    // Act
    const problems = problemsOf(text);

    // Assess
    expect(problems).toEqual([expect.stringMatching(/^ecs\[2\]\.name: duplicate service name 'web' \(already used by ecs\[0\]\)/)]);
  });

  describe('one ECS service, one entry', () => {
    it('refuses two entries deploying the same ECS service', () => {
      // Prepare
      const raw = { ecs: [rolling('web'), rolling('web-again', { service: 'web' })] };

      // Act
      const problems = problemsOfConfig(raw);

      // Assess
      expect(problems).toEqual([
        'ecs[1]: ECS service prod/web is already deployed by ecs[0] (web); two entries would deploy it at once',
      ]);
    });

    it('counts a blue-green service’s colours, whichever is live', () => {
      // Prepare
      const raw = { ecs: [blueGreen(), rolling('payments-hotfix', { service: 'payments-green' })] };

      // Act
      const problems = problemsOfConfig(raw);

      // Assess
      expect(problems).toEqual([expect.stringMatching(/^ecs\[1\]: ECS service prod\/payments-green is already deployed by ecs\[0\] \(payments\)/)]);
    });

    it('counts a canary service the team owns, and a cluster given by ARN as the same cluster', () => {
      // Prepare
      const raw = {
        ecs: [
          canary({ canaryService: 'checkout-next' }),
          rolling('checkout-next', { cluster: 'arn:aws:ecs:eu-west-1:123456789012:cluster/prod' }),
        ],
      };

      // Act
      const problems = problemsOfConfig(raw);

      // Assess
      expect(problems).toEqual([expect.stringMatching(/^ecs\[1\]: ECS service prod\/checkout-next is already deployed by ecs\[0\]/)]);
    });

    it('allows the same service name in two clusters', () => {
      // Prepare
      const raw = { ecs: [rolling('web'), rolling('web-staging', { service: 'web', cluster: 'staging' })] };

      // Act
      const config = parseConfig(raw);

      // Assess
      expect(config.ecs.flatMap(ecsServicesOf)).toEqual(['prod/web', 'staging/web']);
    });
  });

  describe('steps', () => {
    it.each([
      [
        'weights that do not rise',
        [{ weight: 50 }, { weight: 20 }, { weight: 100 }],
        "ecs[0].steps[1].weight: 20 does not rise above the previous step's 50; weights must rise and end at 100",
      ],
      [
        'the same weight twice',
        [{ weight: 50 }, { approval: true }, { weight: 50 }, { weight: 100 }],
        "ecs[0].steps[2].weight: 50 does not rise above the previous step's 50; weights must rise and end at 100",
      ],
      ['weights that do not end at 100', [{ weight: 10 }, { weight: 50 }, { approval: true }], 'ecs[0].steps[1].weight: the last weight step is 50; weights must end at 100'],
      ['no weight step', [{ approval: true }], 'ecs[0].steps: no weight step: add at least {weight: 100}'],
      ['an approval step with a bake', [{ weight: 10 }, { approval: true, bake: '5m' }, { weight: 100 }], 'ecs[0].steps[1].bake: an approval step does not bake; put bake on a weight step'],
      ['a weight step with a timeout', [{ weight: 100, timeout: '5m' }], 'ecs[0].steps[0].timeout: only an approval step has a timeout; use bake for a weight step'],
      ['a step that is neither', [{ bake: '5m' }, { weight: 100 }], 'ecs[0].steps[0]: a step is either {weight: 10, bake: 5m} or {approval: true}'],
      ['a step that is both', [{ weight: 10, approval: true }, { weight: 100 }], 'ecs[0].steps[0]: a step is either {weight: 10, bake: 5m} or {approval: true}'],
      ['a weight above 100', [{ weight: 150 }], 'ecs[0].steps[0].weight: '],
      ['no steps at all', [], 'ecs[0].steps: '],
    ])('refuses %s, naming the step', (_what, steps, problem) => {
      // Prepare
      const raw = { ecs: [canary({ steps })] };

      // Act
      const problems = problemsOfConfig(raw);

      // Assess
      expect(problems).toContainEqual(expect.stringContaining(problem));
    });
  });

  describe('durations', () => {
    it.each([
      ['a bake that is not a duration', canary({ steps: [{ weight: 100, bake: '5x' }] }), 'ecs[0].steps[0].bake: a duration such as "30s", "5m", "2h" or "1h30m" (or whole seconds)'],
      ['an empty duration', canary({ approvalTimeout: '' }), 'ecs[0].approvalTimeout: a duration such as'],
      ['a negative duration', blueGreen({ keepWarm: -5 }), 'ecs[0].keepWarm: a duration such as'],
      ['a fraction of a second', canary({ verification: { maxExtraBake: 1.5 } }), 'ecs[0].verification.maxExtraBake: a duration such as'],
      ['a keepWarm over a day', blueGreen({ keepWarm: '25h' }), 'ecs[0].keepWarm: at most 24h'],
      ['a bake over a day', canary({ steps: [{ weight: 100, bake: 86_401 }] }), 'ecs[0].steps[0].bake: at most 24h'],
      ['a maxExtraBake over 6 hours', canary({ verification: { maxExtraBake: '6h1m' } }), 'ecs[0].verification.maxExtraBake: at most 6h'],
    ])('refuses %s, naming the field', (_what, svc, problem) => {
      // Prepare
      const raw = { ecs: [svc] };

      // Act
      const problems = problemsOfConfig(raw);

      // Assess
      expect(problems).toContainEqual(expect.stringContaining(problem));
    });
  });

  it('refuses a service whose worst case (rollouts, bakes, approvals, rollback) is over 36 hours', () => {
    // Prepare
    const raw = {
      ecs: [rolling('web'), canary({ steps: [{ approval: true, timeout: '24h' }, { weight: 50 }, { approval: true, timeout: '24h' }, { weight: 100 }] })],
    };

    // Act
    const problems = problemsOfConfig(raw);

    // Assess
    expect(problems).toEqual([
      expect.stringMatching(/^ecs\[1\]: a deployment of checkout could take up to \d+h(\d+m)?(\d+s)? with its rollback .*; at most 36h: shorten them$/),
    ]);
  });

  describe('load balancer', () => {
    it.each([
      ['a target group ARN as the listener', canary({ loadBalancer: { listener: CHECKOUT_TG, targetGroup: CHECKOUT_TG, canaryTargetGroup: CHECKOUT_CANARY_TG } }), 'ecs[0].loadBalancer.listener: the ARN of an Application Load Balancer listener'],
      ['a Network Load Balancer listener', canary({ loadBalancer: { listener: LISTENER_ARN.replace('/app/', '/net/'), targetGroup: CHECKOUT_TG, canaryTargetGroup: CHECKOUT_CANARY_TG } }), 'ecs[0].loadBalancer.listener: the ARN of an Application Load Balancer listener'],
      ['a target group given by name', canary({ loadBalancer: { listener: LISTENER_ARN, targetGroup: 'checkout', canaryTargetGroup: CHECKOUT_CANARY_TG } }), 'ecs[0].loadBalancer.targetGroup: the ARN of a target group'],
      ['the same target group for the canary', canary({ loadBalancer: { listener: LISTENER_ARN, targetGroup: CHECKOUT_TG, canaryTargetGroup: CHECKOUT_TG } }), 'ecs[0].loadBalancer.canaryTargetGroup: must differ from targetGroup'],
      ['a listener rule as the test listener', blueGreen({ loadBalancer: { listener: LISTENER_RULE_ARN, testListener: LISTENER_RULE_ARN }, healthCheck: { url: 'https://p.example.com/h', testUrl: 'https://p.example.com:8443/h' } }), 'ecs[0].loadBalancer.testListener: the ARN of an Application Load Balancer listener (…:listener/app/NAME/ID/ID)'],
      ['a bad green target group', blueGreen({ green: { service: 'payments-green', targetGroup: `${GREEN_TG}/extra` } }), 'ecs[0].green.targetGroup: the ARN of a target group'],
    ])('refuses %s, naming the field', (_what, svc, problem) => {
      // Prepare
      const raw = { ecs: [svc] };

      // Act
      const problems = problemsOfConfig(raw);

      // Assess
      expect(problems).toEqual([expect.stringContaining(problem)]);
    });

    it('accepts a listener rule as the production listener', () => {
      // Prepare
      const raw = { ecs: [canary({ loadBalancer: { listener: LISTENER_RULE_ARN, targetGroup: CHECKOUT_TG, canaryTargetGroup: CHECKOUT_CANARY_TG } })] };

      // Act
      const config = parseConfig(raw);

      // Assess
      expect(config.ecs).toHaveLength(1);
    });

    it('refuses a test listener without healthCheck.testUrl: nothing would check the idle colour', () => {
      // Prepare
      const raw = { ecs: [blueGreen({ loadBalancer: { listener: LISTENER_RULE_ARN, testListener: TEST_LISTENER_ARN }, healthCheck: { url: 'https://p.example.com/h' } })] };

      // Act
      const problems = problemsOfConfig(raw);

      // Assess
      expect(problems).toEqual([
        'ecs[0].healthCheck.testUrl: required with loadBalancer.testListener: the URL that reaches the idle colour through the test listener',
      ]);
    });

    it('refuses the same service or target group for both colours', () => {
      // Prepare
      const raw = { ecs: [blueGreen({ green: { service: 'payments-blue', targetGroup: BLUE_TG } })] };

      // Act
      const problems = problemsOfConfig(raw);

      // Assess
      expect(problems).toEqual(
        expect.arrayContaining(['ecs[0].green.service: must differ from blue.service', 'ecs[0].green.targetGroup: must differ from blue.targetGroup']),
      );
    });

    it('refuses a testUrl on a canary (only blue-green has a test listener)', () => {
      // Prepare
      const raw = { ecs: [canary({ healthCheck: { url: 'https://c.example.com/h', testUrl: 'https://c.example.com:8443/h' } })] };

      // Act
      const problems = problemsOfConfig(raw);

      // Assess
      expect(problems).toEqual([expect.stringMatching(/^ecs\[0\]\.healthCheck: unknown field 'testUrl'/)]);
    });
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
    const raw = { ecs: [{ name: 'web', strategy: 'rolling', service: 'web', container: 'app', repository: 'web', tagPattern: 'v*' }] };

    // Act
    const parse = () => parseConfig(raw, 'my-config.yaml');

    // Assess
    expect(parse).toThrow(ConfigError);
    expect(parse).toThrow(/^my-config\.yaml is not a valid deployer config \(1 problem\):\n {2}my-config\.yaml: ecs\[0\]\.cluster: required/);
  });
});

/** Where, in a JSON Schema, a field (a key of some `properties`) has no description: `ecs.items.oneOf[0].properties.strategy`. */
function fieldsWithoutDescription(node: unknown, at = ''): string[] {
  if (Array.isArray(node)) return node.flatMap((item, index) => fieldsWithoutDescription(item, `${at}[${index}]`));
  if (node === null || typeof node !== 'object') return [];
  const missing = Object.entries(node).flatMap(([key, value]) => fieldsWithoutDescription(value, at === '' ? key : `${at}.${key}`));
  const { properties } = node as { properties?: Record<string, { description?: unknown }> };
  for (const [field, schema] of Object.entries(properties ?? {})) {
    if (typeof schema.description !== 'string' || schema.description.trim() === '') missing.push(`${at === '' ? '' : `${at}.`}properties.${field}`);
  }
  return missing;
}

describe('config JSON Schema', () => {
  type ServiceSchema = { required: string[]; properties: Record<string, unknown> };

  it('describes each strategy of ECS service with the fields it must have', () => {
    // Prepare
    const schema = configJsonSchema() as {
      $schema?: string;
      properties: { ecs: { type: string; items: { oneOf: ServiceSchema[] } } };
    };

    // Act
    const [rollingSchema, canarySchema, blueGreenSchema] = schema.properties.ecs.items.oneOf;

    // Assess
    expect(schema.$schema).toMatch(/json-schema\.org/);
    expect(schema.properties.ecs.type).toBe('array');
    for (const strategy of [rollingSchema, canarySchema, blueGreenSchema]) {
      expect(strategy?.required).toEqual(expect.arrayContaining(['name', 'strategy', 'cluster', 'container', 'repository', 'tagPattern']));
      // Settings with defaults may be left out of the file.
      expect(strategy?.required).not.toContain('alarms');
      expect(strategy?.required).not.toContain('steps');
    }
    expect(rollingSchema?.required).toContain('service');
    expect(rollingSchema?.required).not.toContain('bakeSeconds');
    expect(Object.keys(rollingSchema?.properties ?? {})).toEqual(expect.arrayContaining(['healthCheck', 'alarms', 'tagPattern', 'bakeSeconds']));
    expect(canarySchema?.required).toEqual(expect.arrayContaining(['service', 'loadBalancer']));
    expect(blueGreenSchema?.required).toEqual(expect.arrayContaining(['blue', 'green', 'loadBalancer']));
  });

  it('describes every field, for the help an editor shows on hover', () => {
    // Prepare
    const schema = configJsonSchema();

    // Act
    const undescribed = fieldsWithoutDescription(schema);

    // Assess
    expect(undescribed).toEqual([]);
  });

  it('names the default steps in the description of a canary’s and a blue-green service’s steps', () => {
    // Prepare
    const schema = configJsonSchema() as { properties: { ecs: { items: { oneOf: { properties: { steps?: { description?: string } } }[] } } } };

    // Act
    const [, canarySteps, blueGreenSteps] = schema.properties.ecs.items.oneOf.map((strategy) => strategy.properties.steps?.description);

    // Assess
    expect(canarySteps).toMatch(/^Traffic steps to the canary, e\.g\. .*Default: \{weight: 10, bake: 5m\}, \{weight: 50, bake: 5m\}, \{weight: 100, bake: 5m\}\.$/);
    expect(blueGreenSteps).toMatch(/^Traffic steps to the new colour, e\.g\. .*Default: \{weight: 100, bake: 5m\}\.$/);
  });

  it('describes each strategy, and each colour of a blue-green service by its name', () => {
    // Prepare
    type Described = { description?: string; properties: Record<string, { description?: string }> };
    const schema = configJsonSchema() as { properties: { ecs: { items: { oneOf: Described[] } } } };

    // Act
    const strategies = schema.properties.ecs.items.oneOf;
    const blueGreen = strategies[2];

    // Assess
    expect(strategies.map((strategy) => strategy.description)).toEqual([
      expect.stringMatching(/^Rolling update/),
      expect.stringMatching(/^Canary:/),
      expect.stringMatching(/^Blue-green:/),
    ]);
    expect([blueGreen?.properties.blue?.description, blueGreen?.properties.green?.description]).toEqual([
      'The blue colour: { service, targetGroup }.',
      'The green colour: { service, targetGroup }.',
    ]);
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
