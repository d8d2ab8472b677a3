/** The `hookd.lifecycle` label (plus any others), as Docker and ECS carry it. No Node imports: workerd tests use it too. */
export function lifecycleLabel(
  lifecycle: unknown,
  extra: Record<string, string> = {},
): Record<string, string> {
  return { "hookd.lifecycle": JSON.stringify(lifecycle), ...extra };
}
