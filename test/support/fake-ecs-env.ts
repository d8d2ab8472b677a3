/**
 * Dummy AWS settings that send hookd's ECS calls to the fake endpoint (support/fake-ecs.ts) on
 * 127.0.0.1: as process.env on Node, as bindings in workerd. No Node imports, for workerd's sake.
 */
export function fakeEcsEnv(endpoint: string): Record<string, string> {
  return {
    AWS_ENDPOINT_URL_ECS: endpoint,
    AWS_REGION: "us-west-2",
    AWS_ACCESS_KEY_ID: "AKIDFAKEFAKEFAKE",
    AWS_SECRET_ACCESS_KEY: "fake-secret-for-the-fake-endpoint",
  };
}
