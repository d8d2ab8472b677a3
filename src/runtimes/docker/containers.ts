import { z } from "zod";
import {
  DOCKER_CALL_TIMEOUT_MS,
  type DockerApi,
  DockerApiError,
  dockerErrorMessage,
} from "../../platform/node/docker-api.ts";

/** A container as the adapter needs it, from `GET /containers/{id}/json`. */
export interface DockerContainer {
  id: string;
  name: string;
  labels: Record<string, string>;
  /** `127.0.0.1` on the host network, else the container's address on its network, if any. */
  ip: string | undefined;
  running: boolean;
  /** Docker's timestamps (RFC 3339, nanoseconds): one start of the container has one `startedAt`. */
  startedAt: string;
  finishedAt: string;
  /** Docker's own restart policy name: `no`, `always`, `unless-stopped`, `on-failure`. */
  dockerRestartPolicy: string | undefined;
}

const InspectSchema = z.object({
  Id: z.string(),
  Name: z.string(),
  Config: z.object({ Labels: z.record(z.string(), z.string()).nullish() }),
  State: z.object({ Running: z.boolean(), StartedAt: z.string(), FinishedAt: z.string() }),
  HostConfig: z.object({
    NetworkMode: z.string().optional(),
    RestartPolicy: z.object({ Name: z.string().optional() }).nullish(),
  }),
  NetworkSettings: z.object({
    IPAddress: z.string().optional(),
    Networks: z.record(z.string(), z.object({ IPAddress: z.string().optional() }).nullable()).nullish(),
  }),
});

/** The container, or `undefined` when the engine has none by that id or name. */
export async function inspectContainer(
  api: DockerApi,
  idOrName: string,
): Promise<DockerContainer | undefined> {
  let raw: unknown;
  try {
    raw = await api.json<unknown>("GET", `/containers/${encodeURIComponent(idOrName)}/json`);
  } catch (err) {
    if (err instanceof DockerApiError && err.status === 404) return undefined;
    throw err;
  }
  const c = InspectSchema.parse(raw);
  return {
    id: c.Id,
    name: c.Name.replace(/^\//, ""),
    labels: c.Config.Labels ?? {},
    ip: containerIp(c),
    running: c.State.Running,
    startedAt: c.State.StartedAt,
    finishedAt: c.State.FinishedAt,
    dockerRestartPolicy: c.HostConfig.RestartPolicy?.Name || undefined,
  };
}

function containerIp(c: z.infer<typeof InspectSchema>): string | undefined {
  if (c.HostConfig.NetworkMode === "host") return "127.0.0.1";
  if (c.NetworkSettings.IPAddress) return c.NetworkSettings.IPAddress;
  for (const network of Object.values(c.NetworkSettings.Networks ?? {})) {
    if (network?.IPAddress) return network.IPAddress;
  }
  return undefined;
}

/**
 * Stops the container the way `docker stop` does: SIGTERM, SIGKILL after `seconds`. A stop through
 * the API marks the container as stopped by hand, so Docker's restart policy leaves it stopped.
 */
export function stopContainer(api: DockerApi, id: string, seconds: number): Promise<void> {
  // The engine answers only once the container is down, SIGKILL at `seconds` included.
  return containerAction(api, id, `stop?t=${seconds}`, seconds * 1000 + DOCKER_CALL_TIMEOUT_MS);
}

export function startContainer(api: DockerApi, id: string): Promise<void> {
  return containerAction(api, id, "start", DOCKER_CALL_TIMEOUT_MS);
}

/** `POST /containers/{id}/{action}`: 204 done, 304 already so; anything else throws. */
async function containerAction(api: DockerApi, id: string, action: string, timeoutMs: number): Promise<void> {
  const path = `/containers/${encodeURIComponent(id)}/${action}`;
  const res = await api.request({ method: "POST", path, timeoutMs });
  const text = await res.body.text();
  if (res.statusCode === 204 || res.statusCode === 304) return;
  throw new DockerApiError(
    res.statusCode,
    `Docker POST ${path}: ${res.statusCode} ${dockerErrorMessage(text)}`,
  );
}
