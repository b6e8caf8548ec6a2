/**
 * Listener and rule actions as Elastic Load Balancing validates and returns
 * them. Sources:
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_Action.html,
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_ForwardActionConfig.html,
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_TargetGroupTuple.html
 * (weights 0 to 999), https://docs.aws.amazon.com/elasticloadbalancing/latest/application/rule-action-types.html
 * (exactly one routing action, last) and the ALB quota of 5 target groups
 * per forward action.
 *
 * A forward action is stored the way DescribeListeners/DescribeRules return
 * it: always with a ForwardConfig (weights default to 1, stickiness to
 * `{Enabled: false}`), and with `TargetGroupArn` too when it forwards to a
 * single target group.
 */
import {
  ElasticLoadBalancingV2ServiceException,
  InvalidLoadBalancerActionException,
  TargetGroupNotFoundException,
  type Action,
  type RuleCondition,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { modeledError, unmodeledError } from './sdk-errors.ts';

const ACTION_TYPES = ['forward', 'authenticate-oidc', 'authenticate-cognito', 'redirect', 'fixed-response'];
const ROUTING_TYPES = new Set(['forward', 'redirect', 'fixed-response']);
const CONTENT_TYPES = ['text/plain', 'text/css', 'text/html', 'application/javascript', 'application/json'];
const CONDITION_FIELDS = ['http-header', 'http-request-method', 'host-header', 'path-pattern', 'query-string', 'source-ip'];
const MAX_TARGET_GROUPS = 5;
const MAX_WEIGHT = 999;

/** An ELB `ValidationError` (not a modeled exception: the SDK builds it from the base class). */
export function validationError(message: string): Error {
  return unmodeledError(ElasticLoadBalancingV2ServiceException, { name: 'ValidationError', message });
}

function routingError(message: string): Error {
  return modeledError(InvalidLoadBalancerActionException, message, {});
}

function forwardAction(action: Action, path: string, exists: (arn: string) => boolean): Action {
  const tuples = action.ForwardConfig?.TargetGroups ?? [];
  if (action.TargetGroupArn === undefined && tuples.length === 0) {
    throw validationError('A target group ARN must be specified for a forward action');
  }
  if (action.TargetGroupArn !== undefined && tuples.length > 0) {
    if (tuples.length > 1 || tuples[0]?.TargetGroupArn !== action.TargetGroupArn) {
      throw validationError(
        'You can specify both a target group ARN and a forward config only if the forward config has exactly that one target group',
      );
    }
  }
  const groups = tuples.length > 0 ? tuples : [{ TargetGroupArn: action.TargetGroupArn, Weight: 1 }];
  if (groups.length > MAX_TARGET_GROUPS) {
    throw validationError(`You cannot specify more than ${MAX_TARGET_GROUPS} target groups in a forward action`);
  }
  const seen = new Set<string>();
  const normalized = groups.map((group, index) => {
    const where = `${path}.forwardConfig.targetGroups.${index + 1}.member`;
    const arn = group.TargetGroupArn;
    if (arn === undefined || arn === '') throw validationError(`A target group ARN must be specified at '${where}.targetGroupArn'`);
    if (seen.has(arn)) throw validationError(`Target group '${arn}' is specified more than once in the forward action`);
    seen.add(arn);
    const weight = group.Weight ?? 1;
    if (!Number.isInteger(weight) || weight < 0) {
      throw validationError(
        `1 validation error detected: Value '${weight}' at '${where}.weight' failed to satisfy constraint: Member must have value greater than or equal to 0`,
      );
    }
    if (weight > MAX_WEIGHT) {
      throw validationError(
        `1 validation error detected: Value '${weight}' at '${where}.weight' failed to satisfy constraint: Member must have value less than or equal to ${MAX_WEIGHT}`,
      );
    }
    if (!exists(arn)) throw modeledError(TargetGroupNotFoundException, `Target groups '${arn}' not found`, {});
    return { TargetGroupArn: arn, Weight: weight };
  });
  if (normalized.every((g) => g.Weight === 0)) {
    throw validationError('At least one target group of a forward action must have a weight greater than 0');
  }
  const stickiness = action.ForwardConfig?.TargetGroupStickinessConfig ?? { Enabled: false };
  if (stickiness.Enabled === true) {
    const duration = stickiness.DurationSeconds;
    if (duration === undefined || !Number.isInteger(duration) || duration < 1 || duration > 604_800) {
      throw validationError('The stickiness duration must be between 1 and 604800 seconds when stickiness is enabled');
    }
  }
  const stored: Action = {
    Type: 'forward',
    ForwardConfig: { TargetGroups: normalized, TargetGroupStickinessConfig: { ...stickiness } },
  };
  if (normalized.length === 1) stored.TargetGroupArn = normalized[0]?.TargetGroupArn;
  if (action.Order !== undefined) stored.Order = action.Order;
  return stored;
}

function fixedResponseAction(action: Action, path: string): Action {
  const config = action.FixedResponseConfig;
  const status = config?.StatusCode ?? '';
  if (!/^(2|4|5)\d\d$/.test(status)) {
    throw validationError(
      `1 validation error detected: Value '${status}' at '${path}.fixedResponseConfig.statusCode' failed to satisfy constraint: Member must satisfy regular expression pattern: ^(2|4|5)\\d\\d$`,
    );
  }
  if (config?.ContentType !== undefined && !CONTENT_TYPES.includes(config.ContentType)) {
    throw routingError(`The ContentType must be one of: ${CONTENT_TYPES.map((c) => `'${c}'`).join(', ')}`);
  }
  if ((config?.MessageBody ?? '').length > 1024) throw validationError('The message body of a fixed response cannot exceed 1024 characters');
  return structuredClone(action);
}

/**
 * Validate the actions of a ModifyListener (`defaultActions`) or ModifyRule
 * (`actions`) and return them as ELB stores and describes them.
 */
export function validateActions(actions: readonly Action[], member: 'defaultActions' | 'actions', exists: (arn: string) => boolean): Action[] {
  if (actions.length === 0) throw validationError(`At least one action must be specified in '${member}'`);
  actions.forEach((action, index) => {
    if (!ACTION_TYPES.includes(action.Type ?? '')) {
      throw validationError(
        `1 validation error detected: Value '${action.Type ?? 'null'}' at '${member}.${index + 1}.member.type' failed to satisfy constraint: Member must satisfy enum value set: [${ACTION_TYPES.join(', ')}]`,
      );
    }
  });
  if (actions.length > 1) {
    const orders = actions.map((a) => a.Order);
    if (orders.some((o) => o === undefined || !Number.isInteger(o) || o < 1 || o > 50_000)) {
      throw validationError('Each action must have an order between 1 and 50000 when a rule has several actions');
    }
    if (new Set(orders).size !== orders.length) throw validationError('The order of each action must be unique');
  }
  const sorted = [...actions].sort((a, b) => (a.Order ?? 0) - (b.Order ?? 0));
  const routing = sorted.filter((a) => ROUTING_TYPES.has(a.Type ?? ''));
  if (routing.length !== 1 || sorted.at(-1) !== routing[0]) {
    throw routingError('You must specify exactly one forward, redirect or fixed-response action, and it must be the last action');
  }
  return actions.map((action, index) => {
    const path = `${member}.${index + 1}.member`;
    if (action.Type === 'forward') return forwardAction(action, path, exists);
    if (action.Type === 'fixed-response') return fixedResponseAction(action, path);
    return structuredClone(action);
  });
}

/** Validate the conditions of a ModifyRule. */
export function validateConditions(conditions: readonly RuleCondition[]): RuleCondition[] {
  if (conditions.length === 0) throw validationError('A rule must have at least one condition');
  return conditions.map((condition) => {
    if (!CONDITION_FIELDS.includes(condition.Field ?? '')) {
      throw validationError(`Condition field '${condition.Field ?? ''}' must be one of '[${CONDITION_FIELDS.join(',')}]'`);
    }
    return structuredClone(condition);
  });
}
