import type { ReportViolation, ResourceValidation, ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { forTypes, list } from "../lib/define";
import { isListed, kafkaKindOf, kafkaResourceProblem, LAMBDA_EC2_ACTIONS, STAR_RESOURCE_ACTIONS } from "../lib/iam-actions";
import { parseDocument, type Statement } from "../lib/policy-document";

const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";
const POLICY = "aws:iam/policy:Policy";
const ROLE = "aws:iam/role:Role";

/** A policy document a resource carries, and how a message names it. */
interface Document {
  label: string;
  text: unknown;
}

/** An IAM role policy's or managed policy's `policy`, or each of a role's `inlinePolicies`. */
function documentsOf(args: ResourceValidationArgs): Document[] {
  if (args.type === ROLE) {
    return list(args.props.inlinePolicies).map((inline) => ({ label: `inline policy "${inline.name ?? "(unnamed)"}" of IAM role "${args.name}"`, text: inline.policy }));
  }
  return [{ label: `${args.type === POLICY ? "IAM policy" : "IAM role policy"} "${args.name}"`, text: args.props.policy }];
}

/**
 * A validation over every policy document of a role policy, managed policy or role. A document
 * not known yet (not a string during a preview) is skipped; one that is not JSON is reported once,
 * by `iam-no-wildcard-actions`, and skipped by the others.
 */
function forDocuments(check: (statements: Statement[], label: string, report: ReportViolation) => void, reportInvalid = false): ResourceValidation {
  return forTypes([ROLE_POLICY, POLICY, ROLE], (_props, args, report) => {
    for (const { label, text } of documentsOf(args)) {
      const document = parseDocument(text);
      if (!document) continue;
      if ("error" in document) {
        if (reportInvalid) report(`${label} ${document.error}; give a JSON policy document (pulumi.jsonStringify).`);
        continue;
      }
      check(document.statements, label, report);
    }
  });
}

const allows = (statements: Statement[]) => statements.filter((s) => s.effect === "Allow");
const named = (statement: Statement, statements: Statement[]) => (statement.sid ? `"${statement.sid}"` : `#${statements.indexOf(statement) + 1}`);

export const iamPolicies: ResourceValidationPolicy[] = [
  {
    name: "iam-no-wildcard-actions",
    description:
      "IAM.1, IAM.21, CT.IAM.PR.1, CT.IAM.PR.2, CT.IAM.PR.3, CT.IAM.PR.5 (applied to role, managed and inline policies alike): no Allow statement grants the action \"*\" or a whole service (\"<service>:*\"), or uses NotAction.",
    enforcementLevel: "mandatory",
    validateResource: forDocuments((statements, label, report) => {
      for (const statement of allows(statements)) {
        const wild = statement.actions.filter((action) => action === "*" || /^[^:]+:\*$/.test(action));
        if (wild.length > 0) {
          report(`${label} statement ${named(statement, statements)} allows ${wild.join(", ")}; list the actions the role needs instead.`);
        }
        if (statement.notActions) {
          report(`${label} statement ${named(statement, statements)} allows everything except ${statement.notActions.join(", ")} (NotAction); list the actions the role needs in Action instead.`);
        }
      }
    }, true),
  },
  {
    name: "iam-star-resource-allowlist",
    description:
      "Custom least-privilege rule that also covers KMS.1 and KMS.2: an Allow statement grants on Resource \"*\" only actions that accept no narrower resource (X-Ray trace and sampling actions, the EC2 network-interface and describe actions Lambda needs for VPC functions and MSK event source mappings, the CloudWatch Logs log-delivery actions Step Functions logging needs).",
    enforcementLevel: "mandatory",
    validateResource: forDocuments((statements, label, report) => {
      for (const statement of allows(statements)) {
        if (!statement.resources.includes("*")) continue;
        const broad = statement.actions.filter((action) => !isListed(STAR_RESOURCE_ACTIONS, action));
        if (broad.length > 0) {
          report(`${label} statement ${named(statement, statements)} grants ${broad.join(", ")} on every resource ("*"); scope Resource to the ARNs these actions touch, or move them to a statement of their own.`);
        }
      }
    }),
  },
  {
    name: "iam-kafka-cluster-resources",
    description:
      "Custom: every kafka-cluster: action is granted only on MSK ARNs of the kind it applies to (cluster actions on cluster/ ARNs, topic actions on topic/ ARNs, group actions on group/ ARNs), without wildcards except a trailing * after a group-id prefix ending in \".\" on a group ARN.",
    enforcementLevel: "mandatory",
    validateResource: forDocuments((statements, label, report) => {
      for (const statement of allows(statements)) {
        const problems = statement.actions
          .filter((action) => /^kafka-cluster:/i.test(action))
          .flatMap((action) => {
            const kind = kafkaKindOf(action);
            if (!kind) return [`${action} is not one MSK action, so its resource kind is unknown`];
            return statement.resources.flatMap((resource) => {
              const problem = kafkaResourceProblem(kind, resource);
              return problem ? [`${action} on ${problem}`] : [];
            });
          });
        if (problems.length > 0) {
          report(`${label} statement ${named(statement, statements)}: ${problems.join("; ")}; name each action and grant it on the cluster, topic or group ARNs it applies to (arn:aws:kafka:<region>:<account>:<kind>/<cluster name>/<cluster uuid>[/<name>]).`);
        }
      }
    }),
  },
  {
    name: "iam-ec2-actions-lambda-managed",
    description:
      "Custom: a role's policies grant only the EC2 actions of the AWS managed policies AWSLambdaVPCAccessExecutionRole and AWSLambdaMSKExecutionRole: what a VPC function and an MSK event source mapping need, nothing more.",
    enforcementLevel: "mandatory",
    validateResource: forDocuments((statements, label, report) => {
      for (const statement of allows(statements)) {
        const extra = statement.actions.filter((action) => /^ec2:/i.test(action) && !isListed(LAMBDA_EC2_ACTIONS, action));
        if (extra.length > 0) {
          report(`${label} statement ${named(statement, statements)} grants ${extra.join(", ")}, beyond what Lambda needs from EC2; keep to ${LAMBDA_EC2_ACTIONS.join(", ")}.`);
        }
      }
    }),
  },
  {
    name: "iam-no-duplicate-actions",
    description: "Custom: no action appears twice among a policy document's statements of the same effect, so one read of the document tells what the role really needs.",
    enforcementLevel: "mandatory",
    validateResource: forDocuments((statements, label, report) => {
      const seen = new Map<string, { action: string; where: string[] }>();
      for (const statement of statements) {
        for (const action of statement.actions) {
          const key = `${statement.effect} ${action.toLowerCase()}`;
          const entry = seen.get(key) ?? { action, where: [] };
          entry.where.push(named(statement, statements));
          seen.set(key, entry);
        }
      }
      for (const { action, where } of seen.values()) {
        if (where.length < 2) continue;
        report(`${label} lists ${action} ${where.length} times (statement ${[...new Set(where)].join(", ")}); grant it once, in one statement whose Resource lists every ARN it needs.`);
      }
    }),
  },
];
