/**
 * What bin/app.ts puts in the CDK app, in one function the tests call too,
 * so they check exactly what `cdk deploy` installs (cdk-nag included).
 */
import { Validations, type App } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { DeployerConfig } from '../lambdas/shared/config.ts';
import { DeployerStack } from './deployer-stack.ts';

/** Name of the installed stack. */
export const STACK_NAME = 'EcsDeployer';

/**
 * Add the deployer stack to `app`, checked by the cdk-nag AWS Solutions
 * rules (findings are synth errors unless acknowledged with a reason).
 * The stack is environment-agnostic: it installs into whatever account and
 * region `cdk deploy` targets, with no context lookups.
 */
export function addDeployerStack(app: App, config: DeployerConfig): DeployerStack {
  const stack = new DeployerStack(app, STACK_NAME, {
    config,
    description: 'Serverless progressive deployer for ECS services (ecs-progressive-deployer)',
  });
  addNagChecks(app);
  return stack;
}

/**
 * Check every stack of `app` with the cdk-nag AWS Solutions rules: a
 * finding fails synth (listed in validation-report.json) unless acknowledged
 * with `Validations.of(construct).acknowledge({ id, reason })`.
 */
export function addNagChecks(app: App): void {
  // cdk-nag v3 is a CDK policy-validation plugin, not an Aspect. The
  // acknowledgments are also written to the template metadata (`cdk_nag`) so
  // every deliberate exception, and why, is visible in what is deployed.
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true, writeSuppressionsToCloudFormation: true }));
}
