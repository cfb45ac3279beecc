import * as path from "node:path";

/**
 * The file that called a `defineX()` function, relative to the working directory, so an
 * error can say which file to open. Undefined when the stack does not tell (bundled code).
 */
export function callerFile(): string | undefined {
  // In a Lambda bundle every frame is the bundle's own (esbuild defines this there): nothing to
  // find, and capturing a stack per definition cost ~3 ms of a publisher's init.
  if (process.env.ENSEMBLE_BUNDLED === "1") return undefined;
  // Only the call stack is wanted, not an error: capture it onto a plain object.
  const here: { stack?: string } = {};
  Error.captureStackTrace(here);
  const stack = here.stack?.split("\n").slice(1) ?? [];
  for (const line of stack) {
    const match = /\(?((?:file:\/\/)?\/[^():]+):\d+:\d+\)?\s*$/.exec(line);
    const file = match?.[1]?.replace(/^file:\/\//, "");
    if (!file || file.includes(`${path.sep}node_modules${path.sep}`)) continue;
    if (file.startsWith(__dirname + path.sep)) continue;
    return path.relative(process.cwd(), file);
  }
  return undefined;
}
