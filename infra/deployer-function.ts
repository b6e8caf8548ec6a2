/**
 * One Lambda of the deployer, built the same way for every entry of
 * lambdas/registry.ts: its own role (only what the stack grants it, plus
 * writing to its own log group), its own log group, and a bundle that
 * carries its AWS SDK clients and, when it needs it, the validated config.
 */
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { configDocument, type DeployerConfig } from '../lambdas/shared/config.ts';
import { ALL_FUNCTIONS, ENV, functionTimeoutSeconds, type FunctionKey } from '../lambdas/registry.ts';
import { fromRepoRoot, REPO_ROOT } from './repo-root.ts';

/** The runtime every function runs on; the esbuild target follows it. */
export const FUNCTION_RUNTIME: lambda.Runtime = lambda.Runtime.NODEJS_24_X;
/** esbuild target matching {@link FUNCTION_RUNTIME}. */
export const BUNDLE_TARGET = 'node24';
/**
 * Packages' ES module builds first (esbuild's default for Node is `main`
 * first): the AWS SDK's `dist-es` lets esbuild leave out what a function does
 * not use, which makes bundles a quarter smaller and their cold import about a
 * third faster (`npm run bench`) than with the SDK's CommonJS builds.
 */
export const BUNDLE_MAIN_FIELDS = ['module', 'main'];

/**
 * Metadata key on each `AWS::Lambda::Function` whose value is the function's
 * key in lambdas/registry.ts. Tests and tools find a function by it instead
 * of guessing from hashed logical IDs.
 */
export const FUNCTION_KEY_METADATA = 'DeployerFunctionKey';

export interface DeployerFunctionProps {
  /** Key of the function in lambdas/registry.ts (entry, description, needsConfig). */
  readonly functionKey: FunctionKey;
  /** Validated config; compiled into the bundle only when the spec says `needsConfig`. */
  readonly config: DeployerConfig;
  /** Environment variables beyond the logging ones (see infra/function-environment.ts). */
  readonly environment?: Readonly<Record<string, string>>;
  /** The subnets and security groups of the config's `ssh` block: the function reaches SSH hosts from there. */
  readonly network?: { readonly subnetIds: readonly string[]; readonly securityGroupIds: readonly string[] };
}

/** Where a function carrying the release script finds it (beside its bundle, in the Lambda task root). */
export const BUNDLED_RELEASE_SCRIPT = '/var/task/release.sh';

export class DeployerFunction extends Construct {
  public readonly functionKey: FunctionKey;
  public readonly function: NodejsFunction;
  /** Execution role: starts with logging to {@link logGroup} only; the stack adds the rest. */
  public readonly role: iam.Role;
  public readonly logGroup: logs.LogGroup;

  /**
   * The version published for this code and configuration. The state
   * machines invoke it, not `$LATEST`: an execution started before a
   * `cdk deploy` keeps running the code it started with (an approval can
   * wait for days). Old versions are retained for the same reason.
   */
  public get version(): lambda.IVersion {
    return this.function.currentVersion;
  }

  public constructor(scope: Construct, id: string, props: DeployerFunctionProps) {
    super(scope, id);
    const spec = ALL_FUNCTIONS[props.functionKey];
    this.functionKey = props.functionKey;

    // An explicit log group: retention is bounded, and the role can be scoped
    // to it instead of the AWSLambdaBasicExecutionRole managed policy (logs on
    // every group). It goes with the stack; the history table is the audit trail.
    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `ECS deployer ${props.functionKey}: ${spec.description}`,
    });
    // The log group exists already, so CreateLogStream + PutLogEvents is all Lambda needs.
    this.logGroup.grantWrite(this.role);

    this.function = new NodejsFunction(this, 'Function', {
      entry: fromRepoRoot(spec.entry),
      handler: 'handler',
      projectRoot: REPO_ROOT,
      depsLockFilePath: fromRepoRoot('package-lock.json'),
      description: spec.description,
      runtime: FUNCTION_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      timeout: Duration.seconds(functionTimeoutSeconds(spec)),
      role: this.role,
      logGroup: this.logGroup,
      // Published versions outlive a deploy: an execution may still be calling one.
      currentVersionOptions: { removalPolicy: RemovalPolicy.RETAIN },
      environment: {
        POWERTOOLS_SERVICE_NAME: 'deployer',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        ...(spec.releaseScript === true ? { [ENV.releaseScript]: BUNDLED_RELEASE_SCRIPT } : {}),
        ...props.environment,
      },
      bundling: {
        minify: true,
        sourceMap: false,
        target: BUNDLE_TARGET,
        mainFields: BUNDLE_MAIN_FIELDS,
        format: OutputFormat.CJS,
        // Bundle the AWS SDK v3 clients too: the functions run the versions
        // the tests ran, not whatever the Lambda runtime ships.
        // ssh2's native addons are optional (it falls back to JavaScript when they do not load), and
        // esbuild cannot bundle a .node file: leave them out of the SSH functions' bundles.
        externalModules: spec.sshNetwork === true ? ['cpu-features', '*.node'] : [],
        // The config is validated at synth and compiled in, so the function
        // never fetches it and is never larger than an environment variable allows.
        // The value is a JS expression: a string literal holding the JSON.
        ...(spec.needsConfig
          ? { define: { 'process.env.DEPLOYER_CONFIG': JSON.stringify(configDocument(props.config)) } }
          : {}),
        // The release script the function sends to hosts travels beside the bundle, unchanged.
        ...(spec.releaseScript === true
          ? {
              commandHooks: {
                beforeBundling: (): string[] => [],
                beforeInstall: (): string[] => [],
                afterBundling: (inputDir: string, outputDir: string): string[] => [`cp "${inputDir}/vm/release.sh" "${outputDir}/release.sh"`],
              },
            }
          : {}),
      },
    });
    if (props.network !== undefined) this.joinNetwork(props.network);
    (this.function.node.defaultChild as lambda.CfnFunction).addMetadata(FUNCTION_KEY_METADATA, props.functionKey);
  }

  /**
   * Run in the given subnets and security groups. Set on the CloudFormation
   * resource, so synth needs no VPC lookup (it stays offline); the role gets
   * the network-interface calls Lambda makes for it.
   */
  private joinNetwork(network: NonNullable<DeployerFunctionProps['network']>): void {
    (this.function.node.defaultChild as lambda.CfnFunction).vpcConfig = {
      subnetIds: [...network.subnetIds],
      securityGroupIds: [...network.securityGroupIds],
    };
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: [
          'ec2:CreateNetworkInterface',
          'ec2:DescribeNetworkInterfaces',
          'ec2:DescribeSubnets',
          'ec2:DeleteNetworkInterface',
          'ec2:AssignPrivateIpAddresses',
          'ec2:UnassignPrivateIpAddresses',
        ],
        resources: ['*'],
      }),
    );
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'A function in a VPC needs the network-interface calls of AWSLambdaVPCAccessExecutionRole (ec2:CreateNetworkInterface, ' +
        'DescribeNetworkInterfaces...), which take no resource-level permissions Lambda could use; it only reaches the SSH hosts of the config.',
    });
  }

  /** Add a statement to the function's own role. */
  public addToRolePolicy(statement: iam.PolicyStatement): void {
    this.role.addToPrincipalPolicy(statement);
  }
}
