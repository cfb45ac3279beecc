import type { CatalogFacts, EventFacts, GroupFacts, InvariantFacts, JsonSchema, TopicFacts } from "./catalog-contents";
import { CLOUDEVENTS_CONTENT_TYPE, CLOUDEVENTS_MEDIA_TYPE, VIOLATION_KINDS, VIOLATION_SOURCE, VIOLATION_TYPE } from "./contracts";
import { pointer } from "./json-pointer";

/**
 * The AsyncAPI parts of invariants: the document's `x-ensemble-invariants` list (AsyncAPI has
 * no field for a rule across channels), the `x-ensemble-invariants` of each message an
 * invariant reads, and the violations topic with the operation that writes to it.
 */

export const VIOLATION_MESSAGE = "InvariantViolated";
export const violationsOperationId = (group: string) => `${group}.report-violations`;

/** The document's list: every invariant in full, in declaration order. */
export function invariantsExtension(facts: CatalogFacts) {
  return facts.invariants.map((invariant) => ({
    name: invariant.name,
    ...(invariant.description ? { description: invariant.description } : {}),
    rule: invariant.text,
    key: invariant.key,
    after: invariant.after,
    [invariant.rule]: invariant.followers,
    ...(invariant.withinSeconds !== undefined ? { withinSeconds: invariant.withinSeconds } : {}),
    reads: invariant.reads,
    checkedBy: invariant.checkedBy,
    violations: invariant.violationTopic,
    ...(invariant.definedIn ? { definedIn: invariant.definedIn } : {}),
  }));
}

/** A message's list: the invariants that read it, by name and rule, so the message alone says what it is checked against. */
export function messageInvariants(facts: CatalogFacts, event: EventFacts): { name: string; rule: string }[] {
  return event.invariants.map((name) => ({ name, rule: invariantNamed(facts, name).text }));
}

export function violationsChannel(facts: CatalogFacts, topic: TopicFacts, server: { $ref: string }) {
  return {
    address: topic.name,
    title: topic.name,
    summary: `Violations of the topology's invariants, reported by the ${topic.owner} group.`,
    description: [
      `One CloudEvent \`${VIOLATION_TYPE}\` per invariant, key and kind, keyed by the business key; its id is made from those three, so a violation reported again is a duplicate.`,
      `Invariants: ${facts.invariants.map((i) => `\`${i.name}\``).join(", ")}.`,
    ].join(" "),
    servers: [server],
    messages: { [VIOLATION_MESSAGE]: { $ref: `#/components/messages/${VIOLATION_MESSAGE}` } },
    bindings: { kafka: { topic: topic.name, partitions: topic.partitions, bindingVersion: "0.5.0" } },
    "x-ensemble": { purpose: topic.purpose, group: topic.owner },
  };
}

export function violationsOperation(group: GroupFacts, topic: string) {
  const channel = `#/channels/${pointer(topic)}`;
  return {
    action: "send",
    channel: { $ref: channel },
    title: `${group.name} reports violations`,
    summary: `Each violation of ${group.checksInvariants!.invariants.join(", ")}, once, to ${topic}.`,
    description: [
      "Checked as events arrive (a forbidden event, a second expected one, a late one) and by a scheduled sweep for bounds that passed with no expected event;",
      "each violation is also a log line the stack's metric filter counts.",
    ].join(" "),
    messages: [{ $ref: `${channel}/messages/${VIOLATION_MESSAGE}` }],
    "x-ensemble": { group: group.name, invariants: group.checksInvariants!.invariants },
  };
}

export function violationMessage() {
  return {
    name: VIOLATION_MESSAGE,
    title: "Invariant violated",
    summary: "An invariant did not hold for one business key.",
    contentType: CLOUDEVENTS_MEDIA_TYPE,
    headers: { $ref: "#/components/schemas/CloudEventHeaders" },
    payload: { $ref: `#/components/schemas/${VIOLATION_MESSAGE}` },
    bindings: { kafka: { key: { type: "string", minLength: 1, description: "The business key the invariant was violated for (also `subject`)." }, bindingVersion: "0.5.0" } },
  };
}

/** The violation as the checker writes it: a CloudEvent whose `data` is the model's `Violation`. */
export function violationSchema(facts: CatalogFacts): JsonSchema {
  return {
    type: "object",
    title: `${VIOLATION_TYPE} CloudEvent`,
    description: `CloudEvents 1.0, structured mode (header \`content-type: ${CLOUDEVENTS_CONTENT_TYPE}\`).`,
    required: ["specversion", "id", "type", "source", "subject", "time", "datacontenttype", "data"],
    properties: {
      specversion: { type: "string", const: "1.0" },
      id: { type: "string", format: "uuid", description: "UUID v5 of the invariant, the key and the kind: one id per violation, however often it is reported." },
      type: { type: "string", const: VIOLATION_TYPE },
      source: { type: "string", const: VIOLATION_SOURCE },
      subject: { type: "string", minLength: 1, description: "The business key." },
      time: { type: "string", format: "date-time", description: "When the violation was reported." },
      datacontenttype: { type: "string", const: "application/json" },
      data: {
        type: "object",
        required: ["invariant", "key", "kind", "message", "events"],
        properties: {
          invariant: { type: "string", enum: facts.invariants.map((i) => i.name) },
          key: { type: "string", description: "The business key's value." },
          kind: {
            type: "string",
            enum: Object.keys(VIOLATION_KINDS),
            description: Object.entries(VIOLATION_KINDS)
              .map(([kind, when]) => `\`${kind}\`: ${when}.`)
              .join(" "),
          },
          message: { type: "string", description: "The violation in words." },
          events: {
            type: "array",
            description: "What the checker had seen for the key, in time order.",
            items: {
              type: "object",
              required: ["id", "type", "time"],
              properties: { id: { type: "string" }, type: { type: "string" }, time: { type: "string", format: "date-time" } },
            },
          },
        },
      },
    },
  };
}

function invariantNamed(facts: CatalogFacts, name: string): InvariantFacts {
  return facts.invariants.find((i) => i.name === name)!;
}
