/*
 * Stands in for zod 4's `v4/core/to-json-schema.js` in Lambda bundles (platform/infra/bundle-trim.ts):
 * 9 KB that turn a schema into JSON Schema, which the catalog and the model's checks do at build
 * time and no function ever does. zod still builds each schema's `toJSONSchema()` and
 * `~standard.jsonSchema` methods from these factories, so they return a function; calling it throws.
 * Its exports are the original's (test/unit/infra/bundle-trim.test.ts holds them equal).
 */
import { leftOut } from "./left-out";

const thrower = leftOut("zod's JSON Schema generation (toJSONSchema)", "jsonSchema");

export const initializeContext = thrower;
export const handleUnrepresentable = thrower;
export const processSchema = thrower;
export { processSchema as process };
export const extractDefs = thrower;
export const finalize = thrower;
export const createToJSONSchemaMethod = (..._factoryArgs: unknown[]) => thrower;
export const createStandardJSONSchemaMethod = (..._factoryArgs: unknown[]) => thrower;
