import { runProgram, stackFileConfig } from "../../support/stack";

describe("OpenTelemetry export on AWS (ensemble:tracing.openTelemetry)", () => {
  const layerArn = "arn:aws:lambda:eu-west-1:901920570463:layer:aws-otel-nodejs-arm64-ver-1-30-2:1";

  it("puts every function on the ADOT layer with its handler wrapper and both propagators, when the stack asks", async () => {
    const run = await runProgram("dev", { ...stackFileConfig("dev"), "ensemble:tracing": JSON.stringify({ openTelemetry: { layerArn, endpoint: "https://otlp.example.com" } }) });
    const functions = run.mocks.byType("aws:lambda/function:Function");
    expect(functions.length).toBeGreaterThan(20);
    for (const fn of functions) {
      expect({ fn: fn.inputs.name, layers: fn.inputs.layers, env: fn.inputs.environment.variables }).toMatchObject({
        fn: fn.inputs.name,
        layers: [layerArn],
        env: { AWS_LAMBDA_EXEC_WRAPPER: "/opt/otel-handler", OTEL_SERVICE_NAME: fn.inputs.name, OTEL_PROPAGATORS: "tracecontext,xray", OTEL_EXPORTER_OTLP_ENDPOINT: "https://otlp.example.com" },
      });
    }
  });

  it("gives functions in an endpoints-only VPC a way to X-Ray, where the layer exports by default, and none for an OTLP endpoint of the user's", async () => {
    // Act
    const toXRay = await runProgram("dev", { ...stackFileConfig("dev"), "ensemble:tracing": JSON.stringify({ openTelemetry: { layerArn } }) });
    const toOtlp = await runProgram("dev", { ...stackFileConfig("dev"), "ensemble:tracing": JSON.stringify({ openTelemetry: { layerArn, endpoint: "https://otlp.example.com" } }) });
    const untraced = await runProgram("dev");

    // Assess
    const services = (run: typeof toXRay) => run.mocks.byType("aws:ec2/vpcEndpoint:VpcEndpoint").map((e) => String(e.inputs.serviceName).split(".").at(-1)).sort();
    expect(services(toXRay)).toEqual(["dynamodb", "lambda", "states", "sts", "xray"]);
    expect(services(toOtlp)).toEqual(["dynamodb", "lambda", "states", "sts"]);
    expect(services(untraced)).toEqual(["dynamodb", "lambda", "states", "sts"]);
    const xray = toXRay.mocks.byType("aws:ec2/vpcEndpoint:VpcEndpoint").find((e) => String(e.inputs.serviceName).endsWith(".xray"))!;
    expect(xray.inputs).toMatchObject({ vpcEndpointType: "Interface", privateDnsEnabled: true });
  });

  it("adds no layer and no exporter by default: the runtime's spans are no-ops", async () => {
    const run = await runProgram("dev");
    for (const fn of run.mocks.byType("aws:lambda/function:Function")) {
      expect(fn.inputs.layers ?? []).toEqual([]);
      expect(fn.inputs.environment.variables).not.toHaveProperty("AWS_LAMBDA_EXEC_WRAPPER");
    }
  });
});
