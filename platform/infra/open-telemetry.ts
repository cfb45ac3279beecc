import type * as pulumi from "@pulumi/pulumi";

export interface OpenTelemetrySettings {
  readonly layerArn: string;
  readonly endpoint?: string | undefined;
}

/**
 * A transformation that puts every Lambda function under a component on the AWS Distro for
 * OpenTelemetry layer: its handler wrapper (`AWS_LAMBDA_EXEC_WRAPPER=/opt/otel-handler`) registers
 * an SDK before the handler loads, so the runtime's spans are exported; the W3C and X-Ray
 * propagators both, as events carry `traceparent` and Step Functions the X-Ray header.
 * https://aws-otel.github.io/docs/getting-started/lambda/lambda-js
 *
 * @example
 * new Platform("Ensemble", args, { transformations: [openTelemetry({ layerArn })] });
 */
export function openTelemetry(settings: OpenTelemetrySettings): pulumi.ResourceTransformation {
  return ({ type, props, opts }) => {
    if (type !== "aws:lambda/function:Function") return undefined;
    const variables = (props.environment?.variables ?? {}) as Record<string, unknown>;
    return {
      props: {
        ...props,
        layers: [...((props.layers as unknown[] | undefined) ?? []), settings.layerArn],
        environment: {
          ...props.environment,
          variables: {
            ...variables,
            AWS_LAMBDA_EXEC_WRAPPER: "/opt/otel-handler",
            OTEL_SERVICE_NAME: props.name,
            OTEL_PROPAGATORS: "tracecontext,xray",
            ...(settings.endpoint ? { OTEL_EXPORTER_OTLP_ENDPOINT: settings.endpoint } : {}),
          },
        },
      },
      opts,
    };
  };
}
