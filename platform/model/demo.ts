/**
 * What `npm start` plays: executions of one context, the end each is expected to reach, and the
 * milestones the whole run must publish. The example domain declares its own (see topology.ts).
 */
export interface Scenario {
  readonly context: string;
  readonly executions: readonly {
    readonly name: string;
    readonly input: unknown;
    readonly expect: "SUCCEEDED" | "FAILED";
    /** How the business key's flow ends across contexts (a label the summary counts), e.g. "compensated". */
    readonly endState?: string;
    /** The events published for this execution's business key (see `key`), by type: distinct event ids, in every context. */
    readonly events?: Readonly<Record<string, number>>;
  }[];
  /** JSONPath of the business key in every event's data and in each execution's input, e.g. "$.orderId": what `events` are counted by. */
  readonly key?: string;
  /** Executions consumer groups start that are expected to end FAILED, per context (any other must succeed). */
  readonly startedFailures?: Readonly<Record<string, number>>;
  /**
   * Milestones the run publishes in every context, by event type: distinct event ids, the
   * executions consumer groups start included. A type not listed must not be published.
   */
  readonly milestones: Readonly<Record<string, number>>;
}

export interface DemoDefinition {
  /** What one execution of the demo is, plural, for `npm start -- --help` ("orders"). */
  readonly executions: string;
  /** `count` executions with known outcomes; the same every run for the same arguments. */
  readonly scenario: (count: number, prefix?: string) => Scenario;
}

/** Declares the demo `npm start` plays on this topology. */
export function defineDemo(definition: DemoDefinition): DemoDefinition {
  return definition;
}
