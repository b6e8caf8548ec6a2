/**
 * A minimal Lambda `Context`, so tests call handlers the way the Lambda
 * runtime does: `await handler(event, lambdaContext())`.
 */
import type { Context } from 'aws-lambda';

/** The function runs in the account and region of the handler fixtures (lambda-fixtures.ts): the deployer's own registry. */
export function lambdaContext(functionName = 'deployer-test-function', region = 'eu-west-1', account = '123456789012'): Context {
  const deadline = Date.now() + 60_000;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:${account}:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: '2026/01/31/[$LATEST]abcdef0123456789',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
