// Handlers log JSON through Powertools on every batch; keep test output for test results.
// POWERTOOLS_LOG_LEVEL=INFO npm test shows them.
process.env.POWERTOOLS_LOG_LEVEL ??= "SILENT";
