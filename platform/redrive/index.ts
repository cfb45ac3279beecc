export { type DeadLetter, DeadLetterFormat, eventOf, readDeadLetter } from "./dead-letters";
export { GroupFunctionError, RedriveError } from "./errors";
export { type GroupFunction, LambdaGroupFunction, LocalGroupFunction } from "./group-function";
export { redrive, redriveGroupId, type RedriveItem, RedriveOutcome, type RedriveOptions, type RedriveReport, RedriveTimeoutError } from "./redrive";
export { renderRedriveReport } from "./report";
