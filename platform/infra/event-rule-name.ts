import { InvalidComponentArgsError } from "./errors";

/** AWS's limit on EventBridge rule names (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutRule.html). */
export const EVENT_RULE_NAME_MAX_LENGTH = 64;

/**
 * An EventBridge rule's name, checked against its limit before anything is created: the names
 * come from a function's or state machine's physical name, whose own limits are longer.
 */
export function eventRuleName(name: string): string {
  if (name.length > EVENT_RULE_NAME_MAX_LENGTH) {
    throw new InvalidComponentArgsError(`EventBridge rule name "${name}" has ${name.length} characters, more than AWS's ${EVENT_RULE_NAME_MAX_LENGTH}; shorten the stack's or the context's name.`);
  }
  return name;
}
