import { type Config, ConfigError, type Env } from "../../config.ts";
import { createDurableObjectStore, isHookdStoreNamespace } from "../../store/durable-object.ts";
import { createMemoryStore } from "../../store/memory.ts";
import type { Store } from "../../store/port.ts";
import type { Logger } from "../ports.ts";

/**
 * The Worker's store (contract §7): the Durable Object bound as HOOKD_STORE in wrangler.toml,
 * shared by every isolate. Without that binding (a Worker deployed without wrangler.toml's
 * binding, or HOOKD_STORE=memory as a variable) each isolate keeps its own, and says so.
 */
export function createWorkerStore(env: Env, config: Config, log: Logger): Store {
  const binding = env.HOOKD_STORE;
  if (isHookdStoreNamespace(binding)) return createDurableObjectStore(binding);
  const retentionMs = config.retentionHours * 3_600_000;
  const setting = config.store;
  if (setting === undefined || setting.kind === "memory") {
    if (setting === undefined) {
      log.write({
        level: "warn",
        msg: "HOOKD_STORE is not bound to the HookdStore Durable Object (see wrangler.toml): claims and runs are kept per isolate, so a duplicate event reaching another isolate runs again",
      });
    }
    return createMemoryStore({ retentionMs });
  }
  throw new ConfigError(
    setting.kind === "durable-object"
      ? "HOOKD_STORE: durable-object needs the Durable Object binding HOOKD_STORE (class HookdStore) of wrangler.toml"
      : `HOOKD_STORE: ${setting.kind} is not available on Workers: bind the HookdStore Durable Object as HOOKD_STORE (wrangler.toml)`,
  );
}
