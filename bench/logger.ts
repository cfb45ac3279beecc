import { Logger } from "@aws-lambda-powertools/logger";

/** Handlers log nothing during a measurement: a log line per batch would be measured too. */
export const silentLogger = () => new Logger({ logLevel: "SILENT" });
