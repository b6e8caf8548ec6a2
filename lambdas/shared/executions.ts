/**
 * What Step Functions says about an execution: used to tell whether the
 * execution holding a service lock is still running.
 */
import { DescribeExecutionCommand, SFNClient, type ExecutionStatus } from '@aws-sdk/client-sfn';
import { awsCall } from './aws-call.ts';
import { lazyClient } from './clients.ts';
import { AwsCallFailed } from './errors.ts';

const sfn = lazyClient(() => new SFNClient({}));

/** An execution as DescribeExecution reports it. */
export interface ExecutionState {
  executionArn: string;
  name: string;
  status: ExecutionStatus;
  /** Epoch milliseconds. */
  startDate: number;
  stopDate?: number;
  error?: string;
  cause?: string;
}

/**
 * Describe an execution; `undefined` when Step Functions no longer has it
 * (executions are kept 90 days after they end, so it ended long ago).
 */
export async function describeExecution(executionArn: string): Promise<ExecutionState | undefined> {
  try {
    const out = await awsCall('states:DescribeExecution', () => sfn().send(new DescribeExecutionCommand({ executionArn })));
    const state: ExecutionState = {
      executionArn,
      name: out.name ?? executionArn.slice(executionArn.lastIndexOf(':') + 1),
      status: out.status ?? 'RUNNING',
      startDate: out.startDate?.getTime() ?? 0,
    };
    if (out.stopDate !== undefined) state.stopDate = out.stopDate.getTime();
    if (out.error !== undefined) state.error = out.error;
    if (out.cause !== undefined) state.cause = out.cause;
    return state;
  } catch (error) {
    if (error instanceof AwsCallFailed && (error.cause as { name?: unknown } | undefined)?.name === 'ExecutionDoesNotExist') {
      return undefined;
    }
    throw error;
  }
}
