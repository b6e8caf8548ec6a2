/**
 * What a run of `vm/release.sh` reported: the phases it reached (its
 * `DEPLOYER_PHASE` lines), its `DEPLOYER_RESULT` line and the tail of its
 * output. Executors keep only a tail (SSM returns at most 24,000 characters;
 * a Step Functions state at most 256 KB), so the collector reads the output as
 * it streams and never holds more than the tail.
 */
import * as z from 'zod/mini';

/** The script's phases, in order; `rollback` is the restore after a failure. */
export const RELEASE_PHASES = [
  'validate',
  'preflight',
  'download',
  'unpack',
  'configure',
  'permissions',
  'stop',
  'switch',
  'start',
  'health',
  'smoke',
  'cleanup',
  'rollback',
] as const;
export type ReleasePhase = (typeof RELEASE_PHASES)[number];

/** The script's `DEPLOYER_RESULT` JSON. */
export const releaseResultSchema = z.lazy(() => z.object({
  status: z.enum(['SUCCEEDED', 'FAILED', 'ROLLED_BACK']),
  /** The phase that failed, or the last one on success. */
  phase: z.string(),
  /** The release serving before the run ('' for none). */
  previous: z.string(),
  /** The release serving now ('' for none). */
  current: z.string(),
  message: z.string(),
  mode: z.optional(z.string()),
  version: z.optional(z.string()),
}));
export type ReleaseResult = z.infer<typeof releaseResultSchema>;

/** One `DEPLOYER_PHASE` line; `atMs` (ms after the run started) when read as it streamed. */
export interface PhaseMark {
  name: string;
  atMs?: number;
}

/** What a run reported. */
export interface ReleaseOutcome {
  phases: PhaseMark[];
  /** The `DEPLOYER_RESULT` line; absent when the script was killed or its output cut. */
  result?: ReleaseResult;
  /** The release the script switched back to (`DEPLOYER_ROLLED_BACK`). */
  rolledBackTo?: string;
  /** The last bytes of the output (at most the collector's limit, whole UTF-8 characters). */
  tail: string;
  /** True when the output was longer than the tail. */
  truncated: boolean;
}

/** Default size of the kept output tail. */
export const DEFAULT_TAIL_BYTES = 8 * 1024;
/** A line longer than this is not a marker line: it is not kept whole. */
const MAX_LINE_BYTES = 64 * 1024;

const PHASE_LINE = /^DEPLOYER_PHASE ([a-z-]+)$/;
const ROLLED_BACK_LINE = /^DEPLOYER_ROLLED_BACK (\S+)$/;
const RESULT_PREFIX = 'DEPLOYER_RESULT ';

/** The last `maxBytes` bytes of `buffer`, starting on a whole UTF-8 character. */
export function utf8Tail(buffer: Buffer, maxBytes: number): Buffer {
  if (buffer.length <= maxBytes) return buffer;
  let start = buffer.length - maxBytes;
  // Skip continuation bytes (10xxxxxx) of a character cut in half.
  while (start < buffer.length && (buffer[start]! & 0xc0) === 0x80) start += 1;
  return buffer.subarray(start);
}

/**
 * Reads a run's output as it arrives (stdout and stderr may be pushed to the
 * same collector), keeping the marker lines and a bounded tail.
 */
export class ReleaseOutputCollector {
  private readonly phases: PhaseMark[] = [];
  private result: ReleaseResult | undefined;
  private rolledBackTo: string | undefined;
  private tail: Buffer = Buffer.alloc(0);
  private total = 0;
  private line: Buffer = Buffer.alloc(0);
  private lineTooLong = false;
  private readonly started: number;

  public constructor(
    private readonly tailBytes: number = DEFAULT_TAIL_BYTES,
    private readonly now: () => number = Date.now,
    private readonly timed = true,
  ) {
    this.started = now();
  }

  /** Add output. */
  public push(chunk: Buffer | string): void {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    this.total += bytes.length;
    this.tail = utf8Tail(Buffer.concat([this.tail, bytes]), this.tailBytes);
    let from = 0;
    for (let nl = bytes.indexOf(0x0a, from); nl !== -1; nl = bytes.indexOf(0x0a, from)) {
      this.appendToLine(bytes.subarray(from, nl));
      this.endLine();
      from = nl + 1;
    }
    this.appendToLine(bytes.subarray(from));
  }

  /** The output ended: read its last line even without a newline. */
  public finish(): ReleaseOutcome {
    if (this.line.length > 0 || this.lineTooLong) this.endLine();
    return this.outcome();
  }

  /** What was read so far (complete lines only). */
  public outcome(): ReleaseOutcome {
    return {
      phases: [...this.phases],
      ...(this.result === undefined ? {} : { result: this.result }),
      ...(this.rolledBackTo === undefined ? {} : { rolledBackTo: this.rolledBackTo }),
      tail: this.tail.toString('utf8'),
      truncated: this.total > this.tail.length,
    };
  }

  private appendToLine(part: Buffer): void {
    if (part.length === 0 || this.lineTooLong) return;
    if (this.line.length + part.length > MAX_LINE_BYTES) {
      this.lineTooLong = true;
      this.line = Buffer.alloc(0);
      return;
    }
    this.line = Buffer.concat([this.line, part]);
  }

  private endLine(): void {
    const text = this.line.toString('utf8').replace(/\r$/, '');
    this.line = Buffer.alloc(0);
    const tooLong = this.lineTooLong;
    this.lineTooLong = false;
    if (tooLong) return;
    const phase = PHASE_LINE.exec(text);
    if (phase !== null) {
      this.phases.push(this.timed ? { name: phase[1]!, atMs: this.now() - this.started } : { name: phase[1]! });
      return;
    }
    const back = ROLLED_BACK_LINE.exec(text);
    if (back !== null) {
      this.rolledBackTo = back[1]!;
      return;
    }
    if (text.startsWith(RESULT_PREFIX)) {
      const parsed = parseResultJson(text.slice(RESULT_PREFIX.length));
      if (parsed !== undefined) this.result = parsed;
    }
  }
}

function parseResultJson(json: string): ReleaseResult | undefined {
  try {
    const parsed = releaseResultSchema.safeParse(JSON.parse(json));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Read a whole output (or the tail of one, as SSM returns it). */
export function parseReleaseOutput(output: string, tailBytes: number = DEFAULT_TAIL_BYTES): ReleaseOutcome {
  const collector = new ReleaseOutputCollector(tailBytes, Date.now, false);
  collector.push(output);
  return collector.finish();
}

/**
 * The run's verdict, whatever happened: the script's own result when it
 * printed one, else a failure saying how far it got.
 */
export function releaseVerdict(exitCode: number | null, outcome: ReleaseOutcome): ReleaseResult {
  if (outcome.result !== undefined) return outcome.result;
  const last = outcome.phases.at(-1)?.name ?? '';
  const how =
    exitCode === null
      ? `the release script was killed${last === '' ? '' : ` in phase ${last}`} and printed no result`
      : `the release script exited ${exitCode}${last === '' ? '' : ` in phase ${last}`} and printed no result`;
  // Its last words say why, when it said anything (the SSM loader's refusal, a shell error).
  const lastLine = outcome.tail.trimEnd().split('\n').at(-1)?.trim() ?? '';
  const said = lastLine === '' || lastLine.startsWith('DEPLOYER_PHASE ') ? '' : `: ${lastLine.slice(0, 300)}`;
  return { status: 'FAILED', phase: last, previous: '', current: '', message: `${how}${said}` };
}
