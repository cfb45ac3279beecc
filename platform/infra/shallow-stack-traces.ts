/**
 * Frames captured while the platform's resources are declared: Pulumi's runtime takes a stack
 * trace for every promise it makes (`debuggablePromise`, for its leak report) and formats it
 * through the program's source maps at once, which was about half of the program's time under
 * mocks and a tenth of its memory (bench/pulumi-scale, 100 groups: 15 s → 8 s at 2 frames).
 * Resource source positions are unaffected: Pulumi lifts the limit itself for those.
 * `ENSEMBLE_PROGRAM_STACK_FRAMES` sets another number, for a full trace while debugging.
 */
export const PROGRAM_STACK_FRAMES = 3;

/**
 * Lowers `Error.stackTraceLimit` to {@link PROGRAM_STACK_FRAMES} (never raises it) and returns
 * the function that puts it back.
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
  return () => {
    Error.stackTraceLimit = previous;
  };
}
