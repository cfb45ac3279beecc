import type { ValidTopology } from "../validate";
import { SchemaGateError } from "./errors";
import { runGate } from "./gate";
import { lockIsCurrent, readLock, writeLock } from "./lock";
import { blockingMessage, gateSummary, staleLockMessage } from "./report";

export interface SchemaGateOptions {
  /** The baseline's path. */
  readonly lockFile: string;
  /** How messages name it (relative to the project). */
  readonly shownAs: string;
  /** Write nothing; fail when the baseline would change. */
  readonly check?: boolean;
  readonly accept?: { readonly type: string; readonly reason: string | undefined };
  /** YYYY-MM-DD of an acceptance. @default today */
  readonly today?: string;
}

export interface SchemaGateOutcome {
  readonly ok: boolean;
  /** What to print: the summary when ok, else why not. */
  readonly lines: readonly string[];
  readonly wrote: boolean;
}

/**
 * The gate as `npm run validate` runs it: compare the topology with the baseline file, fail on a
 * change that can break a reader, and otherwise bring the baseline up to date (or, with `check`,
 * fail when it is not).
 */
export function schemaGate(topology: ValidTopology, options: SchemaGateOptions): SchemaGateOutcome {
  if (options.check && options.accept) {
    throw new SchemaGateError(`--check writes nothing and --accept writes ${options.shownAs}: run npm run validate -- --accept ... first, then commit ${options.shownAs}.`);
  }
  const baseline = readLock(options.lockFile, options.shownAs);
  const result = runGate(topology, baseline, { ...(options.accept ? { accept: options.accept } : {}), ...(options.today ? { today: options.today } : {}) });
  if (result.blocking.length > 0) {
    const blocked = result.blocking.flatMap((verdict, i) => [...(i > 0 ? [""] : []), ...blockingMessage(verdict)]);
    if (!options.accept) return { ok: false, lines: blocked, wrote: false };
    // Keep the acceptance even while another event blocks, or two breaks could never be accepted
    // one at a time; the blocked events keep their released baselines.
    writeLock(options.lockFile, result.lock);
    return { ok: false, lines: [`Schema gate: recorded the acceptance of ${options.accept.type} in ${options.shownAs}; other events still block:`, "", ...blocked], wrote: true };
  }
  const current = lockIsCurrent(options.lockFile, result.lock);
  if (options.check) {
    return current ? { ok: true, lines: gateSummary(result, options.shownAs, false, true), wrote: false } : { ok: false, lines: staleLockMessage(result, options.shownAs), wrote: false };
  }
  if (!current) writeLock(options.lockFile, result.lock);
  return { ok: true, lines: gateSummary(result, options.shownAs, !current, baseline !== undefined), wrote: !current };
}
