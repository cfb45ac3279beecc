/**
 * The offset commits of one partition's fetched batch, sent without holding up the next
 * invocation: a commit is a round trip to the group coordinator, and awaiting one after every
 * invocation of 100 records kept the mapping waiting most of its time (npm run bench, consume).
 * One commit is in flight at a time, so they reach the broker, and kafkajs's record of committed
 * offsets, in order; offsets requested meanwhile are coalesced into the newest. Each offset is
 * only ever one the caller has settled every record before, so committing later can re-deliver
 * after a crash (at least once) but never skip.
 */
export class PartitionCommits {
  #pending: number | undefined;
  #inFlight: Promise<void> | undefined;
  #failure: { readonly error: unknown } | undefined;

  constructor(private readonly commit: (offset: number) => Promise<void>) {}

  /** Commits `offset` soon; throws what an earlier commit failed with, as awaiting it would have. */
  request(offset: number): void {
    this.#throwFailure();
    this.#pending = offset;
    this.#inFlight ??= this.#drain();
  }

  /** Resolves once every requested offset is committed; rejects if a commit failed. */
  async settled(): Promise<void> {
    await this.#inFlight;
    this.#throwFailure();
  }

  async #drain(): Promise<void> {
    try {
      while (this.#pending !== undefined) {
        const offset = this.#pending;
        this.#pending = undefined;
        await this.commit(offset);
      }
    } catch (error) {
      this.#pending = undefined;
      this.#failure = { error };
    } finally {
      this.#inFlight = undefined;
    }
  }

  #throwFailure(): void {
    if (this.#failure) throw this.#failure.error;
  }
}
