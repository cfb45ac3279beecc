/*
 * The stand-ins platform/infra/bundle.ts puts in Lambda bundles in place of packages the MSK IAM
 * signer requires: the SHA-256 must give the original's bytes (SigV4 signs with it), and the STS
 * client must fail by name if anything ever calls it.
 */
import { Sha256 as OriginalSha256 } from "@aws-crypto/sha256-js";
import { SignatureV4 } from "@smithy/signature-v4";
import { GetCallerIdentityCommand, STSClient } from "../../../platform/infra/bundle-stubs/client-sts";
import { Sha256 } from "../../../platform/infra/bundle-stubs/sha256";

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

async function digestOf(Hash: typeof Sha256 | typeof OriginalSha256, parts: (string | Uint8Array | ArrayBuffer)[], secret?: string | Uint8Array) {
  const hash = new Hash(secret);
  for (const part of parts) hash.update(part);
  return hex(await hash.digest());
}

describe("the SHA-256 stand-in", () => {
  const inputs: [string, (string | Uint8Array | ArrayBuffer)[]][] = [
    ["nothing", []],
    ["a string", ["kafka-cluster:Connect"]],
    ["bytes, a view into a larger buffer, and an ArrayBuffer", [new Uint8Array([1, 2, 3]), new Uint8Array(Buffer.from("xxhello-worldxx")).subarray(2, 13), new Uint8Array([9, 8, 7]).buffer]],
    ["a multi-byte string", ["größe €"]],
  ];

  it.each(inputs)("hashes %s as @aws-crypto/sha256-js does, plain and keyed", async (_, parts) => {
    expect(await digestOf(Sha256, parts)).toBe(await digestOf(OriginalSha256, parts));
    expect(await digestOf(Sha256, parts, "secret")).toBe(await digestOf(OriginalSha256, parts, "secret"));
    expect(await digestOf(Sha256, parts, new Uint8Array([0, 255, 7]))).toBe(await digestOf(OriginalSha256, parts, new Uint8Array([0, 255, 7])));
  });

  it("starts over after a digest and after reset()", async () => {
    const hash = new Sha256("key");
    hash.update("first");
    await hash.digest();
    hash.update("second");
    const afterDigest = hex(await hash.digest());
    hash.update("ignored");
    hash.reset();
    hash.update("second");

    expect({ afterDigest, afterReset: hex(hash.digestSync()) }).toEqual({ afterDigest: await digestOf(OriginalSha256, ["second"], "key"), afterReset: afterDigest });
  });

  it("gives SigV4 the same presigned kafka-cluster:Connect URL as the original", async () => {
    const credentials = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", sessionToken: "session" };
    const request = { method: "GET", protocol: "https:", hostname: "kafka.eu-west-1.amazonaws.com", path: "/", headers: { host: "kafka.eu-west-1.amazonaws.com" }, query: { Action: "kafka-cluster:Connect" } };
    const presign = (sha256: typeof Sha256 | typeof OriginalSha256) =>
      new SignatureV4({ credentials, region: "eu-west-1", service: "kafka-cluster", sha256 }).presign(request, { expiresIn: 900, signingDate: new Date("2026-12-07T06:00:00Z") });

    const [ours, original] = await Promise.all([presign(Sha256), presign(OriginalSha256)]);

    expect(ours.query!["X-Amz-Signature"]).toMatch(/^[0-9a-f]{64}$/);
    expect(ours.query).toEqual(original.query);
  });
});

describe("the STS client stand-in", () => {
  it("fails by name, saying why it is missing and what to drop", () => {
    expect(() => new STSClient()).toThrow("@aws-sdk/client-sts is not in this Lambda bundle (platform/infra/bundle.ts aliases it away): MSK IAM tokens need no STS call; drop awsDebugCreds.");
    expect(() => new GetCallerIdentityCommand()).toThrow(/not in this Lambda bundle/);
  });
});
