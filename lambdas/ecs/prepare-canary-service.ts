/**
 * PrepareCanaryService: the canary service that runs the new revision next
 * to the primary, with no task yet (each step sizes it). Created by the
 * deployer as a copy of the primary's network, launch type or capacity
 * providers, platform version, health check grace period, placement and
 * volumes, registered in the canary target group (not in its service
 * discovery: traffic reaches it only by the listener's weights); or, when
 * the team owns one (`canaryService`), that service pointed at the new
 * revision.
 */
import { CreateServiceCommand, type CreateServiceCommandInput, type Service } from '@aws-sdk/client-ecs';
import * as z from 'zod/mini';
import { awsCall } from '../shared/aws-call.ts';
import { DeploymentSchema, SnapshotSchema, type Deployment } from '../shared/deployment.ts';
import { ServiceNotReady } from '../shared/errors.ts';
import { createHandler } from '../shared/handler.ts';
import { logger } from '../shared/logger.ts';
import { describeService, ecs, findService } from './ecs-client.ts';
import { deploymentConfiguration, updateService } from './update-service.ts';

const EventSchema = z.object({ deployment: DeploymentSchema, snapshot: SnapshotSchema, taskDefinitionArn: z.string().check(z.minLength(1)) });

/** Tags that say who made the canary, and for which deployment. */
export const CANARY_TAGS = (deployment: Deployment) => [
  { key: 'ecs-deployer:service', value: deployment.service },
  { key: 'ecs-deployer:execution', value: deployment.executionName },
];

/** The CreateService input of a canary modelled on `primary`. */
export function canaryServiceInput(
  deployment: Deployment,
  primary: Service,
  canary: { service: string; targetGroupArn: string },
  taskDefinitionArn: string,
): CreateServiceCommandInput {
  const primaryTargetGroup = deployment.ecs.primary?.targetGroupArn;
  const registration = primary.loadBalancers?.find((lb) => lb.targetGroupArn === primaryTargetGroup);
  if (registration?.containerName === undefined || registration.containerPort === undefined) {
    throw new ServiceNotReady(`the primary service ${primary.serviceName ?? '?'} is not registered in ${primaryTargetGroup ?? 'its target group'} with a container and port`);
  }
  const input: CreateServiceCommandInput = {
    cluster: deployment.ecs.cluster,
    serviceName: canary.service,
    taskDefinition: taskDefinitionArn,
    desiredCount: 0,
    loadBalancers: [
      { targetGroupArn: canary.targetGroupArn, containerName: registration.containerName, containerPort: registration.containerPort },
    ],
    deploymentConfiguration: deploymentConfiguration(undefined),
    tags: CANARY_TAGS(deployment),
    propagateTags: 'SERVICE',
    enableECSManagedTags: primary.enableECSManagedTags ?? true,
  };
  if (primary.networkConfiguration !== undefined) input.networkConfiguration = primary.networkConfiguration;
  if (primary.capacityProviderStrategy !== undefined && primary.capacityProviderStrategy.length > 0) {
    input.capacityProviderStrategy = primary.capacityProviderStrategy;
  } else if (primary.launchType !== undefined) {
    input.launchType = primary.launchType;
  }
  if (primary.platformVersion !== undefined) input.platformVersion = primary.platformVersion;
  if (primary.healthCheckGracePeriodSeconds !== undefined) input.healthCheckGracePeriodSeconds = primary.healthCheckGracePeriodSeconds;
  if (primary.placementConstraints !== undefined && primary.placementConstraints.length > 0) input.placementConstraints = primary.placementConstraints;
  if (primary.placementStrategy !== undefined && primary.placementStrategy.length > 0) input.placementStrategy = primary.placementStrategy;
  if (primary.enableExecuteCommand !== undefined) input.enableExecuteCommand = primary.enableExecuteCommand;
  // Volumes configured at launch are part of the deployment (DescribeServices returns them there).
  const volumes = primary.deployments?.find((d) => d.status === 'PRIMARY')?.volumeConfigurations;
  if (volumes !== undefined && volumes.length > 0) input.volumeConfigurations = volumes;
  // Service discovery and Service Connect are left out on purpose: they would send clients to the
  // canary directly, past the listener's weights.
  return input;
}

export const handler = createHandler(EventSchema, async function prepare({ deployment, snapshot, taskDefinitionArn }) {
  const canary = deployment.ecs.canary;
  const primaryName = snapshot.services.primary?.service;
  if (canary?.targetGroupArn === undefined || primaryName === undefined) {
    throw new ServiceNotReady('a canary deployment needs the primary service and the canary target group');
  }
  const existing = await findService(deployment.ecs.cluster, canary.service);
  if (existing !== undefined) {
    // Owned by the team (or left by an earlier run and recorded in the snapshot): point it at the new revision, no task yet.
    await updateService(deployment, canary.service, { taskDefinitionArn, desiredCount: 0 });
    return { service: canary.service, created: false };
  }
  const primary = await describeService(deployment.ecs.cluster, primaryName);
  await awsCall('ecs:CreateService', () =>
    ecs().send(new CreateServiceCommand(canaryServiceInput(deployment, primary, { service: canary.service, targetGroupArn: canary.targetGroupArn! }, taskDefinitionArn))),
  );
  logger.info('canary service created', { serviceName: deployment.service, ecsService: canary.service });
  return { service: canary.service, created: true };
});
