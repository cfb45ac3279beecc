import type { ResourceValidationPolicy } from "@pulumi/policy";
import { forTypes, subject } from "../lib/define";
import { conditionValues, grants, isPublicPrincipal, parseDocument, type Statement } from "../lib/policy-document";

const KEY = "aws:kms/key:Key";

export const kmsPolicies: ResourceValidationPolicy[] = [
  {
    name: "kms-key-rotation",
    description: "KMS.4, CT.KMS.PR.1: a symmetric KMS key (customerMasterKeySpec left out or SYMMETRIC_DEFAULT) rotates its key material (enableKeyRotation true).",
    enforcementLevel: "mandatory",
    validateResource: forTypes(KEY, (props, args, report) => {
      const spec = props.customerMasterKeySpec ?? "SYMMETRIC_DEFAULT";
      if (spec !== "SYMMETRIC_DEFAULT") args.notApplicable(`AWS rotates only symmetric keys; this one is ${spec}`);
      if (props.enableKeyRotation !== true) {
        report(`${subject("KMS key", args)} never rotates its key material; set enableKeyRotation to true.`);
      }
    }),
  },
  {
    name: "kms-key-policy-not-public",
    description:
      "KMS.5: a KMS key's policy has no statement that allows anything (kms:*, *, or any other action) to the principal \"*\" without a Condition, so the key is not usable by anyone outside the account.",
    enforcementLevel: "mandatory",
    validateResource: forTypes(KEY, (props, args, report) => {
      const document = parseDocument(props.policy);
      if (!document) return;
      if ("error" in document) return report(`${subject("KMS key", args)} has a key policy that ${document.error}; give a JSON key policy.`);
      document.statements.forEach((statement, index) => {
        if (statement.effect === "Allow" && isPublicPrincipal(statement) && !statement.condition) {
          report(
            `${subject("KMS key", args)} key policy statement ${label(statement, index)} allows ${statement.actions.join(", ") || "NotAction"} to the principal "*" without a condition; name the account or role principals, or add a Condition (aws:SourceAccount, aws:PrincipalOrgID).`,
          );
        }
      });
    }),
  },
  {
    name: "kms-key-policy-grants-for-aws-resources",
    description:
      "Custom, related to CT.KMS.PR.3: a KMS key's policy lets account principals create grants (kms:CreateGrant) only for AWS services acting for them: each such Allow statement carries the condition kms:GrantIsForAWSResource true, unless the policy has CT.KMS.PR.3's statement denying kms:CreateGrant when kms:GrantIsForAWSResource and aws:PrincipalIsAWSService are both false.",
    enforcementLevel: "mandatory",
    validateResource: forTypes(KEY, (props, args, report) => {
      const document = parseDocument(props.policy);
      if (!document || "error" in document) return;
      if (document.statements.some(isGrantDeny)) return;
      document.statements.forEach((statement, index) => {
        if (statement.effect !== "Allow" || !grants(statement, "kms:CreateGrant") || !grantsToAccountPrincipals(statement)) return;
        if (!conditionValues(statement, "Bool", "kms:GrantIsForAWSResource").includes("true")) {
          report(
            `${subject("KMS key", args)} key policy statement ${label(statement, index)} lets account principals create grants for any grantee; add "Condition": { "Bool": { "kms:GrantIsForAWSResource": "true" } } to it, or add CT.KMS.PR.3's Deny statement.`,
          );
        }
      });
    }),
  },
];

function label(statement: Statement, index: number): string {
  return statement.sid ? `"${statement.sid}"` : `#${index + 1}`;
}

/** IAM principals of an account (roles, users, the root): not service principals. */
function grantsToAccountPrincipals(statement: Statement): boolean {
  return statement.principal === "*" || (statement.principal?.AWS ?? []).length > 0;
}

/** CT.KMS.PR.3's statement: deny kms:CreateGrant to everyone unless an AWS service asks. */
function isGrantDeny(statement: Statement): boolean {
  return (
    statement.effect === "Deny" &&
    grants(statement, "kms:CreateGrant") &&
    isPublicPrincipal(statement) &&
    conditionValues(statement, "BoolIfExists", "kms:GrantIsForAWSResource").includes("false") &&
    conditionValues(statement, "BoolIfExists", "aws:PrincipalIsAWSService").includes("false")
  );
}
