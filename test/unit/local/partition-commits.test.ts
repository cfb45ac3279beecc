import { PartitionCommits } from "../../../platform/local/event-source-mapping/commits";

function deferred() {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((ok, fail) => ((resolve = ok), (reject = fail)));
  return { promise, resolve, reject };
}

describe("PartitionCommits", () => {
  it("keeps one commit in flight, in order, and coalesces what is requested meanwhile into the newest offset", async () => {
    // Prepare
    const sent: number[] = [];
    const inFlight: ReturnType<typeof deferred>[] = [];
    const commits = new PartitionCommits((offset) => {
      sent.push(offset);
      const commit = deferred();
      inFlight.push(commit);
      return commit.promise;
    });

    // Act
    commits.request(100);
    commits.request(200);
    commits.request(300);
    const sentWhileFirstInFlight = [...sent];
    inFlight[0]!.resolve();
    await new Promise((resolve) => setImmediate(resolve));
    inFlight[1]!.resolve();
    await commits.settled();

    // Assess
    expect(sentWhileFirstInFlight).toEqual([100]);
    expect(sent).toEqual([100, 300]);
  });

  it("surfaces a failed commit on the next request and when settling, and sends nothing after it", async () => {
    // Prepare
    const sent: number[] = [];
    const failure = new Error("not the coordinator");
    const commits = new PartitionCommits(async (offset) => {
      sent.push(offset);
      throw failure;
    });

    // Act
    commits.request(100);
    const settling = commits.settled();

    // Assess
    await expect(settling).rejects.toBe(failure);
    expect(() => commits.request(200)).toThrow(failure);
    expect(sent).toEqual([100]);
  });
});
