/**
 * The ARNs of simulated resources, built the way AWS builds them, so that the
 * recorded calls can be checked against real IAM policy statements.
 */

/** The account and region resources live in. */
export interface Place {
  readonly account: string;
  readonly region: string;
}

/** `arn:aws:ecs:REGION:ACCOUNT:cluster/NAME` */
export function clusterArn(place: Place, cluster: string): string {
  return `arn:aws:ecs:${place.region}:${place.account}:cluster/${cluster}`;
}

/** `arn:aws:ecs:REGION:ACCOUNT:service/CLUSTER/SERVICE` (the long ARN format). */
export function serviceArn(place: Place, cluster: string, service: string): string {
  return `arn:aws:ecs:${place.region}:${place.account}:service/${cluster}/${service}`;
}

/** `arn:aws:ecs:REGION:ACCOUNT:task-definition/FAMILY:REVISION` */
export function taskDefinitionArn(place: Place, family: string, revision: number): string {
  return `arn:aws:ecs:${place.region}:${place.account}:task-definition/${family}:${revision}`;
}

/** `arn:aws:ecr:REGION:ACCOUNT:repository/NAME` */
export function repositoryArn(place: Place, repository: string, registryId = place.account): string {
  return `arn:aws:ecr:${place.region}:${registryId}:repository/${repository}`;
}

/** `arn:aws:cloudwatch:REGION:ACCOUNT:alarm:NAME` */
export function alarmArn(place: Place, alarm: string): string {
  return `arn:aws:cloudwatch:${place.region}:${place.account}:alarm:${alarm}`;
}

/** `arn:aws:dynamodb:REGION:ACCOUNT:table/NAME` */
export function tableArn(place: Place, table: string): string {
  return `arn:aws:dynamodb:${place.region}:${place.account}:table/${table}`;
}

/** `arn:aws:events:REGION:ACCOUNT:event-bus/NAME` */
export function eventBusArn(place: Place, bus: string): string {
  return `arn:aws:events:${place.region}:${place.account}:event-bus/${bus}`;
}

/** `arn:aws:states:REGION:ACCOUNT:stateMachine:NAME` */
export function stateMachineArn(place: Place, name: string): string {
  return `arn:aws:states:${place.region}:${place.account}:stateMachine:${name}`;
}

/** `arn:aws:states:REGION:ACCOUNT:execution:STATE_MACHINE:NAME` */
export function executionArn(place: Place, stateMachine: string, name: string): string {
  return `arn:aws:states:${place.region}:${place.account}:execution:${stateMachine}:${name}`;
}

/** The name in a `name or ARN` parameter: the part after the last `separator` of an ARN, or the value itself. */
export function nameFromArnOrName(value: string, separator = '/'): string {
  if (!value.startsWith('arn:')) return value;
  return value.slice(value.lastIndexOf(separator) + 1);
}

/** `arn:aws:ecs:REGION:ACCOUNT:task/CLUSTER/ID` (the long ARN format). */
export function taskArn(place: Place, cluster: string, id: string): string {
  return `arn:aws:ecs:${place.region}:${place.account}:task/${cluster}/${id}`;
}

/** `arn:aws:sns:REGION:ACCOUNT:NAME` */
export function topicArn(place: Place, name: string): string {
  return `arn:aws:sns:${place.region}:${place.account}:${name}`;
}

/** The parts of an Application Load Balancer resource ARN. */
export type ElbResource =
  | { kind: 'loadbalancer'; arn: string; lbName: string; lbId: string }
  | { kind: 'listener'; arn: string; lbName: string; lbId: string; listenerId: string }
  | { kind: 'listener-rule'; arn: string; lbName: string; lbId: string; listenerId: string; ruleId: string }
  | { kind: 'targetgroup'; arn: string; name: string; id: string };

const ELB_ARN =
  /^arn:aws[a-z-]*:elasticloadbalancing:([a-z0-9-]+):(\d{12}):(loadbalancer|listener|listener-rule|targetgroup)\/(.+)$/;

/** Parse an ELBv2 ARN of an application load balancer, listener, listener rule or target group. */
export function parseElbArn(arn: string): ElbResource | undefined {
  const match = ELB_ARN.exec(arn);
  if (match === null) return undefined;
  const parts = (match[4] ?? '').split('/');
  switch (match[3]) {
    case 'targetgroup':
      return parts.length === 2 ? { kind: 'targetgroup', arn, name: parts[0] ?? '', id: parts[1] ?? '' } : undefined;
    case 'loadbalancer':
      return parts.length === 3 && parts[0] === 'app'
        ? { kind: 'loadbalancer', arn, lbName: parts[1] ?? '', lbId: parts[2] ?? '' }
        : undefined;
    case 'listener':
      return parts.length === 4 && parts[0] === 'app'
        ? { kind: 'listener', arn, lbName: parts[1] ?? '', lbId: parts[2] ?? '', listenerId: parts[3] ?? '' }
        : undefined;
    default:
      return parts.length === 5 && parts[0] === 'app'
        ? {
            kind: 'listener-rule',
            arn,
            lbName: parts[1] ?? '',
            lbId: parts[2] ?? '',
            listenerId: parts[3] ?? '',
            ruleId: parts[4] ?? '',
          }
        : undefined;
  }
}

/** `arn:aws:elasticloadbalancing:REGION:ACCOUNT:loadbalancer/app/NAME/ID` */
export function loadBalancerArn(place: Place, name: string, id: string): string {
  return `arn:aws:elasticloadbalancing:${place.region}:${place.account}:loadbalancer/app/${name}/${id}`;
}

/** `arn:aws:elasticloadbalancing:REGION:ACCOUNT:listener/app/NAME/LBID/LISTENERID` */
export function listenerArn(place: Place, lbName: string, lbId: string, listenerId: string): string {
  return `arn:aws:elasticloadbalancing:${place.region}:${place.account}:listener/app/${lbName}/${lbId}/${listenerId}`;
}

/** `arn:aws:elasticloadbalancing:REGION:ACCOUNT:listener-rule/app/NAME/LBID/LISTENERID/RULEID` */
export function listenerRuleArn(place: Place, lbName: string, lbId: string, listenerId: string, ruleId: string): string {
  return `arn:aws:elasticloadbalancing:${place.region}:${place.account}:listener-rule/app/${lbName}/${lbId}/${listenerId}/${ruleId}`;
}

/** The CloudWatch `TargetGroup` dimension of a target group ARN: `targetgroup/NAME/ID`. */
export function targetGroupDimension(targetGroupArn: string): string {
  return targetGroupArn.slice(targetGroupArn.indexOf(':targetgroup/') + 1);
}

/** The CloudWatch `LoadBalancer` dimension of a load balancer ARN: `app/NAME/ID`. */
export function loadBalancerDimension(loadBalancerArnValue: string): string {
  return loadBalancerArnValue.slice(loadBalancerArnValue.indexOf(':loadbalancer/') + ':loadbalancer/'.length);
}
