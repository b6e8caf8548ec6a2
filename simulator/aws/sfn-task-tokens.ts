/**
 * Task tokens of `.waitForTaskToken` states: the rehearsal issues one when
 * an execution enters such a state, SendTaskSuccess / SendTaskFailure answer
 * it once. As in Step Functions
 * (https://docs.aws.amazon.com/step-functions/latest/apireference/API_SendTaskSuccess.html),
 * a token that is not one Step Functions issued is `InvalidToken`; a token
 * whose task is over (already answered, or its execution ended) is
 * `TaskTimedOut` ("Provided task does not exist anymore").
 */
import { createHash } from 'node:crypto';
import { InvalidToken, TaskTimedOut, ValidationException } from '@aws-sdk/client-sfn';
import { modeledError } from './sdk-errors.ts';

/** How a task ended: SendTaskSuccess's output, or SendTaskFailure's error and cause. */
export type TaskResult = { output: string } | { error?: string; cause?: string };

/** A token the simulation issued. */
export interface IssuedTaskToken {
  token: string;
  executionArn: string;
  stateName: string;
  issuedAt: number;
  /** Set once answered. */
  result?: TaskResult;
}

const MAX_TOKEN_LENGTH = 2048;
const TOKEN = /^AQ[A-Za-z0-9+/]+={0,2}$/;

/** The tokens issued, and whether they were answered. */
export class TaskTokens {
  private readonly issued = new Map<string, IssuedTaskToken>();
  private readonly closed = new Set<string>();

  /** A new token for the task the execution's state is waiting on. */
  public issue(executionArn: string, stateName: string, at: number): string {
    const digest = (n: number): string =>
      createHash('sha256').update(`${executionArn}#${stateName}#${at}#${this.issued.size}#${n}`).digest('base64');
    const token = `AQCEAAAAKgAAAAMAAAAAAAAAA${digest(0)}${digest(1)}${digest(2)}`.replace(/=/g, '');
    this.issued.set(token, { token, executionArn, stateName, issuedAt: at });
    return token;
  }

  /** Every issued token (of one execution when given), oldest first. */
  public list(executionArn?: string): IssuedTaskToken[] {
    return [...this.issued.values()]
      .filter((t) => executionArn === undefined || t.executionArn === executionArn)
      .map((t) => ({ ...t }));
  }

  /** The execution has ended: its tasks no longer exist. */
  public closeExecution(executionArn: string): void {
    this.closed.add(executionArn);
  }

  /** Validate an answer to `token` and record it; throws as Step Functions refuses it. */
  public answer(token: string | undefined, result: TaskResult): IssuedTaskToken {
    const text = token ?? '';
    if (text.length === 0 || text.length > MAX_TOKEN_LENGTH) {
      throw modeledError(
        ValidationException,
        `1 validation error detected: Value at 'taskToken' failed to satisfy constraint: Member must have length between 1 and ${MAX_TOKEN_LENGTH}`,
        {},
      );
    }
    const issued = TOKEN.test(text) ? this.issued.get(text) : undefined;
    if (issued === undefined) throw modeledError(InvalidToken, "Invalid Token: 'Invalid token'", {});
    if (issued.result !== undefined || this.closed.has(issued.executionArn)) {
      throw modeledError(TaskTimedOut, "Task Timed Out: 'Provided task does not exist anymore'", {});
    }
    issued.result = { ...result };
    return { ...issued };
  }
}
