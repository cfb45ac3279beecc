/**
 * Frames captured while the platform's resources are declared: none. Pulumi's runtime takes a
 * stack trace for every promise it makes (`debuggablePromise`, about a hundred per resource, for
 * its leak report) and formats it through the program's source maps at once. Under mocks at 300
 * groups (bench/pulumi-scale), 3 frames cost twice the CPU of none and 15 % more memory, and even
 * 1 frame costs 40 % more CPU. Resource source positions are unaffected: Pulumi lifts the limit
 * itself for those. An error thrown meanwhile carries its message only (the components' own
 * errors name the component and the arg): `ENSEMBLE_PROGRAM_STACK_FRAMES=50` gives full traces.
 */
export const PROGRAM_STACK_FRAMES = 0;

/**
 * Lowers `Error.stackTraceLimit` to {@link PROGRAM_STACK_FRAMES} (never raises it) and returns
 * the function that puts it back; it is put back after the current synchronous code in any case.
 *
 * @example
 * const restore = shallowStackTraces();
 * declareEverything();
 * restore();
 */
export function shallowStackTraces(env: NodeJS.ProcessEnv = process.env): () => void {
  const previous = Error.stackTraceLimit;
  const asked = env.ENSEMBLE_PROGRAM_STACK_FRAMES ? Number(env.ENSEMBLE_PROGRAM_STACK_FRAMES) : Number.NaN;
  Error.stackTraceLimit = asked >= 0 ? asked : Math.min(previous, PROGRAM_STACK_FRAMES);
  let restored = false;
  const restore = () => {
    if (restored) return;
    restored = true;
    Error.stackTraceLimit = previous;
  };
  // Declaring resources is synchronous: should it throw before `restore()`, the limit comes back
  // as soon as the code that called this has run, instead of staying low for the process.
  queueMicrotask(restore);
  return restore;
}
