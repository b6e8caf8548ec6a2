/**
 * The AWS clients of the operator commands, created for the region given
 * with `--region`, else the SDK's default chain (AWS_REGION, the profile).
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** One client per AWS service the commands call. */
export interface OperatorClients {
  cloudFormation: CloudFormationClient;
  stepFunctions: SFNClient;
  /** Document client on the deployer's table: plain JavaScript values in and out. */
  table: DynamoDBDocumentClient;
  loadBalancing: ElasticLoadBalancingV2Client;
}

/** Create the clients; `region` undefined leaves it to the SDK's default chain. */
export function createOperatorClients(region: string | undefined): OperatorClients {
  const config = region === undefined ? {} : { region };
  return {
    cloudFormation: new CloudFormationClient(config),
    stepFunctions: new SFNClient(config),
    table: DynamoDBDocumentClient.from(new DynamoDBClient(config), { marshallOptions: { removeUndefinedValues: true } }),
    loadBalancing: new ElasticLoadBalancingV2Client(config),
  };
}
