/**
 * ECS task definitions: families of immutable revisions, registered and
 * described with the validation ECS applies (a handler that drops `cpu` or the
 * execution role from a Fargate task definition is refused here, as in AWS).
 */
import {
  ClientException,
  InvalidParameterException,
  type RegisterTaskDefinitionCommandInput,
  type Tag,
  type TaskDefinition,
} from '@aws-sdk/client-ecs';
import { taskDefinitionArn, type Place } from './arns.ts';
import { modeledError } from './sdk-errors.ts';

/**
 * The request members the SDK serializes. Anything else a handler puts in the
 * input (say, `revision` or `status` copied from DescribeTaskDefinition) never
 * reaches ECS, so it is dropped here too.
 */
const REGISTERED_MEMBERS = [
  'family',
  'taskRoleArn',
  'executionRoleArn',
  'networkMode',
  'containerDefinitions',
  'volumes',
  'placementConstraints',
  'requiresCompatibilities',
  'cpu',
  'memory',
  'pidMode',
  'ipcMode',
  'proxyConfiguration',
  'inferenceAccelerators',
  'ephemeralStorage',
  'runtimePlatform',
  'enableFaultInjection',
] as const satisfies readonly (keyof RegisterTaskDefinitionCommandInput)[];

/** What a revision was registered with (tags aside). */
export type RegisteredDefinition = Pick<RegisterTaskDefinitionCommandInput, (typeof REGISTERED_MEMBERS)[number]>;

/** One revision of a family. */
export interface StoredTaskDefinition {
  arn: string;
  family: string;
  revision: number;
  status: 'ACTIVE' | 'INACTIVE';
  registeredAt: number;
  registeredBy: string;
  definition: RegisteredDefinition;
  tags: Tag[];
}

const FAMILY = /^[A-Za-z0-9_-]{1,255}$/;
const ARN = /^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:task-definition\/([A-Za-z0-9_-]+):(\d+)$/;

function clientError(message: string): Error {
  return modeledError(ClientException, message, {});
}

function isEcrImage(image: string): boolean {
  return /^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?\//.test(image);
}

/** Every family and revision registered in the simulated account. */
export class TaskDefinitionStore {
  private readonly families = new Map<string, StoredTaskDefinition[]>();

  public constructor(private readonly place: Place) {}

  /** The revision the next registration in `family` gets. */
  public nextRevision(family: string): number {
    const revisions = this.families.get(family) ?? [];
    return revisions.reduce((max, td) => Math.max(max, td.revision), 0) + 1;
  }

  /** Validate and store a registration; `revision` forces the number (for the seeded world only). */
  public register(
    input: RegisterTaskDefinitionCommandInput,
    at: number,
    registeredBy: string,
    revision?: number,
  ): StoredTaskDefinition {
    const definition = this.validate(input);
    const family = definition.family as string;
    const tags = (input.tags ?? []).map((t) => ({ ...t }));
    this.validateTags(tags);
    const stored: StoredTaskDefinition = {
      family,
      revision: revision ?? this.nextRevision(family),
      arn: '',
      status: 'ACTIVE',
      registeredAt: at,
      registeredBy,
      definition,
      tags,
    };
    stored.arn = taskDefinitionArn(this.place, family, stored.revision);
    const revisions = this.families.get(family) ?? [];
    revisions.push(stored);
    this.families.set(family, revisions);
    return stored;
  }

  /** Find a revision by `family` (latest ACTIVE), `family:revision` or ARN. */
  public resolve(ref: string | undefined): StoredTaskDefinition | undefined {
    if (ref === undefined || ref === '') return undefined;
    let family: string;
    let revision: number | undefined;
    const arn = ARN.exec(ref);
    if (arn !== null) {
      if (!ref.includes(`:${this.place.region}:${this.place.account}:`)) return undefined;
      family = arn[1] ?? '';
      revision = Number(arn[2]);
    } else {
      const colon = ref.lastIndexOf(':');
      family = colon < 0 ? ref : ref.slice(0, colon);
      revision = colon < 0 ? undefined : Number(ref.slice(colon + 1));
    }
    const revisions = this.families.get(family) ?? [];
    if (revision === undefined) {
      return revisions.filter((td) => td.status === 'ACTIVE').sort((a, b) => b.revision - a.revision)[0];
    }
    return revisions.find((td) => td.revision === revision);
  }

  /** The ARN of every revision of every family. */
  public arns(): string[] {
    return [...this.families.values()].flatMap((revisions) => revisions.map((td) => td.arn));
  }

  /** The SDK's `TaskDefinition` of a stored revision. */
  public describe(stored: StoredTaskDefinition): TaskDefinition {
    const requires = stored.definition.requiresCompatibilities ?? [];
    const taskDefinition: TaskDefinition = {
      ...structuredClone(stored.definition),
      taskDefinitionArn: stored.arn,
      family: stored.family,
      revision: stored.revision,
      status: stored.status,
      compatibilities: requires.includes('FARGATE') ? ['EC2', 'FARGATE'] : ['EXTERNAL', 'EC2'],
      requiresAttributes: [
        { name: 'com.amazonaws.ecs.capability.ecr-auth' },
        { name: 'ecs.capability.execution-role-ecr-pull' },
        { name: 'ecs.capability.task-eni' },
      ],
      registeredAt: new Date(stored.registeredAt),
      registeredBy: stored.registeredBy,
    };
    return taskDefinition;
  }

  /** The image of `container` in a revision. */
  public containerImage(stored: StoredTaskDefinition, container: string): string | undefined {
    return stored.definition.containerDefinitions?.find((c) => c.name === container)?.image;
  }

  /** The images of every container of a revision. */
  public images(stored: StoredTaskDefinition): string[] {
    return (stored.definition.containerDefinitions ?? []).flatMap((c) => (c.image === undefined ? [] : [c.image]));
  }

  private validate(input: RegisterTaskDefinitionCommandInput): RegisteredDefinition {
    const definition: RegisteredDefinition = { family: undefined, containerDefinitions: undefined };
    for (const member of REGISTERED_MEMBERS) {
      if (input[member] !== undefined) Object.assign(definition, { [member]: structuredClone(input[member]) });
    }
    const { family, containerDefinitions: containers = [] } = definition;
    if (family === undefined || !FAMILY.test(family)) {
      throw clientError('Family contains invalid characters or is missing (up to 255 letters, digits, - and _).');
    }
    if (containers.length === 0) throw clientError('Container list cannot be empty.');
    const names = new Set<string>();
    for (const container of containers) {
      if (container.name === undefined || container.name === '') {
        throw clientError('Container.name should not be null or empty.');
      }
      if (names.has(container.name)) throw clientError(`Duplicate container name: ${container.name}.`);
      names.add(container.name);
      if (container.image === undefined || container.image === '') {
        throw clientError('Container.image should not be null or empty.');
      }
    }
    if ((definition.requiresCompatibilities ?? []).includes('FARGATE')) {
      if (definition.networkMode !== 'awsvpc') throw clientError("Fargate only supports network mode 'awsvpc'.");
      if (definition.cpu === undefined) throw clientError("Fargate requires that 'cpu' be defined at the task level.");
      if (definition.memory === undefined) {
        throw clientError("Fargate requires that 'memory' be defined at the task level.");
      }
      if (definition.executionRoleArn === undefined && containers.some((c) => isEcrImage(c.image ?? ''))) {
        throw clientError('Fargate requires task definition to have execution role ARN to support ECR images.');
      }
    }
    return definition;
  }

  private validateTags(tags: Tag[]): void {
    if (tags.length > 50) throw modeledError(InvalidParameterException, 'Too many tags: at most 50 are allowed.', {});
    for (const tag of tags) {
      if (tag.key === undefined || tag.key === '') {
        throw modeledError(InvalidParameterException, 'Tag keys must not be empty.', {});
      }
      if (tag.key.toLowerCase().startsWith('aws:')) {
        throw modeledError(InvalidParameterException, "Tag keys with the prefix 'aws:' are reserved for AWS use.", {});
      }
    }
  }
}
