/**
 * The EC2 actions Lambda documents for execution roles, as plain data: every role gets these and
 * no other EC2 action, and the policy pack holds roles to the same lists.
 */

/**
 * For a function in a VPC: the AWSLambdaVPCAccessExecutionRole managed policy ("Giving Lambda
 * functions access to resources in an Amazon VPC",
 * https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html#configuration-vpc-permissions).
 * None of them accepts a narrower resource than `*`.
 */
export const LAMBDA_VPC_ACTIONS = [
  "ec2:CreateNetworkInterface",
  "ec2:DescribeNetworkInterfaces",
  "ec2:DescribeSubnets",
  "ec2:DeleteNetworkInterface",
  "ec2:AssignPrivateIpAddresses",
  "ec2:UnassignPrivateIpAddresses",
] as const;

/**
 * For an MSK event source mapping: the EC2 part of the AWSLambdaMSKExecutionRole managed policy
 * ("Configuring Lambda permissions for Amazon MSK event source mappings",
 * https://docs.aws.amazon.com/lambda/latest/dg/with-msk-permissions.html). A consumer group's
 * function is in the VPC too, so its role gets {@link LAMBDA_VPC_ACTIONS} and the rest of these.
 */
export const MSK_EVENT_SOURCE_EC2_ACTIONS = [
  "ec2:CreateNetworkInterface",
  "ec2:DescribeNetworkInterfaces",
  "ec2:DescribeVpcs",
  "ec2:DeleteNetworkInterface",
  "ec2:DescribeSubnets",
  "ec2:DescribeSecurityGroups",
] as const;

/** What an MSK event source mapping needs beyond a VPC function's own EC2 actions. */
export const MSK_EVENT_SOURCE_EXTRA_EC2_ACTIONS = MSK_EVENT_SOURCE_EC2_ACTIONS.filter((action) => !(LAMBDA_VPC_ACTIONS as readonly string[]).includes(action));
