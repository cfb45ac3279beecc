import { InvalidCidrError } from "./errors";

/**
 * The `index`-th subnet of `cidr` with `newBits` more prefix bits, like Terraform's `cidrsubnet`:
 * `cidrSubnet("10.40.0.0/16", 2, 1)` is `"10.40.64.0/18"`.
 */
export function cidrSubnet(cidr: string, newBits: number, index: number): string {
  const { base, prefix } = parseCidr(cidr);
  const length = prefix + newBits;
  if (length > 32) throw new InvalidCidrError(`cannot take ${newBits} more bits from ${cidr}: a /${prefix} has only ${32 - prefix} left; give a shorter prefix or fewer bits.`);
  if (!Number.isInteger(index) || index < 0 || index >= 2 ** newBits) {
    throw new InvalidCidrError(`${cidr} has ${2 ** newBits} subnets of /${length}; there is no subnet ${index}. Give an index from 0 to ${2 ** newBits - 1}.`);
  }
  const network = base - (base % 2 ** (32 - prefix)) + index * 2 ** (32 - length);
  const octets = [24, 16, 8, 0].map((shift) => Math.floor(network / 2 ** shift) % 256);
  return `${octets.join(".")}/${length}`;
}

/** `what` names where the CIDR came from, e.g. `Network "Net": cidr`. */
export function parseCidr(cidr: string, what = "CIDR"): { base: number; prefix: number } {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  const numbers = match ? match.slice(1).map(Number) : [];
  const octets = numbers.slice(0, 4);
  const prefix = numbers[4] ?? -1;
  if (!match || octets.some((octet) => octet > 255) || prefix > 32) {
    throw new InvalidCidrError(`${what} "${cidr}" is not an IPv4 CIDR; give one such as 10.40.0.0/16.`);
  }
  return { base: octets.reduce((value, octet) => value * 256 + octet, 0), prefix };
}
