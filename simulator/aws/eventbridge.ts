/**
 * Simulated EventBridge PutEvents: entries are validated per entry as
 * EventBridge does (a bad entry fails alone, counted in FailedEntryCount) and
 * kept for the tests and the rehearsal report. Rules added with `addRule`
 * receive the accepted events that match them, once the call has returned,
 * as EventBridge delivers to a rule's targets.
 */
import {
  EventBridgeClient,
  EventBridgeServiceException,
  PutEventsCommand,
  type PutEventsCommandInput,
  type PutEventsCommandOutput,
  type PutEventsRequestEntry,
  type PutEventsResultEntry,
} from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import {
  refuseUnimplemented,
  serve,
  type ApiEnvironment,
  type SimulatedApi,
  type CallContext,
} from './api-call.ts';
import { eventBusArn, nameFromArnOrName } from './arns.ts';
import type { Caller } from './calls.ts';
import { uuidFrom } from './ids.ts';
import { unmodeledError } from './sdk-errors.ts';

type Output<T> = Omit<T, '$metadata'>;

/** An event accepted by PutEvents. */
export interface RecordedEvent {
  EventId: string;
  Source: string;
  DetailType: string;
  /** The parsed JSON detail. */
  Detail: unknown;
  EventBusName: string;
  Resources: string[];
  /** Event time, epoch ms (the entry's `Time`, or the call's). */
  time: number;
  caller: Caller;
}

/** Which events `entries()` returns; every field given must match. */
export interface EventFilter {
  source?: string;
  detailType?: string;
  eventBusName?: string;
}

/** A rule on a bus: matching events go to its target, outside the caller's context. */
export interface EventRule {
  name: string;
  eventBusName: string;
  matches(event: RecordedEvent): boolean;
  deliver(event: RecordedEvent): void;
}

const MAX_ENTRY_BYTES = 256 * 1024;

/** The simulated event buses of the world. */
export class SimEventBridge implements SimulatedApi {
  private readonly buses = new Set<string>(['default']);
  private readonly accepted: RecordedEvent[] = [];
  private readonly rules: EventRule[] = [];

  public constructor(
    private readonly env: ApiEnvironment,
    busNames: Iterable<string>,
  ) {
    for (const name of busNames) this.buses.add(name);
  }

  /** Create an event bus. */
  public createEventBus(name: string): void {
    this.buses.add(name);
  }

  /** Deliver the matching events accepted from now on to `rule`'s target. */
  public addRule(rule: EventRule): void {
    this.rules.push(rule);
  }

  /** The accepted events, oldest first. */
  public entries(filter: EventFilter = {}): RecordedEvent[] {
    return this.accepted
      .filter(
        (e) =>
          (filter.source === undefined || e.Source === filter.source) &&
          (filter.detailType === undefined || e.DetailType === filter.detailType) &&
          (filter.eventBusName === undefined || e.EventBusName === filter.eventBusName),
      )
      .map((e) => ({ ...e, Detail: structuredClone(e.Detail), Resources: [...e.Resources], caller: { ...e.caller } }));
  }

  /** Install the EventBridgeClient mock; returns the function that removes it. */
  public install(): () => void {
    const stub = mockClient(EventBridgeClient);
    refuseUnimplemented(stub, this.env, 'events', 'EventBridge');
    stub.on(PutEventsCommand).callsFake(
      serve(this.env, EventBridgeServiceException, {
        action: 'events:PutEvents',
        authorize: (input: PutEventsCommandInput) => [
          {
            action: 'events:PutEvents',
            resources: [...new Set((input.Entries ?? []).map((e) => this.busArn(e.EventBusName)))],
          },
        ],
        run: (input: PutEventsCommandInput, context: CallContext) => this.putEvents(input, context),
        after: (output) => this.dispatch(output.Entries ?? []),
      }),
    );
    return () => stub.restore();
  }

  private dispatch(results: readonly PutEventsResultEntry[]): void {
    const ids = new Set(results.flatMap((r) => (r.EventId === undefined ? [] : [r.EventId])));
    for (const event of this.accepted.filter((e) => ids.has(e.EventId))) {
      for (const rule of this.rules) {
        if (rule.eventBusName === event.EventBusName && rule.matches(event)) rule.deliver(event);
      }
    }
  }

  private busArn(nameOrArn: string | undefined): string {
    const bus = nameOrArn ?? 'default';
    return bus.startsWith('arn:') ? bus : eventBusArn(this.env, bus);
  }

  private putEvents(input: PutEventsCommandInput, context: CallContext): Output<PutEventsCommandOutput> {
    const entries = input.Entries ?? [];
    if (entries.length === 0 || entries.length > 10) {
      throw unmodeledError(EventBridgeServiceException, {
        name: 'ValidationException',
        message: `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length between 1 and 10`,
      });
    }
    const results: PutEventsResultEntry[] = entries.map((entry, index) => this.putEntry(entry, index, context));
    return { FailedEntryCount: results.filter((r) => r.ErrorCode !== undefined).length, Entries: results };
  }

  private putEntry(entry: PutEventsRequestEntry, index: number, context: CallContext): PutEventsResultEntry {
    const missing = (['Source', 'DetailType', 'Detail'] as const).find((field) => (entry[field] ?? '') === '');
    if (missing !== undefined) {
      return { ErrorCode: 'InvalidArgument', ErrorMessage: `Parameter ${missing} is not valid. Reason: ${missing} is a required argument.` };
    }
    const source = entry.Source as string;
    if (source.startsWith('aws.')) {
      return { ErrorCode: 'NotAuthorizedForSourceException', ErrorMessage: 'Not authorized for the source.' };
    }
    let detail: unknown;
    try {
      detail = JSON.parse(entry.Detail as string);
    } catch {
      detail = undefined;
    }
    if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) {
      return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
    }
    const bus = nameFromArnOrName(entry.EventBusName ?? 'default');
    if (!this.buses.has(bus)) {
      return { ErrorCode: 'ResourceNotFoundException', ErrorMessage: `Event bus ${bus} does not exist.` };
    }
    const size = Buffer.byteLength(JSON.stringify(entry), 'utf8');
    if (size > MAX_ENTRY_BYTES) {
      return { ErrorCode: 'EntryTooLarge', ErrorMessage: 'Total size of the entries in the request is over the limit.' };
    }
    const eventId = uuidFrom(`${context.at}#${this.accepted.length}#${index}`);
    this.accepted.push({
      EventId: eventId,
      Source: source,
      DetailType: entry.DetailType as string,
      Detail: detail,
      EventBusName: bus,
      Resources: [...(entry.Resources ?? [])],
      time: entry.Time?.getTime() ?? context.at,
      caller: { ...context.caller },
    });
    return { EventId: eventId };
  }
}
