import type { TestResource } from "../../../support/policy";
import type { PolicyCase } from "../run-case";

const table: TestResource = { type: "aws:dynamodb/table:Table", name: "IdempotencyTable", inputs: { hashKey: "id" } };
const withTags = (resource: TestResource, tags: Record<string, string>): TestResource => ({ ...resource, inputs: { ...resource.inputs, tags } });

export const tagsCases: PolicyCase[] = [
  { policy: "required-tags", title: "passes with the provider's default tags", resources: [table] },
  {
    policy: "required-tags",
    title: "passes with default tags as the engine passes provider inputs (JSON)",
    defaultTags: JSON.stringify({ tags: { project: "ensemble", stack: "prod", owner: "platform-team" } }),
    resources: [table],
  },
  { policy: "required-tags", title: "passes with the resource's own tags and none by default", defaultTags: undefined, resources: [withTags(table, { project: "ensemble", stack: "prod", owner: "platform-team" })] },
  { policy: "required-tags", title: "passes with resource tags merged over default tags", defaultTags: { tags: { project: "ensemble", stack: "prod" } }, resources: [withTags(table, { owner: "platform-team" })] },
  {
    policy: "required-tags",
    title: "fails without an owner",
    defaultTags: { tags: { project: "ensemble", stack: "prod" } },
    resources: [table],
    fails: 'aws:dynamodb/table:Table "IdempotencyTable" has no owner tag(s); set them in the AWS provider\'s defaultTags.tags',
  },
  {
    policy: "required-tags",
    title: "fails when a resource tag empties a default one",
    resources: [withTags(table, { stack: "" })],
    fails: "has no stack tag(s)",
  },
  {
    policy: "required-tags",
    title: "passes for a type that takes no tags",
    defaultTags: undefined,
    resources: [{ type: "aws:iam/rolePolicy:RolePolicy", name: "NotifyCustomerPolicy", inputs: { role: "r", policy: "{}" } }],
  },
];
