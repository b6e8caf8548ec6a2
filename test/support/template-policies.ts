/**
 * The IAM policies of a synthesized deployer template, as plain strings.
 *
 * CloudFormation intrinsics are resolved as if the stack were deployed in
 * account 123456789012, region us-east-1, partition aws, with every resource
 * named after its logical ID (unless the template gives it a name): the table
 * `DeploymentTable` is `arn:aws:dynamodb:us-east-1:123456789012:table/DeploymentTable`.
 * The local rehearsal uses the same names, so an ARN it builds can be checked
 * against these statements with `isAllowed`.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { TABLE_LOGICAL_ID } from '../../infra/deployment-table.ts';
import { FUNCTION_KEY_METADATA } from '../../infra/deployer-function.ts';
import { ALL_FUNCTIONS, type FunctionKey } from '../../lambdas/registry.ts';

export { TABLE_LOGICAL_ID };

export const FAKE_ACCOUNT = '123456789012';
export const FAKE_REGION = 'us-east-1';
export const FAKE_PARTITION = 'aws';
export const FAKE_STACK_NAME = 'EcsDeployer';

/** One resource of a CloudFormation template. */
export interface CfnResourceJson {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
  readonly Condition?: string;
  readonly DependsOn?: string | string[];
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
}

/** The parts of a CloudFormation template these helpers read. */
export interface CfnTemplateJson {
  readonly Resources: Record<string, CfnResourceJson>;
  readonly Parameters?: Record<string, { Type?: string; Default?: unknown }>;
  readonly Outputs?: Record<string, { Value: unknown; Description?: string }>;
}

/**
 * What the helpers accept: the parsed template JSON (e.g. cdk.out/EcsDeployer.template.json),
 * `Template.toJSON()`, or an assertions `Template`.
 */
export type TemplateInput = CfnTemplateJson | Template | { readonly [key: string]: unknown };

/** The template JSON of `input`; throws when it has no `Resources`. */
export function toTemplateJson(input: TemplateInput): CfnTemplateJson {
  const json = input instanceof Template ? (input.toJSON() as Record<string, unknown>) : input;
  if (typeof json.Resources !== 'object' || json.Resources === null) throw new Error('not a CloudFormation template (no Resources)');
  return json as CfnTemplateJson;
}

/** An IAM statement with intrinsics resolved and Action/Resource always arrays. */
export interface ResolvedStatement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action?: string[];
  readonly NotAction?: string[];
  readonly Resource?: string[];
  readonly NotResource?: string[];
  readonly Condition?: Record<string, unknown>;
}

// ---------------------------------------------------------------------------
// Intrinsics
// ---------------------------------------------------------------------------

const PSEUDO_PARAMETERS: Readonly<Record<string, string>> = {
  'AWS::AccountId': FAKE_ACCOUNT,
  'AWS::Region': FAKE_REGION,
  'AWS::Partition': FAKE_PARTITION,
  'AWS::URLSuffix': 'amazonaws.com',
  'AWS::StackName': FAKE_STACK_NAME,
  'AWS::StackId': `arn:${FAKE_PARTITION}:cloudformation:${FAKE_REGION}:${FAKE_ACCOUNT}:stack/${FAKE_STACK_NAME}/00000000-0000-0000-0000-000000000000`,
};

/** Marker for `Ref: AWS::NoValue`: dropped from arrays and objects. */
const NO_VALUE = Symbol('AWS::NoValue');

function resource(template: CfnTemplateJson, logicalId: string): CfnResourceJson {
  const res = template.Resources[logicalId];
  if (res === undefined) throw new Error(`no resource '${logicalId}' in the template`);
  return res;
}

/** The name the template gives a resource (`TableName`...), or its logical ID. */
function physicalName(template: CfnTemplateJson, logicalId: string, nameProperty: string): string {
  const given = resource(template, logicalId).Properties?.[nameProperty];
  return given === undefined ? logicalId : resolveString(template, given);
}

function arn(service: string, rest: string, { region = FAKE_REGION, account = FAKE_ACCOUNT } = {}): string {
  return `arn:${FAKE_PARTITION}:${service}:${region}:${account}:${rest}`;
}

/** What `Ref` returns for a resource of the template. */
export function refOf(input: TemplateInput, logicalId: string): string {
  const template = toTemplateJson(input);
  const res = resource(template, logicalId);
  switch (res.Type) {
    case 'AWS::DynamoDB::Table':
      return physicalName(template, logicalId, 'TableName');
    case 'AWS::Lambda::Function':
      return physicalName(template, logicalId, 'FunctionName');
    case 'AWS::StepFunctions::StateMachine':
      return getAttOf(template, logicalId, 'Arn');
    case 'AWS::Logs::LogGroup':
      return physicalName(template, logicalId, 'LogGroupName');
    case 'AWS::IAM::Role':
      return physicalName(template, logicalId, 'RoleName');
    case 'AWS::SNS::Topic':
      return getAttOf(template, logicalId, 'TopicArn');
    case 'AWS::Events::Rule':
      return physicalName(template, logicalId, 'Name');
    case 'AWS::Lambda::Version':
      // The ARN of the function's published version (one per function in this stack).
      return `${resolveString(template, res.Properties?.FunctionName)}:1`.replace(/^(?!arn:)/, arn('lambda', 'function:'));
    default:
      // Policies, permissions, keys...: the logical ID is as good an ID as any.
      return logicalId;
  }
}

/** What `Fn::GetAtt [logicalId, attribute]` returns. */
export function getAttOf(input: TemplateInput, logicalId: string, attribute: string): string {
  const template = toTemplateJson(input);
  const res = resource(template, logicalId);
  const key = `${res.Type}.${attribute}`;
  switch (key) {
    case 'AWS::DynamoDB::Table.Arn':
      return arn('dynamodb', `table/${physicalName(template, logicalId, 'TableName')}`);
    case 'AWS::DynamoDB::Table.StreamArn':
      return `${getAttOf(template, logicalId, 'Arn')}/stream/1970-01-01T00:00:00.000`;
    case 'AWS::Lambda::Function.Arn':
      return arn('lambda', `function:${physicalName(template, logicalId, 'FunctionName')}`);
    case 'AWS::StepFunctions::StateMachine.Arn':
      return arn('states', `stateMachine:${physicalName(template, logicalId, 'StateMachineName')}`);
    case 'AWS::StepFunctions::StateMachine.Name':
      return physicalName(template, logicalId, 'StateMachineName');
    case 'AWS::Logs::LogGroup.Arn':
      return arn('logs', `log-group:${physicalName(template, logicalId, 'LogGroupName')}:*`);
    case 'AWS::IAM::Role.Arn':
      return arn('iam', `role/${physicalName(template, logicalId, 'RoleName')}`, { region: '' });
    case 'AWS::SNS::Topic.TopicArn':
      return arn('sns', physicalName(template, logicalId, 'TopicName'));
    case 'AWS::SNS::Topic.TopicName':
      return physicalName(template, logicalId, 'TopicName');
    case 'AWS::KMS::Key.Arn':
      return arn('kms', `key/${logicalId}`);
    case 'AWS::Events::Rule.Arn':
      return arn('events', `rule/${physicalName(template, logicalId, 'Name')}`);
    case 'AWS::SQS::Queue.Arn':
      return arn('sqs', physicalName(template, logicalId, 'QueueName'));
    default:
      throw new Error(`no fake value for Fn::GetAtt ${logicalId}.${attribute} (${res.Type}): add it to template-policies.ts`);
  }
}

function resolveRef(template: CfnTemplateJson, name: string): string | typeof NO_VALUE {
  if (name === 'AWS::NoValue') return NO_VALUE;
  const pseudo = PSEUDO_PARAMETERS[name];
  if (pseudo !== undefined) return pseudo;
  const parameter = template.Parameters?.[name];
  if (parameter !== undefined) {
    if (parameter.Default === undefined) throw new Error(`parameter ${name} has no default`);
    return String(parameter.Default);
  }
  return refOf(template, name);
}

function resolveSub(template: CfnTemplateJson, text: string, variables: Record<string, unknown>): string {
  return text.replace(/\$\{(!?)([^}]+)\}/g, (_match, literal: string, name: string) => {
    if (literal === '!') return `\${${name}}`;
    if (name in variables) return resolveString(template, variables[name]);
    const dot = name.indexOf('.');
    if (dot > 0 && !name.startsWith('AWS::')) return getAttOf(template, name.slice(0, dot), name.slice(dot + 1));
    const value = resolveRef(template, name);
    if (value === NO_VALUE) throw new Error('AWS::NoValue in Fn::Sub');
    return value;
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function resolveInner(template: CfnTemplateJson, value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.map((v) => resolveInner(template, v)).filter((v) => v !== NO_VALUE);
  }
  if (!isRecord(value)) return value;
  const keys = Object.keys(value);
  if (keys.length === 1) {
    const [key] = keys as [string];
    const arg = value[key];
    if (key === 'Ref') return resolveRef(template, String(arg));
    if (key === 'Fn::GetAtt') {
      const [id, attribute] = Array.isArray(arg) ? arg : String(arg).split(/\.(.*)/s);
      return getAttOf(template, String(id), String(attribute));
    }
    if (key === 'Fn::Join') {
      const [separator, parts] = arg as [string, unknown[]];
      return (resolveInner(template, parts) as unknown[]).map(String).join(separator);
    }
    if (key === 'Fn::Sub') {
      if (typeof arg === 'string') return resolveSub(template, arg, {});
      const [text, variables] = arg as [string, Record<string, unknown>];
      return resolveSub(template, text, variables);
    }
    if (key === 'Fn::Select') {
      const [index, list] = arg as [unknown, unknown];
      const items = resolveInner(template, list) as unknown[];
      return items[Number(resolveInner(template, index))];
    }
    if (key === 'Fn::Split') {
      const [separator, text] = arg as [string, unknown];
      return resolveString(template, text).split(separator);
    }
    if (key.startsWith('Fn::')) throw new Error(`${key} is not supported by template-policies.ts`);
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const resolved = resolveInner(template, v);
    if (resolved !== NO_VALUE) out[k] = resolved;
  }
  return out;
}

/** `value` with every intrinsic function resolved (see the file comment for the fake environment). */
export function resolveValue(input: TemplateInput, value: unknown): unknown {
  const template = toTemplateJson(input);
  const resolved = resolveInner(template, value);
  return resolved === NO_VALUE ? undefined : resolved;
}

/** `value` resolved; it must be a string. */
export function resolveString(input: TemplateInput, value: unknown): string {
  const template = toTemplateJson(input);
  const resolved = resolveValue(template, value);
  if (typeof resolved !== 'string') throw new Error(`expected a string, got ${JSON.stringify(resolved)}`);
  return resolved;
}

// ---------------------------------------------------------------------------
// Statements
// ---------------------------------------------------------------------------

function strings(template: CfnTemplateJson, value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  const resolved = resolveValue(template, value);
  return (Array.isArray(resolved) ? resolved : [resolved]).map((v) => {
    if (typeof v !== 'string') throw new Error(`expected a string in a statement, got ${JSON.stringify(v)}`);
    return v;
  });
}

function resolveStatement(template: CfnTemplateJson, raw: unknown): ResolvedStatement {
  if (!isRecord(raw)) throw new Error(`not a statement: ${JSON.stringify(raw)}`);
  const effect = raw.Effect;
  if (effect !== 'Allow' && effect !== 'Deny') throw new Error(`bad Effect in ${JSON.stringify(raw)}`);
  const statement: { -readonly [K in keyof ResolvedStatement]: ResolvedStatement[K] } = { Effect: effect };
  if (typeof raw.Sid === 'string') statement.Sid = raw.Sid;
  const action = strings(template, raw.Action);
  const notAction = strings(template, raw.NotAction);
  const res = strings(template, raw.Resource);
  const notResource = strings(template, raw.NotResource);
  if (action) statement.Action = action;
  if (notAction) statement.NotAction = notAction;
  if (res) statement.Resource = res;
  if (notResource) statement.NotResource = notResource;
  if (raw.Condition !== undefined) statement.Condition = resolveValue(template, raw.Condition) as Record<string, unknown>;
  return statement;
}

function documentStatements(template: CfnTemplateJson, document: unknown): ResolvedStatement[] {
  if (!isRecord(document)) return [];
  const raw = document.Statement;
  return (Array.isArray(raw) ? raw : [raw]).map((s) => resolveStatement(template, s));
}

function refersTo(list: unknown, logicalId: string): boolean {
  return Array.isArray(list) && list.some((item) => isRecord(item) && item.Ref === logicalId);
}

/**
 * Every statement that applies to the role `roleLogicalId`: its inline
 * policies and the `AWS::IAM::Policy` / `AWS::IAM::ManagedPolicy` resources
 * attached to it. AWS managed policies cannot be resolved offline, so a role
 * with `ManagedPolicyArns` is an error.
 */
export function roleStatements(input: TemplateInput, roleLogicalId: string): ResolvedStatement[] {
  const template = toTemplateJson(input);
  const role = resource(template, roleLogicalId);
  if (role.Type !== 'AWS::IAM::Role') throw new Error(`${roleLogicalId} is a ${role.Type}, not an AWS::IAM::Role`);
  const managed = role.Properties?.ManagedPolicyArns;
  if (Array.isArray(managed) && managed.length > 0) {
    throw new Error(`role ${roleLogicalId} has managed policies ${JSON.stringify(managed)}: their statements are unknown offline`);
  }
  const statements: ResolvedStatement[] = [];
  const inline = role.Properties?.Policies;
  if (Array.isArray(inline)) {
    for (const policy of inline) if (isRecord(policy)) statements.push(...documentStatements(template, policy.PolicyDocument));
  }
  for (const res of Object.values(template.Resources)) {
    if ((res.Type === 'AWS::IAM::Policy' || res.Type === 'AWS::IAM::ManagedPolicy') && refersTo(res.Properties?.Roles, roleLogicalId)) {
      statements.push(...documentStatements(template, res.Properties?.PolicyDocument));
    }
  }
  return statements;
}

/** The logical ID of the role a `RoleArn`/`Role` property points to (`Fn::GetAtt [Role, Arn]`). */
function roleOf(value: unknown, owner: string): string {
  if (isRecord(value) && Array.isArray(value['Fn::GetAtt']) && value['Fn::GetAtt'][1] === 'Arn') {
    return String(value['Fn::GetAtt'][0]);
  }
  throw new Error(`the role of ${owner} is not a role of this template: ${JSON.stringify(value)}`);
}

// ---------------------------------------------------------------------------
// The deployer's resources
// ---------------------------------------------------------------------------

/**
 * Logical ID of each function, found by the `DeployerFunctionKey` metadata
 * DeployerFunction puts on every `AWS::Lambda::Function` (the logical IDs
 * themselves are hashed: `<Key>Function<hash>`).
 */
export function functionLogicalIds(input: TemplateInput): Record<FunctionKey, string> {
  const template = toTemplateJson(input);
  const found = new Map<string, string>();
  for (const [id, res] of Object.entries(template.Resources)) {
    if (res.Type !== 'AWS::Lambda::Function') continue;
    const key = res.Metadata?.[FUNCTION_KEY_METADATA];
    if (typeof key !== 'string') continue;
    if (found.has(key)) throw new Error(`two functions have ${FUNCTION_KEY_METADATA}=${key}: ${found.get(key)} and ${id}`);
    found.set(key, id);
  }
  const ids = {} as Record<FunctionKey, string>;
  for (const key of Object.keys(ALL_FUNCTIONS) as FunctionKey[]) {
    const id = found.get(key);
    if (id === undefined) throw new Error(`no AWS::Lambda::Function with ${FUNCTION_KEY_METADATA}=${key} in the template`);
    ids[key] = id;
  }
  return ids;
}

/** The (fake) ARN of a function: `arn:aws:lambda:us-east-1:123456789012:function:<LogicalId>`. */
export function functionArn(input: TemplateInput, key: FunctionKey): string {
  const template = toTemplateJson(input);
  return getAttOf(template, functionLogicalIds(template)[key], 'Arn');
}

/** The ARN of a function's published version (what the state machines invoke). */
export function functionVersionArn(input: TemplateInput, key: FunctionKey): string {
  const template = toTemplateJson(input);
  const fn = functionLogicalIds(template)[key];
  const versions = Object.entries(template.Resources).filter(
    ([, r]) => r.Type === 'AWS::Lambda::Version' && JSON.stringify(r.Properties?.FunctionName) === JSON.stringify({ Ref: fn }),
  );
  if (versions.length !== 1) throw new Error(`${key} has ${versions.length} published versions, expected 1`);
  return refOf(template, versions[0]![0]);
}

/** Logical ID of the role a function runs with. */
export function functionRoleLogicalId(input: TemplateInput, key: FunctionKey): string {
  const template = toTemplateJson(input);
  const id = functionLogicalIds(template)[key];
  return roleOf(resource(template, id).Properties?.Role, id);
}

/** Per function key, the resolved statements of the function's role. */
export function functionStatements(input: TemplateInput): Record<FunctionKey, ResolvedStatement[]> {
  const template = toTemplateJson(input);
  const out = {} as Record<FunctionKey, ResolvedStatement[]>;
  for (const key of Object.keys(ALL_FUNCTIONS) as FunctionKey[]) {
    out[key] = roleStatements(template, functionRoleLogicalId(template, key));
  }
  return out;
}

/** The only resource of `type` in the template. */
export function singleResourceOfType(input: TemplateInput, type: string): string {
  const template = toTemplateJson(input);
  const ids = Object.keys(template.Resources).filter((id) => template.Resources[id]?.Type === type);
  if (ids.length !== 1) throw new Error(`expected one ${type}, found ${ids.length}: ${ids.join(', ')}`);
  return ids[0] as string;
}

/** Logical ID of the deployer's table (also its fake physical name): {@link TABLE_LOGICAL_ID}. */
export function tableLogicalId(input: TemplateInput): string {
  const template = toTemplateJson(input);
  const id = singleResourceOfType(template, 'AWS::DynamoDB::Table');
  if (id !== TABLE_LOGICAL_ID) throw new Error(`the table is ${id}, expected ${TABLE_LOGICAL_ID}`);
  return id;
}

/** Logical IDs of the state machines, by name (`EcsDeployer-ecs-canary`...). */
export function stateMachineLogicalIds(input: TemplateInput): Record<string, string> {
  const template = toTemplateJson(input);
  const ids = Object.keys(template.Resources).filter((id) => template.Resources[id]?.Type === 'AWS::StepFunctions::StateMachine');
  return Object.fromEntries(ids.map((id) => [getAttOf(template, id, 'Name'), id]));
}

/** Names of the state machines, as their ARNs have them. */
export function stateMachineNames(input: TemplateInput): string[] {
  return Object.keys(stateMachineLogicalIds(input)).sort();
}

/**
 * The functions a state machine's role may invoke: `lambda:InvokeFunction`
 * on their published version (`version`) or on `$LATEST` (`latest`).
 */
export function functionsInvokableByStateMachine(
  input: TemplateInput,
  stateMachineId: string,
  which: 'version' | 'latest' = 'version',
): FunctionKey[] {
  const template = toTemplateJson(input);
  const id = stateMachineId;
  const statements = roleStatements(template, roleOf(resource(template, id).Properties?.RoleArn, id));
  return (Object.keys(ALL_FUNCTIONS) as FunctionKey[]).filter((key) => {
    if (which === 'latest') return isAllowed(statements, 'lambda:InvokeFunction', functionArn(template, key));
    const versioned = Object.values(template.Resources).some(
      (r) => r.Type === 'AWS::Lambda::Version' && JSON.stringify(r.Properties?.FunctionName) === JSON.stringify({ Ref: functionLogicalIds(template)[key] }),
    );
    return versioned && isAllowed(statements, 'lambda:InvokeFunction', functionVersionArn(template, key));
  });
}

// ---------------------------------------------------------------------------
// Evaluation
// ---------------------------------------------------------------------------

function wildcardRegExp(pattern: string, flags: string): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`, flags);
}

/** IAM wildcard match: `*` any run of characters (including `/` and `:`), `?` one character. */
export function wildcardMatch(pattern: string, value: string, caseInsensitive = false): boolean {
  return wildcardRegExp(pattern, caseInsensitive ? 'si' : 's').test(value);
}

function matchesAction(statement: ResolvedStatement, action: string): boolean {
  if (statement.Action) return statement.Action.some((p) => wildcardMatch(p, action, true));
  if (statement.NotAction) return !statement.NotAction.some((p) => wildcardMatch(p, action, true));
  return false;
}

function matchesResource(statement: ResolvedStatement, res: string): boolean {
  if (statement.Resource) return statement.Resource.some((p) => wildcardMatch(p, res));
  if (statement.NotResource) return !statement.NotResource.some((p) => wildcardMatch(p, res));
  return false;
}

/**
 * Whether `statements` allow `action` (e.g. `ecs:UpdateService`, matched
 * case-insensitively) on `resource` (an ARN, matched case-sensitively):
 * some Allow statement matches, and no unconditional Deny does. Conditions
 * are ignored: a conditional Allow counts as an Allow.
 */
export function isAllowed(statements: readonly ResolvedStatement[], action: string, resource: string): boolean {
  const applies = (s: ResolvedStatement): boolean => matchesAction(s, action) && matchesResource(s, resource);
  const denied = statements.some((s) => s.Effect === 'Deny' && s.Condition === undefined && applies(s));
  return !denied && statements.some((s) => s.Effect === 'Allow' && applies(s));
}
