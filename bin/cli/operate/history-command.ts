/**
 * `deployer history SERVICE [--limit N] [--json]`: the service's
 * deployments, newest first: when, how long, result, image, who or what
 * started it and why, and why it ended as it did.
 */
import { EXIT } from '../exit-codes.ts';
import { readHistory, type DeploymentRecord } from './deployment-history.ts';
import { durationText } from './progress-lines.ts';
import type { OperatorIo } from './io.ts';
import { openOperatorContext, type CommonOptions } from './operator-context.ts';
import { wholeNumber } from './whole-number.ts';

/** Deployments listed when --limit is not given. */
export const DEFAULT_HISTORY_LIMIT = 10;
/** The most --limit accepts. */
export const MAX_HISTORY_LIMIT = 1000;

/** Options of `deployer history`. */
export interface HistoryOptions extends CommonOptions {
  limit?: string;
  json?: boolean;
}

/** `…/web:v1.4.0@sha256:…` -> `v1.4.0`; without a tag, the digest's first 12 hex digits. */
export function imageLabel(record: Pick<DeploymentRecord, 'image' | 'imageTag'>): string {
  if (record.imageTag !== undefined) return record.imageTag;
  const digest = /@sha256:([0-9a-f]{12})/.exec(record.image ?? '')?.[1];
  return digest === undefined ? (record.image ?? '?') : `sha256:${digest}`;
}

/** `2026-02-03 12:00:00Z` */
function when(iso: string | undefined): string {
  if (iso === undefined || Number.isNaN(Date.parse(iso))) return '?'.padEnd(20);
  return `${new Date(iso).toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

/** Two lines per deployment: what and who, then why it ended as it did. */
export function formatHistory(service: string, records: readonly DeploymentRecord[], now: Date): string {
  if (records.length === 0) return `${service}: no deployment recorded yet\n`;
  const lines = [`${service}: the last ${records.length} deployment${records.length === 1 ? '' : 's'}, newest first`];
  for (const r of records) {
    const duration = r.startedAt === undefined ? '?' : r.endedAt === undefined ? `${durationText(r.startedAt, now)} so far` : durationText(r.startedAt, new Date(r.endedAt));
    const by = r.startedBy === undefined ? '' : `by ${r.startedBy}`;
    const asked = r.requested === undefined ? '' : ` (${r.requested})`;
    lines.push('');
    lines.push(`${when(r.startedAt)}  ${r.status.padEnd(11)}  ${duration.padEnd(9)}  ${imageLabel(r).padEnd(14)}  ${by}${asked}`.trimEnd());
    if (r.cause !== undefined) lines.push(`    ${r.cause}`);
    if (r.restore !== undefined) lines.push(`    restore after the stop: ${r.restore}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Run the command; returns the exit code. */
export async function historyCommand(service: string, options: HistoryOptions, io: OperatorIo): Promise<number> {
  const limit = wholeNumber('--limit', options.limit, DEFAULT_HISTORY_LIMIT, 1, MAX_HISTORY_LIMIT);
  const { ctx } = await openOperatorContext(options, io, service);
  const records = await readHistory(ctx, service, limit);
  if (options.json === true) io.stdout(`${JSON.stringify({ service, deployments: records }, null, 2)}\n`);
  else io.stdout(formatHistory(service, records, new Date()));
  return EXIT.ok;
}
