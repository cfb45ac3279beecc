import { stringify } from "yaml";
import { deadLetterChannel, deadLetteredRecordMessage, deadLetterHeaders, deadLetterOperation, deadLetterOperationId, onFailureRecord, onFailureRecordMessage } from "./asyncapi-dead-letters";
import { invariantsExtension, messageInvariants, VIOLATION_MESSAGE, violationMessage, violationSchema, violationsChannel, violationsOperation, violationsOperationId } from "./asyncapi-invariants";
import type { CatalogFacts, ContextFacts, EventFacts, GroupFacts, JsonSchema, SubscriptionFacts, TopicFacts } from "./catalog-contents";
import { CLOUDEVENTS_CONTENT_TYPE, CLOUDEVENTS_MEDIA_TYPE, publisherClientId } from "./contracts";
import { pointer } from "./json-pointer";
import { failureMilestoneSentence, platformRoleText } from "./wording";

export { deadLetterOperationId } from "./asyncapi-dead-letters";
export { violationsOperationId } from "./asyncapi-invariants";

/**
 * The AsyncAPI 3.0.0 document of a topology, as a plain object whose key order is the order
 * written here and whose lists follow declaration order, so the same model gives the same bytes.
 *
 * - one server: the stack's MSK cluster, `kafka-secure`, SASL/OAUTHBEARER with MSK IAM tokens;
 * - one channel per topic (context, dead-letter and violations topics) with Kafka channel bindings;
 * - one message per event type: the CloudEvent (structured mode) whose `data` is the event's
 *   zod schema as JSON Schema, the `content-type` header, the entity id as Kafka key;
 * - operations: `send` per context (its milestones) and per group (its dead letters; the
 *   invariants group's violations too), and `receive` per group per subscribed context, with the
 *   exact consumer group id.
 *
 * Ensemble facts AsyncAPI has no field for go under `x-ensemble`; the invariants, which span
 * channels, under the document's `x-ensemble-invariants` and each message's they read.
 */
export function asyncApiDocument(facts: CatalogFacts): Record<string, unknown> {
  const server = facts.stack;
  const serverRef = { $ref: `#/servers/${pointer(server)}` };
  const eventTopics = facts.topics.filter((t) => t.purpose === "events");
  const deadLetterTopics = facts.topics.filter((t) => t.purpose === "dead-letter");
  const violationTopics = facts.topics.filter((t) => t.purpose === "violations");

  return {
    asyncapi: "3.0.0",
    id: `urn:${slug(facts.info.title)}:stack:${facts.stack}`,
    info: {
      title: facts.info.title,
      version: facts.info.version,
      description: infoDescription(facts),
      "x-ensemble": { stack: facts.stack, generatedBy: "npm run catalog" },
    },
    defaultContentType: CLOUDEVENTS_MEDIA_TYPE,
    servers: { [server]: serverObject(facts) },
    channels: Object.fromEntries([
      ...eventTopics.map((topic) => [topic.name, contextChannel(facts, topic, serverRef)]),
      ...deadLetterTopics.map((topic) => [topic.name, deadLetterChannel(topic, serverRef)]),
      ...violationTopics.map((topic) => [topic.name, violationsChannel(facts, topic, serverRef)]),
    ]),
    operations: Object.fromEntries([
      ...facts.contexts.map((context) => [publishOperationId(context.name), publishOperation(context)]),
      ...facts.groups.flatMap((group) => [
        ...group.subscriptions.map((s) => [receiveOperationId(group.name, s.context), receiveOperation(facts, group, s)]),
        [deadLetterOperationId(group.name), deadLetterOperation(group)],
        ...(group.checksInvariants ? [[violationsOperationId(group.name), violationsOperation(group, group.checksInvariants.violationTopic)]] : []),
      ]),
    ]),
    components: {
      schemas: Object.fromEntries([
        ...facts.events.flatMap((event) => [
          [event.type, cloudEventSchema(event)],
          [`${event.type}.data`, event.schema],
        ]),
        ["CloudEventHeaders", cloudEventHeaders()],
        ["DeadLetterHeaders", deadLetterHeaders()],
        ["OnFailureRecord", onFailureRecord()],
        ...(violationTopics.length > 0 ? [[VIOLATION_MESSAGE, violationSchema(facts)]] : []),
      ]),
      messages: Object.fromEntries([
        ...facts.events.map((event) => [event.type, eventMessage(facts, event)]),
        ["DeadLetteredRecord", deadLetteredRecordMessage()],
        ["OnFailureRecord", onFailureRecordMessage()],
        ...(violationTopics.length > 0 ? [[VIOLATION_MESSAGE, violationMessage()]] : []),
      ]),
      securitySchemes: { mskIam: mskIamScheme() },
      correlationIds: {
        execution: {
          description: "The Step Functions execution that published the event (`correlationid`); consumers log it.",
          location: "$message.payload#/correlationid",
        },
      },
    },
    ...(facts.invariants.length > 0 ? { "x-ensemble-invariants": invariantsExtension(facts) } : {}),
  };
}

/** The document as YAML: no anchors, no folding, keys in the order they were written. */
export function asyncApiYaml(facts: CatalogFacts): string {
  return stringify(asyncApiDocument(facts), { aliasDuplicateObjects: false, lineWidth: 0, indent: 2 });
}

export const publishOperationId = (context: string) => `${context}.publish`;
export const receiveOperationId = (group: string, context: string) => `${group}.receive.${context}`;

function infoDescription(facts: CatalogFacts): string {
  const lines = [
    ...(facts.info.description ? [facts.info.description, ""] : []),
    `Every event of stack \`${facts.stack}\`: who publishes it, its CloudEvent and data schema, and every consumer group that receives it.`,
    "Generated by `npm run catalog` from `contexts/`, `consumers/` and `invariants/`; do not edit (`npm run catalog -- --check` fails when it is stale).",
    "",
    "Bounded contexts (each publishes its milestones to its own topic):",
    ...facts.contexts.map((c) => `- \`${c.name}\` → \`${c.topic}\`${c.description ? `: ${c.description}` : ""}`),
    "",
    "Consumer groups (each one Lambda and one MSK event source mapping per subscribed topic):",
    ...facts.groups.map((g) => `- \`${g.name}\`${groupRole(g)}${g.description ? `: ${g.description}` : ""}`),
    ...(facts.invariants.length > 0
      ? ["", "Invariants (checked by the platform's invariants group; violations go to the violations topic):", ...facts.invariants.map((i) => `- \`${i.name}\`: ${i.text}`)]
      : []),
  ];
  return lines.join("\n");
}

/** What a group is for when it is not simply the user's: shown after its name. */
function groupRole(group: GroupFacts): string {
  if (group.startsWorkflow) return ` (starts the \`${group.startsWorkflow}\` workflow)`;
  const role = platformRoleText(group);
  return role ? ` (${role})` : "";
}

function serverObject(facts: CatalogFacts) {
  return {
    host: "b-{broker}.{cluster}.{clusterLabel}.kafka.{region}.amazonaws.com:9098",
    protocol: "kafka-secure",
    title: `MSK cluster of stack ${facts.stack}`,
    summary: "Amazon MSK provisioned cluster (KRaft): IAM authentication only, TLS between clients and brokers and inside the cluster.",
    description: [
      `The stack's cluster, \`${facts.stack}-ensemble\` unless \`ensemble:kafka.existingClusterArn\` names an existing one.`,
      "Its bootstrap brokers are the stack output `bootstrapBrokersIam` (`pulumi stack output bootstrapBrokersIam`).",
      "Topics are created by the stack (`auto.create.topics.enable=false`).",
    ].join(" "),
    variables: {
      broker: { description: "Broker number (one bootstrap address per broker).", default: "1", examples: ["1", "2"] },
      cluster: { description: "The cluster's name.", default: `${facts.stack}-ensemble` },
      clusterLabel: { description: "The label MSK generates for the cluster.", examples: ["abc123.c2"] },
      region: { description: "The stack's `aws:region`.", examples: ["eu-west-1"] },
    },
    security: [{ $ref: "#/components/securitySchemes/mskIam" }],
  };
}

function mskIamScheme() {
  return {
    // AsyncAPI has no SASL/OAUTHBEARER type; `oauth2` is the closest valid one. No OAuth flow is
    // involved: the token is a SigV4-signed MSK IAM token, so `flows` is empty.
    type: "oauth2",
    description: [
      "SASL/OAUTHBEARER over TLS (port 9098) with an MSK IAM token: a SigV4-signed token made from the caller's AWS credentials",
      "(aws-msk-iam-sasl-signer-js in the functions, `ENSEMBLE_KAFKA_AUTH=iam`). No authorization server and no OAuth flow:",
      "what a client may do is its IAM policy (a publisher writes only its context topic; a group reads only its topics,",
      "uses only its group ids and writes only its dead-letter topic, and the invariants group its violations topic).",
    ].join(" "),
    flows: {},
    "x-sasl-mechanism": "OAUTHBEARER",
    "x-aws-auth": "MSK IAM",
  };
}

function contextChannel(facts: CatalogFacts, topic: TopicFacts, server: { $ref: string }) {
  const context = facts.contexts.find((c) => c.name === topic.owner)!;
  return {
    address: topic.name,
    title: topic.name,
    summary: `Milestones of the ${context.name} context.`,
    description: [
      `Every event the \`${context.name}\` state machine publishes, one CloudEvent per record, keyed by entity id so one entity's events stay in order.`,
      ...(context.description ? [context.description] : []),
    ].join(" "),
    servers: [server],
    messages: Object.fromEntries(context.events.map((event) => [event.type, { $ref: `#/components/messages/${pointer(event.type)}` }])),
    bindings: { kafka: { topic: topic.name, partitions: topic.partitions, bindingVersion: "0.5.0" } },
    "x-ensemble": { purpose: topic.purpose, context: context.name },
  };
}

function publishOperation(context: ContextFacts) {
  return {
    action: "send",
    channel: { $ref: `#/channels/${pointer(context.topic)}` },
    title: `${context.name} publishes its milestones`,
    summary: `The ${context.name} state machine publishes ${context.events.map((e) => e.name).join(", ")}.`,
    description: [
      `Milestone states of \`${context.stateMachine}\` invoke the publisher \`${context.publisherFunction}\`, which validates \`data\``,
      "against the event's schema and writes with an idempotent producer (`acks=all`); a retried publish has the same event id.",
      ...(context.failure ? [`\`${context.failure.eventType}\`: ${failureMilestoneSentence(context.name, context.failure.states.map(code))}`] : []),
    ].join(" "),
    messages: context.events.map((event) => ({ $ref: `#/channels/${pointer(context.topic)}/messages/${pointer(event.type)}` })),
    bindings: { kafka: { clientId: { type: "string", enum: [publisherClientId(context.name)] }, bindingVersion: "0.5.0" } },
    "x-ensemble": {
      context: context.name,
      stateMachine: context.stateMachine,
      publisherFunction: context.publisherFunction,
      milestones: context.events.flatMap((event) => event.milestones.map((m) => ({ state: m.state, event: event.type, key: m.key ?? null, inMap: m.inMap }))),
      ...(context.failure
        ? { failureMilestone: { event: context.failure.eventType, key: context.failure.key, data: context.failure.data, states: context.failure.states, backstop: true } }
        : {}),
    },
  };
}

function receiveOperation(facts: CatalogFacts, group: GroupFacts, subscription: SubscriptionFacts) {
  const context = facts.contexts.find((c) => c.name === subscription.context)!;
  const starts = group.startsWorkflow ? facts.contexts.find((c) => c.name === group.startsWorkflow) : undefined;
  return {
    action: "receive",
    channel: { $ref: `#/channels/${pointer(context.topic)}` },
    title: `${group.name} receives from ${context.name}`,
    summary: `${group.name} receives ${subscription.types.map(shortName).join(", ")}${starts ? ` and starts the ${starts.name} workflow for each` : ""}.`,
    description: [
      ...(group.description ? [group.description] : []),
      `Function \`${group.function}\` behind an MSK event source mapping with consumer group \`${subscription.groupId}\`,`,
      `filtered to these types; batches of up to ${group.batch.size} records${group.batch.windowSeconds > 0 ? ` gathered for up to ${group.batch.windowSeconds} s` : ", no batching window"},`,
      `${group.scaling.minPollers}–${group.scaling.maxPollers} pollers, ${group.retries === -1 ? "unlimited retries" : `${group.retries} retries`}, then \`${group.deadLetterTopic}\`.`,
      ...(starts ? [`Starts an execution of \`${starts.stateMachine}\` per event, named after the event id so a redelivery starts nothing twice.`] : []),
    ].join(" "),
    messages: subscription.types.map((type) => ({ $ref: `#/channels/${pointer(context.topic)}/messages/${pointer(type)}` })),
    bindings: {
      kafka: {
        groupId: { type: "string", enum: [subscription.groupId] },
        clientId: { type: "string", description: "Chosen by Lambda's event source mapping pollers, not by Ensemble." },
        bindingVersion: "0.5.0",
      },
    },
    "x-ensemble": {
      group: group.name,
      function: group.function,
      eventSourceMapping: {
        startingPosition: group.startingPosition,
        batchSize: group.batch.size,
        maximumBatchingWindowInSeconds: group.batch.windowSeconds,
        provisionedPollers: { minimum: group.scaling.minPollers, maximum: group.scaling.maxPollers },
        maximumRetryAttempts: group.retries,
        maximumRecordAgeInSeconds: group.maxRecordAgeSeconds,
        bisectBatchOnFunctionError: group.bisectOnError,
        onFailure: `kafka://${group.deadLetterTopic}`,
      },
      ...(starts ? { startsWorkflow: { context: starts.name, stateMachine: starts.stateMachine } } : {}),
      ...(group.completesWaitsOf ? { completesWaitsOf: group.completesWaitsOf } : {}),
      ...(group.checksInvariants ? { checksInvariants: group.checksInvariants.invariants, reportsViolationsTo: group.checksInvariants.violationTopic } : {}),
    },
  };
}

function eventMessage(facts: CatalogFacts, event: EventFacts) {
  const key = event.keys.length > 0 ? event.keys.map((k) => `\`${k}\``).join(" or ") : "the milestone's key";
  const failure = event.failureMilestoneOf ? facts.contexts.find((c) => c.name === event.failureMilestoneOf)?.failure : undefined;
  const invariants = messageInvariants(facts, event);
  return {
    name: event.type,
    title: event.name,
    summary: event.description ?? `${event.type}, published by the ${event.context} context.`,
    description: [
      failure
        ? `${failureMilestoneSentence(event.context, failure.states.map(code))} Key \`${failure.key}\` of the execution's input.`
        : `Published by the \`${event.context}\` state machine at ${event.milestones.map((m) => `\`${m.state}\``).join(", ") || "its milestones"}; key ${key} of the state.`,
      `Received by ${event.consumers.map((c) => `\`${c.group}\``).join(", ") || "no consumer group yet"}.`,
      ...(invariants.length > 0 ? [`Read by the invariant${invariants.length > 1 ? "s" : ""} ${invariants.map((i) => `\`${i.name}\``).join(", ")} (\`x-ensemble-invariants\`).`] : []),
    ].join(" "),
    contentType: CLOUDEVENTS_MEDIA_TYPE,
    headers: { $ref: "#/components/schemas/CloudEventHeaders" },
    payload: { $ref: `#/components/schemas/${pointer(event.type)}` },
    correlationId: { $ref: "#/components/correlationIds/execution" },
    bindings: {
      kafka: {
        key: { type: "string", minLength: 1, description: `The entity id (${key}): the CloudEvent's \`subject\` and \`partitionkey\`, so one entity's events share a partition.` },
        bindingVersion: "0.5.0",
      },
    },
    "x-ensemble": {
      context: event.context,
      event: event.name,
      version: event.version,
      dataschema: event.dataschema,
      consumers: event.consumers.map((c) => c.group),
      ...(event.failureMilestoneOf ? { failureMilestoneOf: event.failureMilestoneOf } : {}),
    },
    ...(invariants.length > 0 ? { "x-ensemble-invariants": invariants } : {}),
  };
}

function cloudEventSchema(event: EventFacts): JsonSchema {
  const key = event.keys.length > 0 ? event.keys.join(" or ") : "the milestone's key";
  return {
    type: "object",
    title: `${event.type} CloudEvent`,
    description: `CloudEvents 1.0, structured mode: the whole event is the record value. ${event.description ?? ""}`.trim(),
    required: ["specversion", "id", "type", "source", "subject", "time", "datacontenttype", "dataschema", "correlationid", "partitionkey", "data"],
    properties: {
      specversion: { type: "string", const: "1.0" },
      id: {
        type: "string",
        format: "uuid",
        description: "UUID v5 of the execution id, the milestone state's name and the Map item index: a retried publish keeps its id, consumers drop duplicates by it.",
      },
      type: { type: "string", const: event.type },
      source: { type: "string", const: event.context },
      subject: { type: "string", minLength: 1, description: `The entity id (${key}); also the Kafka key.` },
      time: { type: "string", format: "date-time", description: "When the milestone state was entered (a retry keeps it)." },
      datacontenttype: { type: "string", const: "application/json" },
      dataschema: { type: "string", format: "uri", const: event.dataschema, description: "Names the event type and its schema version." },
      correlationid: { type: "string", description: "The publishing Step Functions execution id (extension attribute)." },
      partitionkey: { type: "string", description: "The entity id, as `subject` (the Kafka binding's key extension)." },
      data: { $ref: `#/components/schemas/${pointer(`${event.type}.data`)}` },
    },
  };
}

function cloudEventHeaders(): JsonSchema {
  return {
    type: "object",
    description: "Kafka record headers of an event (CloudEvents Kafka binding, structured mode).",
    required: ["content-type"],
    properties: { "content-type": { type: "string", const: CLOUDEVENTS_CONTENT_TYPE } },
  };
}

const code = (value: string) => `\`${value}\``;

/** `Orders.OrderPlaced` → `OrderPlaced`: the topic already says the context. */
function shortName(type: string): string {
  return type.slice(type.indexOf(".") + 1);
}

function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
}
