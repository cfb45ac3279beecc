import { LAMBDA_VPC_ACTIONS, MSK_EVENT_SOURCE_EC2_ACTIONS } from "../../../platform/infra/lambda-iam";
import { TAG_KEYS } from "../../../platform/model/tags";
import { ENHANCED_MONITORING_LEVELS, LOG_RETENTION_DEFAULT_DAYS, STATE_MACHINE_LOG_LEVELS } from "../../../platform/model/security-baseline";
import { LAMBDA_EC2_ACTIONS } from "../../../policy/lib/iam-actions";
import { policies } from "../../../policy/policies";
import { MONITORING_LEVELS } from "../../../policy/rules/msk";
import { LOG_LEVELS } from "../../../policy/rules/step-functions";

// The pack keeps its own copies of a few facts, so that it can be published and run alone; here
// they are held equal to what the program uses.
const defaultOf = (policy: string, key: string) => {
  const property = policies.find((p) => p.name === policy)!.configSchema!.properties[key];
  return typeof property === "object" ? property.default : undefined;
};

describe("the policy pack and the program", () => {
  it("agree on the EC2 actions Lambda documents", () => {
    expect([...LAMBDA_EC2_ACTIONS].sort()).toEqual([...new Set<string>([...LAMBDA_VPC_ACTIONS, ...MSK_EVENT_SOURCE_EC2_ACTIONS])].sort());
  });

  it("agree on MSK's monitoring levels and Step Functions' log levels", () => {
    expect(MONITORING_LEVELS).toEqual(ENHANCED_MONITORING_LEVELS);
    expect([...LOG_LEVELS].sort()).toEqual([...STATE_MACHINE_LOG_LEVELS].sort());
  });

  it("agree on the required tags and the log retention minimum", () => {
    expect(defaultOf("required-tags", "requiredTags")).toEqual(Object.values(TAG_KEYS));
    expect(defaultOf("cloudwatch-log-retention", "minimumDays")).toBe(LOG_RETENTION_DEFAULT_DAYS);
  });
});
