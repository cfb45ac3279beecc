/** Namespace of the metrics a stack derives from its consumer groups' logs. */
export const metricNamespace = (stack: string) => `Ensemble/${stack}`;
