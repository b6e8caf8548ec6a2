/**
 * Task definition names for messages and history. Kept apart from `ecs.ts`
 * so a handler that only formats names (RecordEvent) does not bundle the ECS client.
 */

/** `family:revision` of a task definition ARN, for messages and history. */
export function shortTaskDefinition(arn: string): string {
  return arn.slice(arn.lastIndexOf('/') + 1);
}
