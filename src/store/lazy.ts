import { errorText } from "../schema/labels.ts";
import { type Store, StoreError } from "./port.ts";
import { storeThrough } from "./through.ts";

/**
 * A store loaded at its first call: a backend's SDK (the AWS SDK's DynamoDB client, about a
 * tenth of a second) then costs the start-up of only the processes that use it. A store that
 * cannot be loaded fails each call with a StoreError naming it, and is tried again on the next.
 * After `close`, every call fails: nothing is loaded (or left open) behind a closed store.
 */
export function lazyStore(name: string, load: () => Promise<Store>): Store {
  let loading: Promise<Store> | undefined;
  let closed = false;
  const loaded = (): Promise<Store> => {
    if (closed) return Promise.reject(new StoreError(`${name}: the store is closed`));
    loading ??= load().catch((err: unknown) => {
      loading = undefined;
      throw new StoreError(`${name}: cannot load the store: ${errorText(err)}`, { cause: err });
    });
    return loading;
  };
  return storeThrough(
    name,
    async (call) => call(await loaded()),
    async () => {
      closed = true;
      if (!loading) return;
      const store = await loading.catch(() => undefined);
      await store?.close();
    },
  );
}
