import { PROGRAM_STACK_FRAMES, shallowStackTraces } from "../../../platform/infra/shallow-stack-traces";

const depth = (frames: number): number => (frames === 0 ? (new Error().stack ?? "").split("\n").length - 1 : depth(frames - 1));

describe("shallowStackTraces", () => {
  const original = Error.stackTraceLimit;
  afterEach(() => {
    Error.stackTraceLimit = original;
  });

  it("captures at most PROGRAM_STACK_FRAMES frames until restored, then as many as before", () => {
    Error.stackTraceLimit = 10;

    const restore = shallowStackTraces({});
    const shallow = depth(20);
    restore();

    expect({ shallow, after: depth(20), limit: Error.stackTraceLimit }).toEqual({ shallow: PROGRAM_STACK_FRAMES, after: 10, limit: 10 });
  });

  it("takes ENSEMBLE_PROGRAM_STACK_FRAMES for a full trace while debugging, and restores the limit after", () => {
    Error.stackTraceLimit = 1;

    const restoreAsked = shallowStackTraces({ ENSEMBLE_PROGRAM_STACK_FRAMES: "50" });
    const asked = depth(20);
    restoreAsked();

    expect({ asked: asked > 20, restored: Error.stackTraceLimit }).toEqual({ asked: true, restored: 1 });
  });

  it("puts the limit back once the synchronous code that lowered it has run, even when that code threw before restoring", async () => {
    Error.stackTraceLimit = 10;

    const declare = () => {
      shallowStackTraces({});
      throw new Error("a component's args were refused");
    };
    expect(declare).toThrow("a component's args were refused");
    const during = Error.stackTraceLimit;
    await Promise.resolve();

    expect({ during, after: Error.stackTraceLimit }).toEqual({ during: PROGRAM_STACK_FRAMES, after: 10 });
  });
});
