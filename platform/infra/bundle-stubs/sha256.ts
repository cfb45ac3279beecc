/*
 * Stands in for `@aws-crypto/sha256-js` in Lambda bundles: the MSK IAM signer hands it to
 * SigV4, and a pure-JavaScript SHA-256 (10 KB of the bundle) has no business where node:crypto
 * is. The same interface: `new Sha256(secret?)` is an HMAC when given a secret, `update`, and
 * `digest` resolving to the bytes. test/unit/infra/bundle-stubs.test.ts holds it equal to the original.
 */
import { createHash, createHmac, type Hash, type Hmac } from "node:crypto";

type SourceData = string | ArrayBuffer | ArrayBufferView;

function bytes(data: SourceData): Uint8Array | string {
  if (typeof data === "string") return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(data);
}

export class Sha256 {
  private hash: Hash | Hmac;

  constructor(private readonly secret?: SourceData) {
    this.hash = this.start();
  }

  update(data: SourceData): void {
    this.hash.update(bytes(data));
  }

  digestSync(): Uint8Array {
    const digest = new Uint8Array(this.hash.digest());
    this.hash = this.start();
    return digest;
  }

  async digest(): Promise<Uint8Array> {
    return this.digestSync();
  }

  reset(): void {
    this.hash = this.start();
  }

  private start(): Hash | Hmac {
    return this.secret === undefined ? createHash("sha256") : createHmac("sha256", bytes(this.secret));
  }
}
