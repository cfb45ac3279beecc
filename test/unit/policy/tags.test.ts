import * as fs from "node:fs";
import * as path from "node:path";
import { TAGGABLE_TYPES } from "../../../policy/policies";
import { tagsCases } from "./cases/tags";
import { expectedMessages, messagesOf, rows } from "./run-case";

const AWS = path.resolve(__dirname, "../../../node_modules/@pulumi/aws");

/** Types the stack uses that take no tags, so required-tags must not apply to them. */
const NOT_TAGGABLE = [
  "aws:iam/rolePolicy:RolePolicy",
  "aws:cloudwatch/logMetricFilter:LogMetricFilter",
  "aws:cloudwatch/dashboard:Dashboard",
  "aws:kms/alias:Alias",
  "aws:sns/topicSubscription:TopicSubscription",
  "aws:msk/configuration:Configuration",
  "aws:msk/topic:Topic",
  "aws:ec2/routeTableAssociation:RouteTableAssociation",
  "aws:ec2/route:Route",
  "aws:lambda/permission:Permission",
];

/** What @pulumi/aws declares for a type token: its class's token, and whether its Args take `tags`. */
function declared(type: string): { token: string | undefined; argsFound: boolean; takesTags: boolean } {
  const [, module, file, className] = /^aws:([^/]+)\/([^:]+):(.+)$/.exec(type)!;
  const source = path.join(AWS, module!, file!);
  const dts = fs.readFileSync(`${source}.d.ts`, "utf8");
  const args = new RegExp(`^export interface ${className}Args \\{\\n([\\s\\S]*?)^\\}`, "m").exec(dts)?.[1];
  const token = /static __pulumiType = '([^']+)'/.exec(fs.readFileSync(`${source}.js`, "utf8"))?.[1];
  return { token, argsFound: args !== undefined, takesTags: /^ {4}tags\?:/m.test(args ?? "") };
}

describe("the tag policy", () => {
  it.each(rows(tagsCases))("%s %s", async (_policy, _title, policyCase) => {
    // Prepare: the case's resource and its provider's default tags

    // Act
    const messages = await messagesOf(policyCase);

    // Assess
    expect(messages).toEqual(expectedMessages(policyCase));
  });

  it.each([...TAGGABLE_TYPES])("lists %s, a real @pulumi/aws type whose Args take tags", (type) => {
    // Prepare, Act
    const found = declared(type);

    // Assess
    expect(found).toEqual({ token: type, argsFound: true, takesTags: true });
  });

  it.each(NOT_TAGGABLE)("leaves out %s, whose Args take no tags", (type) => {
    // Prepare, Act
    const found = declared(type);

    // Assess
    expect(found).toEqual({ token: type, argsFound: true, takesTags: false });
    expect(TAGGABLE_TYPES.has(type)).toBe(false);
  });
});
