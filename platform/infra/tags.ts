import type * as pulumi from "@pulumi/pulumi";
import { TAG_KEYS } from "../model/tags";

/**
 * A transformation that tags every taggable resource under a component with its owner, unless a
 * nearer component already did. Taggable means the resource has a `tags` input: every generated
 * @pulumi/aws resource lists its inputs in `props`, `undefined` ones included.
 *
 * @example
 * new BoundedContext("EnsembleOrders", args, { parent, transformations: [ownerTag("orders")] });
 */
export function ownerTag(owner: string): pulumi.ResourceTransformation {
  return ({ props, opts }) => {
    if (!("tags" in props)) return undefined;
    const tags = (props.tags ?? {}) as Record<string, unknown>;
    return { props: { ...props, tags: { [TAG_KEYS.owner]: owner, ...tags } }, opts };
  };
}
