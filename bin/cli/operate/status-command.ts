/**
 * `deployer status [SERVICE] [--json]`: what one service, or every
 * configured one, is doing.
 */
import { EXIT } from '../exit-codes.ts';
import { formatStatus } from './format-status.ts';
import type { OperatorIo } from './io.ts';
import { openOperatorContext, type CommonOptions } from './operator-context.ts';
import { serviceStatus } from './service-status.ts';

/** Options of `deployer status`. */
export interface StatusOptions extends CommonOptions {
  json?: boolean;
}

/** Run the command; returns the exit code (0 whatever the services do). */
export async function statusCommand(service: string | undefined, options: StatusOptions, io: OperatorIo): Promise<number> {
  const { ctx, services } = await openOperatorContext(options, io, service);
  const statuses = await Promise.all(services.map((svc) => serviceStatus(ctx, svc)));
  if (options.json === true) io.stdout(`${JSON.stringify({ stack: ctx.stack.stackName, services: statuses }, null, 2)}\n`);
  else io.stdout(`${formatStatus(statuses, new Date())}\n`);
  return EXIT.ok;
}
