/**
 * A validated deployment of either kind, for the handlers both kinds of
 * state machine call (lock, history, events, approvals, verification,
 * listener weights): they read only the envelope fields the two share
 * (`service`, `strategy`, `image`, `imageTag`, `execution*`, `verification`,
 * `loadBalancer`, `steps`...).
 */
import * as z from 'zod/mini';
import { DeploymentSchema, type Deployment } from './deployment.ts';
import { VmDeploymentSchema, type VmDeployment } from './vm-deployment.ts';

export const AnyDeploymentSchema = z.lazy(() => z.discriminatedUnion('kind', [DeploymentSchema, VmDeploymentSchema]));
export type AnyDeployment = Deployment | VmDeployment;

/** The blue and green target groups of a blue-green deployment of either kind. */
export function colourTargetGroups(deployment: AnyDeployment): { blue?: string; green?: string } {
  if (deployment.kind === 'vm') {
    return { blue: deployment.blue?.targetGroupArn, green: deployment.green?.targetGroupArn };
  }
  return { blue: deployment.ecs.blue?.targetGroupArn, green: deployment.ecs.green?.targetGroupArn };
}
