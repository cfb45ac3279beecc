export { ChangeKind, changeText, type SchemaChange } from "./changes";
export { compareSchemas } from "./compare";
export { SchemaGateError, SchemaLockError } from "./errors";
export { EventStatus, type EventVerdict, type GateOptions, type GateResult, runGate } from "./gate";
export { type AcceptedChange, entryOf, LOCK_FILE, lockIsCurrent, type LockEntry, parseLock, readLock, type SchemaLock, serializeLock, writeLock } from "./lock";
export { blockingMessage, gateSummary, staleLockMessage } from "./report";
export { schemaGate, type SchemaGateOptions, type SchemaGateOutcome } from "./run";
