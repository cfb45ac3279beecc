import { StackConfigError } from "./stack-config";

/**
 * The tags every taggable resource of a stack carries. `project` and `stack` come from the AWS
 * provider's default tags (`aws:defaultTags` in `Pulumi.<stack>.yaml`), `owner` (the context or
 * consumer group a resource serves, or `platform`) from the component that creates it.
 */
export const TAG_KEYS = { project: "project", stack: "stack", owner: "owner" } as const;

/** The owner of what serves no one context or group: network, cluster, key, alarm topic, dashboard. */
export const PLATFORM_OWNER = "platform";

/**
 * Reads the provider's default tags from the stack's config (`pulumi.runtime.allConfig()`, or a
 * stack file read the same way) and checks that they name the project and the stack, so a new
 * stack file without them fails before anything is created.
 * @throws StackConfigError showing the lines to add to `Pulumi.<stack>.yaml`.
 */
export function checkDefaultTags(project: string, stack: string, config: Record<string, string>): Record<string, string> {
  const raw = config["aws:defaultTags"];
  let tags: Record<string, string> = {};
  try {
    tags = raw === undefined ? {} : ((JSON.parse(raw) as { tags?: Record<string, string> }).tags ?? {});
  } catch {
    tags = {};
  }
  const expected = { [TAG_KEYS.project]: project, [TAG_KEYS.stack]: stack };
  const wrong = Object.entries(expected).filter(([key, value]) => tags[key] !== value);
  if (wrong.length > 0) {
    throw new StackConfigError(stack, [
      `aws:defaultTags must tag every resource with ${wrong.map(([key, value]) => `${key}=${value}`).join(" and ")} (found ${JSON.stringify(tags)}). ` +
        `Add under config:\n      aws:defaultTags:\n        tags:\n          ${TAG_KEYS.project}: ${project}\n          ${TAG_KEYS.stack}: ${stack}`,
    ]);
  }
  return tags;
}
