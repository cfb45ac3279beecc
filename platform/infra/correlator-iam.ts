import type { PolicyStatement } from "./kafka-iam";

/**
 * What a correlator may do besides consuming: its idempotency table as every group (get, put,
 * update, delete), only UpdateItem on its table of waits (each action once, on every ARN it
 * needs), and answer the waits of the one state machine it serves.
 *
 * SendTaskSuccess and SendTaskFailure: the Service Authorization Reference lists no resource type
 * for them (read: Resource "*" only), yet a grant on the state machine's ARN is what AWS evaluates
 * for a task token of a Lambda callback task (aws/aws-cdk#8486, tested there). We grant the state
 * machine only; should an account evaluate the first reading, the call is refused, the correlator's
 * record fails, is retried and dead-lettered (nothing is lost), and the error log names this
 * statement. https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsstepfunctions.html
 */
export function correlatorStatements(idempotencyTableArn: string, waitTableArn: string, waitingStateMachineArn: string): PolicyStatement[] {
  return [
    { Sid: "IdempotencyTable", Effect: "Allow", Action: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"], Resource: [idempotencyTableArn] },
    { Sid: "UpdateTables", Effect: "Allow", Action: ["dynamodb:UpdateItem"], Resource: [idempotencyTableArn, waitTableArn] },
    { Sid: "CompleteWaits", Effect: "Allow", Action: ["states:SendTaskSuccess", "states:SendTaskFailure"], Resource: [waitingStateMachineArn] },
  ];
}
