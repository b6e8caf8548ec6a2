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
