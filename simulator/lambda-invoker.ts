/**
 * Calls a real Lambda handler in-process the way the Lambda service would:
 * the event and result go through JSON, and a thrown error reaches Step
 * Functions as `Error = errorType`, `Cause = {"errorType","errorMessage","trace"}`.
 */
import type { Context } from 'aws-lambda';
import type { LambdaHandler } from '../lambdas/shared/handler.ts';

/** An error as Step Functions sees a failed Lambda invocation. */
export class LambdaInvocationError extends Error {
  public constructor(errorType: string, errorMessage: string) {
    super(JSON.stringify({ errorType, errorMessage, trace: [] }));
    this.name = errorType;
  }
}

function fakeContext(functionName: string, region: string, account: string): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:${account}:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: crypto.randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local-rehearsal',
    getRemainingTimeInMillis: () => 30_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** Invoke `handler` with a JSON copy of `event`; returns a JSON copy of its result. */
export async function invokeLambda(
  functionName: string,
  handler: LambdaHandler<unknown>,
  event: unknown,
  env: { region: string; account: string },
): Promise<unknown> {
  const payload: unknown = JSON.parse(JSON.stringify(event ?? null));
  let result: unknown;
  try {
    result = await handler(payload, fakeContext(functionName, env.region, env.account));
  } catch (error) {
    const name = error instanceof Error ? error.name : 'Error';
    const message = error instanceof Error ? error.message : String(error);
    throw new LambdaInvocationError(name, message);
  }
  return result === undefined ? null : (JSON.parse(JSON.stringify(result)) as unknown);
}
