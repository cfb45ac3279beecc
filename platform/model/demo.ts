/**
 * What `npm start` plays: executions of one context, the end each is expected to reach, and the
 * milestones the whole run must publish. The example domain declares its own (see topology.ts).
 */
export interface Scenario {
  readonly context: string;
  readonly executions: readonly { readonly name: string; readonly input: unknown; readonly expect: "SUCCEEDED" | "FAILED" }[];
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
