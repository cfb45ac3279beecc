/**
 * The DynamoDB table the idempotency store needs: Powertools' default layout (partition key
 * `id`, TTL attribute `expiration`). The infra creates the table from this, so the two cannot
 * drift; DynamoDB's TTL deletion is only housekeeping, Powertools ignores expired records itself.
 */
export const IDEMPOTENCY_TABLE_SCHEMA = {
  partitionKey: { name: "id", type: "S" },
  ttlAttribute: "expiration",
  billingMode: "PAY_PER_REQUEST",
} as const;
