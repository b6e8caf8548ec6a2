/**
 * What config.ts tells a user beyond the bounds: how to write a repository,
 * a registry or a task role, where each problem is in the file, and which
 * ECS services an entry drives.
 */
import { describe, expect, it } from 'vitest';
import {
  allServices,
  ConfigError,
  configDocument,
  ecsServicesOf,
  isVmService,
  parseConfig,
  type DeployerConfig,
} from '../../../lambdas/shared/config.ts';
import {
  blueGreenEntry as blueGreen,
  canaryEntry as canary,
  problemsOfService as problemsOf,
  rollingEntry as rolling,
  type Entry,
} from '../../support/config-entries.ts';
import { vmRolling } from '../../support/vm-config-fixtures.ts';


describe('repository', () => {
  it.each([
    [
      'an image of another account in China',
      '210987654321.dkr.ecr.cn-north-1.amazonaws.com.cn/team/web@sha256:abc',
      'a repository name without its registry: write repository: team/web (an image of account 210987654321 in cn-north-1 needs registry: { accountId: "210987654321", region: cn-north-1 } when that is not the deployer\'s own account and region)',
    ],
    [
      'an image of another registry',
      'ghcr.io/acme/web:v1',
      "a repository name of the deployer's ECR registry, not an image of ghcr.io: push the image to ECR and write its repository name, e.g. repository: web",
    ],
    [
      'an image of a local registry with a port',
      'localhost:5000/web',
      "a repository name of the deployer's ECR registry, not an image of localhost:5000: push the image to ECR and write its repository name, e.g. repository: web",
    ],
    ['a name with a tag', 'team/web:v1.2', 'a repository name without a tag or digest: write repository: team/web, and choose the tags that deploy with tagPattern'],
    ['a name with a digest', 'web@sha256:abc', 'a repository name without a tag or digest: write repository: web, and choose the tags that deploy with tagPattern'],
    ['a tag alone', ':latest', 'a repository name without a tag or digest: write repository: web, and choose the tags that deploy with tagPattern'],
    ['capitals', 'Team/Web', 'an ECR repository name such as "web" or "team/web": lowercase letters, digits, ".", "_", "-" and "/"'],
    ['a double separator', 'team/web--api', 'an ECR repository name such as "web" or "team/web": lowercase letters, digits, ".", "_", "-" and "/"'],
    ['a namespace ending in a separator', 'team-/web', 'an ECR repository name such as "web" or "team/web": lowercase letters, digits, ".", "_", "-" and "/"'],
  ])('says what to write for %s', (_what, repository, problem) => {
    // Prepare
    const service = rolling({ repository });

    // Act
    const problems = problemsOf(service);

    // Assess
    expect(problems).toEqual([`ecs[0].repository: ${problem}`]);
  });

  it.each([['team/web'], ['team.x/web-api'], ['team_x.com/web'], ['registry.com.team/web'], ['a/b/c']])(
    'takes %s for a repository name, not for an image of a registry',
    (repository) => {
      // Prepare
      const service = rolling({ repository });

      // Act
      const problems = problemsOf(service);

      // Assess
      expect(problems).toEqual([]);
    },
  );
});

describe('registry', () => {
  it.each([
    ['an account ID YAML read as a number', { accountId: 111122223333, region: 'eu-west-1' }, 'ecs[0].registry.accountId: the 12-digit account ID in quotes, e.g. accountId: "111122223333"'],
    ['no account ID', { region: 'eu-west-1' }, 'ecs[0].registry.accountId: required: account that owns the registry (in quotes: "111122223333")'],
    ['an account ID one digit long', { accountId: '1111222233334', region: 'eu-west-1' }, 'ecs[0].registry.accountId: a 12-digit account ID in quotes, e.g. accountId: "111122223333"'],
    ['an account ID with a letter first', { accountId: 'a111122223333', region: 'eu-west-1' }, 'ecs[0].registry.accountId: a 12-digit account ID in quotes, e.g. accountId: "111122223333"'],
    ['a region by its city', { accountId: '111122223333', region: 'ireland' }, 'ecs[0].registry.region: an AWS region such as "eu-west-1"'],
  ])('refuses %s, saying what to write', (_what, registry, problem) => {
    // Prepare
    const service = rolling({ registry });

    // Act
    const problems = problemsOf(service);

    // Assess
    expect(problems).toEqual([problem]);
  });
});

describe('names and URLs', () => {
  it('says a cluster, service or container is a name, not an ARN', () => {
    // Prepare
    const service = rolling({ container: 'arn:aws:ecs:us-east-1:123456789012:container/app' });

    // Act
    const problems = problemsOf(service);

    // Assess
    expect(problems).toEqual(['ecs[0].container: an ECS name: up to 255 letters, digits, "-" or "_" (a name, not an ARN)']);
  });

  it.each([['ftp://payments.internal/health'], ['xhttps://payments.internal/health'], ['httpsx://payments.internal/health']])(
    'refuses the test URL %s, asking for http or https',
    (testUrl) => {
      // Prepare
      const service = blueGreen({ healthCheck: { url: 'https://payments.example.com/health', testUrl } });

      // Act
      const problems = problemsOf(service);

      // Assess
      expect(problems).toEqual(['ecs[0].healthCheck.testUrl: an http:// or https:// URL']);
    },
  );

  it.each([[['web-task-role']], [['service-role/web-task-role', 'a/b/web-exec']], [['r'.repeat(64)]], [Array.from({ length: 10 }, (_, i) => `role-${i}`)]])(
    'accepts the task roles %j',
    (taskRoles) => {
      // Prepare
      const service = rolling({ taskRoles });

      // Act
      const problems = problemsOf(service);

      // Assess
      expect(problems).toEqual([]);
    },
  );

  it.each([
    ['a name over 64 characters', ['r'.repeat(65)], 'ecs[0].taskRoles[0]: an IAM role name'],
    ['a name with a space', ['web task'], 'ecs[0].taskRoles[0]: an IAM role name'],
    ['a path without a name', ['service-role/'], 'ecs[0].taskRoles[0]: an IAM role name'],
    ['eleven roles', Array.from({ length: 11 }, (_, i) => `role-${i}`), 'ecs[0].taskRoles: at most 10 items'],
    ['no role', [], 'ecs[0].taskRoles: at least 1 item'],
  ])('refuses %s as task roles', (_what, taskRoles, problem) => {
    // Prepare
    const service = rolling({ taskRoles });

    // Act
    const problems = problemsOf(service);

    // Assess
    expect(problems).toEqual([expect.stringContaining(problem)]);
  });
});

describe('the ECS services of an entry', () => {
  it.each([
    ['a rolling service', rolling(), ['prod/web']],
    ['a canary with the canary service the deployer creates', canary(), ['prod/checkout']],
    ['a canary with a canary service of its own', canary({ canaryService: 'checkout-next' }), ['prod/checkout', 'prod/checkout-next']],
    ['a blue-green service', blueGreen({ cluster: 'arn:aws:ecs:us-east-1:123456789012:cluster/prod' }), ['prod/payments-blue', 'prod/payments-green']],
  ])('are, for %s, its cluster and services', (_what, entry, services) => {
    // Prepare
    const [svc] = parseConfig({ ecs: [entry] }).ecs;

    // Act
    const driven = svc === undefined ? [] : ecsServicesOf(svc);

    // Assess
    expect(driven).toEqual(services);
  });
});

describe('the services of a config', () => {
  it('lists ECS services first, then VM ones, and tells them apart', () => {
    // Prepare
    const config = parseConfig({ vm: [vmRolling()], ecs: [rolling()] });

    // Act
    const services = allServices(config);

    // Assess
    expect(services.map((s) => [s.name, isVmService(s)])).toEqual([
      ['web', false],
      ['api-vm', true],
    ]);
  });

  it('subscribes no address when notifications names none', () => {
    // Prepare
    const raw = { notifications: {}, ecs: [rolling()] };

    // Act
    const config = parseConfig(raw);

    // Assess
    expect(config.notifications).toEqual({ emails: [] });
  });

  it('keeps the document a config was parsed from, for the Lambdas to validate again', () => {
    // Prepare
    const raw = { ecs: [rolling({ bakeSeconds: 60 })] };

    // Act
    const document = configDocument(parseConfig(raw));

    // Assess
    expect(JSON.parse(document)).toEqual(raw);
  });

  it('refuses to give a document for a config parseConfig did not make', () => {
    // Prepare
    const config = structuredClone(parseConfig({ ecs: [rolling()] })) as DeployerConfig;

    // Act
    const read = () => configDocument(config);

    // Assess
    expect(read).toThrow('this config was not made by parseConfig: its document is unknown');
  });
});

describe('where the problems are', () => {
  it('lists problems in file order, those without a position last in the order they came', () => {
    // Prepare
    const problems = [
      'first unplaced',
      { text: 'line 12', position: { line: 12, column: 3 } },
      { text: 'line 3, column 9', position: { line: 3, column: 9 } },
      'second unplaced',
      { text: 'line 3, column 5', position: { line: 3, column: 5 } },
      { text: 'line 2', position: { line: 2, column: 30 } },
      'third unplaced',
    ];

    // Act
    const error = new ConfigError('deployer.config.yaml', problems);

    // Assess
    expect(error.name).toBe('ConfigError');
    expect(error.problems).toEqual(['line 2', 'line 3, column 5', 'line 3, column 9', 'line 12', 'first unplaced', 'second unplaced', 'third unplaced']);
    expect(error.message).toBe(
      [
        'deployer.config.yaml is not a valid deployer config (7 problems):',
        '  deployer.config.yaml:2:30: line 2',
        '  deployer.config.yaml:3:5: line 3, column 5',
        '  deployer.config.yaml:3:9: line 3, column 9',
        '  deployer.config.yaml:12:3: line 12',
        '  deployer.config.yaml: first unplaced',
        '  deployer.config.yaml: second unplaced',
        '  deployer.config.yaml: third unplaced',
      ].join('\n'),
    );
  });

  it('puts the line and column the locator finds in front of each problem', () => {
    // Prepare
    const raw = { ecs: [rolling({ cluster: undefined })] };

    // Act
    const parse = () => parseConfig(raw, 'deployer.config.yaml', (path) => (path.includes('cluster') ? { line: 4, column: 7 } : undefined));

    // Assess
    expect(parse).toThrow(/\n {2}deployer\.config\.yaml:4:7: ecs\[0\]\.cluster: required/);
  });

  it('names the config "config" when no source is given', () => {
    // Prepare
    const raw = { ecs: [rolling({ cluster: undefined })] };

    // Act
    const parse = () => parseConfig(raw);

    // Assess
    expect(parse).toThrow(/^config is not a valid deployer config \(1 problem\):\n {2}config: ecs\[0\]\.cluster: required/);
  });
});
