export { LiveViewError, PortInUseError } from "./errors";
export { type DeadLetterSummary, type KeyFlow, type LiveState } from "./live-data";
export { type Listener, listen, type ListenOptions, urlOf } from "./listen";
export { ROUTES } from "./routes";
export { type LiveView, type LiveViewOptions, serveLive } from "./server";
