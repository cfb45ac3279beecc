import { randomUUID } from "node:crypto";
import type { Completion, TaskCompleter } from "../runtime/task-completer";

interface Pending {
  readonly resolve: (output: unknown) => void;
  readonly reject: (error: Error) => void;
  readonly expiresAt: number;
}

/** The error SendTaskFailure gives the waiting state: its `error` as the name, so a Catch matches it. */
class TaskFailedError extends Error {
  constructor(name: string, cause: string) {
    super(cause);
    this.name = name;
  }
}

/**
 * The task tokens of the local executor's waiting tasks (`$$.Task.Token`), and their completion
 * as SendTaskSuccess and SendTaskFailure do it: a token answered, timed out or never issued is
 * "gone", as Step Functions answers `TaskTimedOut` or `InvalidToken`.
 */
export class LocalTaskTokens implements TaskCompleter {
  private readonly pending = new Map<string, Pending>();

  /** A new token for a task that waits at most `timeoutSeconds`, and the task's result. */
  issue(timeoutSeconds: number): { taskToken: string; result: Promise<unknown> } {
    const taskToken = `local-token-${randomUUID()}`;
    const result = new Promise<unknown>((resolve, reject) => {
      this.pending.set(taskToken, { resolve, reject, expiresAt: Date.now() + timeoutSeconds * 1000 });
    });
    // The executor fails the state with States.Timeout at the same time; the token goes with it.
    setTimeout(() => this.pending.delete(taskToken), timeoutSeconds * 1000).unref();
    return { taskToken, result };
  }

  async succeed(taskToken: string, output: unknown): Promise<Completion> {
    const pending = this.take(taskToken);
    if (!pending) return "gone";
    // What Step Functions hands the state: the output as JSON, parsed.
    pending.resolve(JSON.parse(JSON.stringify(output ?? null)));
    return "completed";
  }

  async fail(taskToken: string, error: string, cause: string): Promise<Completion> {
    const pending = this.take(taskToken);
    if (!pending) return "gone";
    pending.reject(new TaskFailedError(error, cause));
    return "completed";
  }

  /** Tokens still waiting. */
  get waiting(): number {
    return this.pending.size;
  }

  private take(taskToken: string): Pending | undefined {
    const pending = this.pending.get(taskToken);
    this.pending.delete(taskToken);
    return pending && pending.expiresAt > Date.now() ? pending : undefined;
  }
}
