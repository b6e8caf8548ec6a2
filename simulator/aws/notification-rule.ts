/**
 * The stack's notification rule (infra/notifications.ts), simulated: events
 * on the default bus whose source is the deployer's and whose detail-type
 * starts with "Deployment " go to the SNS topic, through the input
 * transformer that makes one line of them:
 * `<detail-type>: <detail.service> <detail.image> - <detail.reason>`.
 * A path missing from the event renders as an empty string.
 */
import type { EventRule, RecordedEvent } from './eventbridge.ts';
import type { SimSns } from './sns.ts';

function field(detail: unknown, name: string): string {
  if (typeof detail !== 'object' || detail === null) return '';
  const value = (detail as Record<string, unknown>)[name];
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** The line the rule's input transformer makes of an event. */
export function notificationLine(event: RecordedEvent): string {
  return `${event.DetailType}: ${field(event.Detail, 'service')} ${field(event.Detail, 'image')} - ${field(event.Detail, 'reason')}`;
}

/** The rule that publishes the deployer's lifecycle events to `topicArn`. */
export function notificationRule(sns: SimSns, topicArn: string, eventSource: string, now: () => number): EventRule {
  return {
    name: 'EcsDeployer-NotificationsRule',
    eventBusName: 'default',
    matches: (event) => event.Source === eventSource && event.DetailType.startsWith('Deployment '),
    deliver: (event) => sns.deliver(topicArn, notificationLine(event), now()),
  };
}
