import type { z } from "zod";

/** A zod error as one line per problem, `path: message`, for error messages and DLQ headers. */
export function schemaProblems(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join(".") : "(root)"}: ${issue.message}`);
}
