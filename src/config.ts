// The settings moved to one zod schema (src/schema/settings.ts); these names stay for their readers.
export {
  type Config,
  ConfigError,
  DEFAULT_DENY_CIDRS,
  type Env,
  loadConfig,
  parseStoreSetting,
  type StoreSetting,
} from "./schema/settings.ts";
