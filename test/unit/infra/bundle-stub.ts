/**
 * A stand-in for `platform/infra/bundle` in tests that deploy a topology whose tasks and handlers
 * have no files: no esbuild run, each function's entry kept as its code and recorded.
 *
 * ```ts
 * jest.mock("../../../platform/infra/bundle", () => jest.requireActual<typeof import("./bundle-stub")>("./bundle-stub").stubbedBundleModule());
 * ```
 *
 * It imports nothing of the platform, so the mock's factory can load it while the platform loads.
 */

/** What the stub was asked to bundle: each function's name and entry, in order. */
export const bundlesSeen: { name: string; entry: string }[] = [];

export function stubbedBundleModule(): object {
  const actual = jest.requireActual<typeof import("../../../platform/infra/bundle")>("../../../platform/infra/bundle");
  const pulumi = jest.requireActual<typeof import("@pulumi/pulumi")>("@pulumi/pulumi");
  return {
    ...actual,
    bundle: ({ name, entry }: { name: string; entry: string }) => {
      bundlesSeen.push({ name, entry });
      return { name, code: entry, sourceMap: "", sha256: "0".repeat(64), directory: "", bytes: entry.length, composition: [] };
    },
    lambdaCode: ({ code }: { code: string }) => new pulumi.asset.AssetArchive({ "index.js": new pulumi.asset.StringAsset(code) }),
  };
}
