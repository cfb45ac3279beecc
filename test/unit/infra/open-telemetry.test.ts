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

  it("adds no layer and no exporter by default: the runtime's spans are no-ops", async () => {
    const run = await runProgram("dev");
    for (const fn of run.mocks.byType("aws:lambda/function:Function")) {
      expect(fn.inputs.layers ?? []).toEqual([]);
      expect(fn.inputs.environment.variables).not.toHaveProperty("AWS_LAMBDA_EXEC_WRAPPER");
    }
  });
});
