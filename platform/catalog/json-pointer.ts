/** A JSON Pointer token (RFC 6901): how `$ref`s of the AsyncAPI document name a key with `/` or `~`. */
export function pointer(token: string): string {
  return token.replace(/~/g, "~0").replace(/\//g, "~1");
}
