/**
 * Simulated Amazon SNS: the deployer's notification topic. It receives what
 * the stack's EventBridge rule delivers (see `notification-rule.ts`) and
 * anything a handler publishes itself (Publish, validated as SNS does:
 * https://docs.aws.amazon.com/sns/latest/api/API_Publish.html). Messages
 * are kept for the tests and the rehearsal report.
 */
import {
  InvalidParameterException,
  NotFoundException,
  PublishCommand,
  SNSClient,
  SNSServiceException,
  type PublishCommandInput,
  type PublishCommandOutput,
} from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { refuseUnimplemented, serve, type ApiEnvironment, type CallContext, type SimulatedApi } from './api-call.ts';
import type { Caller } from './calls.ts';
import { uuidFrom } from './ids.ts';
import { modeledError, SimulationNotImplemented } from './sdk-errors.ts';

type Output<T> = Omit<T, '$metadata'>;

/** A message published to a topic. */
export interface SnsMessage {
  topicArn: string;
  messageId: string;
  /** Epoch ms of virtual time. */
  time: number;
  /** Undefined when the publisher gave none (EventBridge targets never do). */
  subject?: string;
  message: string;
  /** Who published it: a handler's Publish call, or the EventBridge rule. */
  via: 'publish' | 'eventbridge';
  caller?: Caller;
}

const MAX_MESSAGE_BYTES = 256 * 1024;

/** The simulated SNS topics of the world. */
export class SimSns implements SimulatedApi {
  private readonly topics = new Set<string>();
  private readonly published: SnsMessage[] = [];

  public constructor(
    private readonly env: ApiEnvironment,
    topicArns: Iterable<string>,
  ) {
    for (const arn of topicArns) this.topics.add(arn);
  }

  /** The messages published so far, oldest first (to one topic when given). */
  public messages(topicArn?: string): SnsMessage[] {
    return this.published
      .filter((m) => topicArn === undefined || m.topicArn === topicArn)
      .map((m) => ({ ...m, ...(m.caller === undefined ? {} : { caller: { ...m.caller } }) }));
  }

  /** Publish as an AWS service does (no IAM call of the caller's): used by the EventBridge rule. */
  public deliver(topicArn: string, message: string, at: number): void {
    if (!this.topics.has(topicArn)) throw new Error(`sns: topic ${topicArn} does not exist in the simulated world`);
    this.published.push({ topicArn, messageId: this.nextId(at), time: at, message, via: 'eventbridge' });
  }

  /** Install the SNSClient mock; returns the function that removes it. */
  public install(): () => void {
    const stub = mockClient(SNSClient);
    refuseUnimplemented(stub, this.env, 'sns', 'SNS');
    stub.on(PublishCommand).callsFake(
      serve(this.env, SNSServiceException, {
        action: 'sns:Publish',
        authorize: (input: PublishCommandInput) => [{ action: 'sns:Publish', resources: [input.TopicArn ?? input.TargetArn ?? '*'] }],
        run: (input: PublishCommandInput, context: CallContext) => this.publish(input, context),
      }),
    );
    return () => stub.restore();
  }

  private nextId(at: number): string {
    return uuidFrom(`sns#${at}#${this.published.length}`);
  }

  private publish(input: PublishCommandInput, context: CallContext): Output<PublishCommandOutput> {
    if (input.TargetArn !== undefined || input.PhoneNumber !== undefined) {
      throw new SimulationNotImplemented('the simulated SNS publishes to topics only (TopicArn)');
    }
    const invalid = (message: string): Error => modeledError(InvalidParameterException, message, {});
    const topicArn = input.TopicArn;
    if (topicArn === undefined) throw invalid('Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter');
    if (!/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/.test(topicArn)) {
      throw invalid('Invalid parameter: TopicArn');
    }
    if (!this.topics.has(topicArn)) throw modeledError(NotFoundException, 'Topic does not exist', {}, 404);
    const message = input.Message ?? '';
    if (message === '') throw invalid('Invalid parameter: Message Reason: Empty message');
    if (Buffer.byteLength(message, 'utf8') > MAX_MESSAGE_BYTES) {
      throw invalid('Invalid parameter: Message too long');
    }
    const subject = input.Subject;
    if (subject !== undefined && (subject === '' || subject.length > 100 || !/^[\x20-\x7e]+$/.test(subject) || /^\s/.test(subject))) {
      throw invalid('Invalid parameter: Subject');
    }
    if (input.MessageStructure !== undefined && input.MessageStructure !== 'json') {
      throw invalid('Invalid parameter: MessageStructure');
    }
    const messageId = this.nextId(context.at);
    const record: SnsMessage = { topicArn, messageId, time: context.at, message, via: 'publish', caller: { ...context.caller } };
    if (subject !== undefined) record.subject = subject;
    this.published.push(record);
    return { MessageId: messageId };
  }
}
