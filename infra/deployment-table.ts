/**
 * The deployer's only table. One partition per service holds:
 * - the lock item `pk=SERVICE#<name>, sk=LOCK` (one deployment per service at a time),
 * - one history item per deployment `pk=SERVICE#<name>, sk=DEPLOY#<startTime>#<executionName>`,
 *   so a service's history is one Query, newest last.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';

/**
 * Logical ID of the table in the template. Fixed (not hashed from the
 * construct path) so the local rehearsal and the IAM tests can name the table
 * after it, and so refactoring the construct tree never replaces the table.
 */
export const TABLE_LOGICAL_ID = 'DeploymentTable';

/** Props of {@link DeploymentTable}; none needed today. */
export type DeploymentTableProps = Record<string, never>;

export class DeploymentTable extends Construct {
  /** The table; grant narrowly (GetItem/UpdateItem), never `grantReadWriteData`. */
  public readonly table: dynamodb.Table;

  public constructor(scope: Construct, id: string, _props: DeploymentTableProps = {}) {
    super(scope, id);
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      // A few writes per deployment: on-demand costs nothing when idle.
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      // The history is the audit trail of production changes: recoverable, and
      // kept when the stack is deleted.
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    (this.table.node.defaultChild as dynamodb.CfnTable).overrideLogicalId(TABLE_LOGICAL_ID);
  }
}
