import { requestOrigin, type StartWorkflowRequest, type StartWorkflowResult, WorkflowStartError, type WorkflowStarter } from "../runtime/workflow-starter";
import { ExecutionAlreadyExistsError } from "./errors";
import { LOCAL_ACCOUNT, type LocalStateMachine } from "./state-machine";

/**
 * The local runtime's side of the WorkflowStarter port: `stateMachine` is a context name, and a
 * repeated execution name answers `started: false`, as ExecutionAlreadyExists does on AWS.
 */
export class LocalWorkflowStarter implements WorkflowStarter {
  constructor(
    private readonly machines: ReadonlyMap<string, LocalStateMachine>,
    /** Told of each execution started, with the request (the group that asked). */
    private readonly onStarted?: (request: StartWorkflowRequest, executionArn: string) => void,
  ) {}

  async start(request: StartWorkflowRequest): Promise<StartWorkflowResult> {
    const machine = this.machines.get(request.stateMachine);
    if (!machine) {
      throw new WorkflowStartError(
        `Could not start execution "${request.name}"${requestOrigin(request)}: no local state machine for context "${request.stateMachine}" ` +
          `(contexts: ${[...this.machines.keys()].join(", ")}). Not retryable: fix the group's startWorkflow.`,
      );
    }
    try {
      const { executionArn } = machine.start(request.name, request.input, { traceHeader: request.traceHeader });
      this.onStarted?.(request, executionArn);
      return { executionId: executionArn, started: true };
    } catch (error) {
      if (error instanceof ExecutionAlreadyExistsError) {
        return { executionId: `${LOCAL_ACCOUNT}:execution:${machine.name}:${request.name}`, started: false };
      }
      throw error;
    }
  }
}
