import type { Admin } from "kafkajs";
import { untilServed } from "../../../platform/local/topics";

/** An admin whose metadata names a leader for every partition, and whose ListOffsets fails as told. */
function admin(offsetFailures: unknown[]): { admin: Admin; offsetCalls: () => number } {
  let calls = 0;
  const fake = {
    fetchTopicMetadata: async ({ topics }: { topics: string[] }) => ({
      topics: topics.map((name) => ({ name, partitions: [{ partitionId: 0, partitionErrorCode: 0, leader: 1 }] })),
    }),
    fetchTopicOffsets: async () => {
      const failure = offsetFailures[calls++];
      if (failure) throw failure;
      return [{ partition: 0, offset: "0", high: "0", low: "0" }];
    },
  };
  return { admin: fake as unknown as Admin, offsetCalls: () => calls };
}

describe("untilServed", () => {
  it("waits out kafkajs' TypeError from a ListOffsets answer without the topic (tulios/kafkajs#461)", async () => {
    // Prepare: the first answer leaves the topic out, as a partition's new leader may
    const { admin: withGap, offsetCalls } = admin([new TypeError("Cannot destructure property 'partitions' of 'high.pop(...)' as it is undefined.")]);

    // Act
    await untilServed(withGap, ["t.events"]);

    // Assess: asked again, and served
    expect(offsetCalls()).toBe(2);
  });

  it("throws any other error at once", async () => {
    const { admin: broken, offsetCalls } = admin([new TypeError("something else entirely")]);
    await expect(untilServed(broken, ["t.events"])).rejects.toThrow("something else entirely");
    expect(offsetCalls()).toBe(1);
  });
});
