import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/**
 * The ARN of a resource of this stack's account and region from its known name
 * (`arn:<partition>:<service>:<region>:<account>:<resource>`), for a reference that must not wait
 * for the resource: it is created later, or it names the referring resource itself (a cycle).
 */
export function arnByName(service: string, resource: string, parent: pulumi.Resource): pulumi.Output<string> {
  const account = aws.getCallerIdentityOutput({}, { parent }).accountId;
  const region = aws.getRegionOutput({}, { parent }).region;
  const partition = aws.getPartitionOutput({}, { parent }).partition;
  return pulumi.interpolate`arn:${partition}:${service}:${region}:${account}:${resource}`;
}
