/**
 * The escape hatch every component offers for each resource it creates: a partial object merged
 * over the component's args, or a function that edits (or replaces) them. What the component
 * does not expose, a user can still set.
 *
 * @example
 * transform: { function: { memorySize: 1024 } }
 * @example
 * transform: { function: (args) => { args.architectures = ["x86_64"]; } }
 */
export type Transform<T> = Partial<T> | ((args: T, name: string) => T | void);

/** Applies a {@link Transform} to the args a component is about to pass to a resource. */
export function transform<T extends object>(hook: Transform<T> | undefined, name: string, args: T): T {
  if (hook === undefined) return args;
  if (typeof hook === "function") return hook(args, name) ?? args;
  return { ...args, ...hook };
}
