import { INVARIANT_TABLE_SCHEMA } from "../model/invariants-group";
import type { PolicyStatement } from "./kafka-iam";

/** The ARN of the invariants table's `due` index: what the scheduled sweep queries, and nothing else. */
export const dueIndexArn = (invariantTableArn: string) => `${invariantTableArn}/index/${INVARIANT_TABLE_SCHEMA.dueIndex.name}`;

/**
 * What the invariants group may do in DynamoDB besides consuming: its idempotency table as every
 * group (get, put, update, delete); on its invariants table only UpdateItem (every write there is
 * a conditional SET/REMOVE that answers the item), GetItem (the sweep re-reads each item the
 * index says is due, strongly consistent, since a global secondary index is read eventually
 * consistent: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html#GSI.Reads)
 * and Query on the `due` index alone, never on the table. Each action once, on every ARN it
 * needs. Writing the violations topic is in the group's Kafka statements (`consumerStatements`'
 * `writeTopics`).
 */
export function invariantsStatements(idempotencyTableArn: string, invariantTableArn: string): PolicyStatement[] {
  return [
    { Sid: "IdempotencyTable", Effect: "Allow", Action: ["dynamodb:PutItem", "dynamodb:DeleteItem"], Resource: [idempotencyTableArn] },
    { Sid: "GetTables", Effect: "Allow", Action: ["dynamodb:GetItem"], Resource: [idempotencyTableArn, invariantTableArn] },
    { Sid: "UpdateTables", Effect: "Allow", Action: ["dynamodb:UpdateItem"], Resource: [idempotencyTableArn, invariantTableArn] },
    { Sid: "QueryDueIndex", Effect: "Allow", Action: ["dynamodb:Query"], Resource: [dueIndexArn(invariantTableArn)] },
  ];
}
