export { OnFailureReason } from "../../model";
export { PartialBatchReading } from "./batch-response";
export { compileFilters } from "./filter";
export { Limiter } from "./limiter";
export { LocalEventSourceMapping } from "./mapping";
export { type MskEventOptions, type PartitionMessages, toMskEvent } from "./msk-event";
export { type BisectReport, type DeliveredRecord, type FailureCause, type InvocationReport, type MappingObserver, type RetryReport } from "./observer";
export { onFailureRecord, type OnFailureRecordInput } from "./on-failure-record";
export { type EventSourceMappingOptions } from "./settings";
