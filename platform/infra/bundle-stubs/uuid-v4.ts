/*
 * Stands in for the `uuid` package the CloudEvents SDK bundles its own copy of (4 KB with v1, v3,
 * v5 and their byte tables), in Lambda bundles (platform/infra/bundle-trim.ts): the SDK calls only
 * `v4()`, for an event without an id, and node:crypto makes the same random (version 4) UUIDs.
 */
import { randomUUID } from "node:crypto";

export const v4 = (): string => randomUUID();
