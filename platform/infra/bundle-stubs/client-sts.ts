/*
 * Stands in for `@aws-sdk/client-sts` in Lambda bundles. aws-msk-iam-sasl-signer-js requires it
 * at load, but calls it only to log the caller's identity when `awsDebugCreds` is set, which the
 * runtime never sets; loading the runtime's STS client cost ~19 ms of every cold start. Anything
 * that does reach it fails by name rather than silently.
 */
class NotBundled {
  constructor() {
    throw new Error("@aws-sdk/client-sts is not in this Lambda bundle (platform/infra/bundle.ts aliases it away): MSK IAM tokens need no STS call; drop awsDebugCreds.");
  }
}

export const STSClient = NotBundled;
export const GetCallerIdentityCommand = NotBundled;
