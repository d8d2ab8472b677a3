import type { Dispatcher } from "undici";
import { loadConfig } from "../config.ts";
import { errorText } from "../schema/labels.ts";
import { type Run, type RunQuery, RunQuerySchema, RunSchema } from "../schema/run.ts";
import type { Store } from "../store/port.ts";
import { defineCommand, EXIT, httpUrlFlag, UsageError } from "./command.ts";

/** How often --follow asks for new runs. */
const FOLLOW_EVERY_MS = 1_000;
/** Deadline of one request to the service. */
const REQUEST_TIMEOUT_MS = 10_000;

type Page = { runs: Run[]; next: string | null };
type ListRuns = (query: RunQuery) => Promise<Page>;

/** `hookd runs`: the run history as a table or JSON lines (contract §5). */
export const runsCommand = defineCommand({
  name: "runs",
  summary: "the run history, from the service (--service) or HOOKD_STORE",
  usage:
    "hookd runs [--service URL] [--follow] [--json] [--container NAME] [--task ARN]\n             [--phase postStart|preStop] [--outcome succeeded|failed|timedOut] [--since ISO-TIME] [--limit 1-500]",
  description:
    "The newest runs (--limit, default 50), printed oldest first: from the service's GET /v1/runs\n(--service, with HOOKD_TOKEN), else from HOOKD_STORE (default sqlite:.hookd/hookd.db, relative\nto the working directory). --follow then prints runs as they are recorded, until interrupted.",
  options: {
    service: { type: "string" },
    follow: { type: "boolean", default: false },
    json: { type: "boolean", default: false },
    container: { type: "string" },
    task: { type: "string" },
    phase: { type: "string" },
    outcome: { type: "string" },
    since: { type: "string" },
    limit: { type: "string" },
  },
  optionHelp: [
    [
      "--service URL",
      "read GET /v1/runs of this hookd service (HOOKD_TOKEN as its bearer); default: HOOKD_STORE",
    ],
    ["--follow", "keep printing runs as they are recorded, until interrupted"],
    ["--json", "one Run per line (JSON) instead of a table"],
    ["--container NAME", "only runs of this container"],
    ["--task ARN", "only runs of this ECS task"],
    ["--phase P", "only postStart or preStop runs"],
    ["--outcome O", "only succeeded, failed or timedOut runs"],
    ["--since ISO-TIME", "only runs at or after this time"],
    ["--limit N", "at most N runs, 1 to 500"],
  ],
  example: "hookd runs --container web --outcome failed --follow",
  async run(values) {
    const { service, follow, json, ...filters } = values;
    if (service !== undefined) httpUrlFlag("--service", service);
    const query = RunQuerySchema.safeParse(Object.fromEntries(Object.entries(filters)));
    if (!query.success) {
      const issue = query.error.issues[0];
      throw new UsageError(`--${String(issue?.path[0])}: ${issue?.message}`);
    }
    let store: Store | undefined;
    let list: ListRuns;
    // A bad setting is thrown from here: exit 1, as in every command.
    const config = loadConfig(process.env);
    if (service) {
      list = serviceRuns(service, config.tokens[0]);
    } else {
      // Loaded when it runs: the command table (and `--help`) stays light.
      const { createNodeStore } = await import("../platform/node/store.ts");
      const opened = createNodeStore({
        setting: config.store,
        retentionHours: config.retentionHours,
        runtime: "node",
      });
      store = opened;
      list = (q) => opened.listRuns(q);
    }
    const print = printer(json);
    try {
      const first = await list(query.data);
      // The newest page, printed oldest first so that --follow continues it downwards.
      for (const run of [...first.runs].reverse()) print(run);
      if (!follow) return EXIT.done;
      return await followRuns(list, query.data, first.runs[0]?.id, print);
    } finally {
      await store?.close();
    }
  },
});

/** Polls for runs newer than `newest` until SIGINT/SIGTERM. */
async function followRuns(
  list: ListRuns,
  query: RunQuery,
  newest: string | undefined,
  print: (run: Run) => void,
): Promise<number> {
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  let last = newest;
  try {
    while (!stop.signal.aborted) {
      await new Promise<void>((r) => {
        const timer = setTimeout(r, FOLLOW_EVERY_MS);
        stop.signal.addEventListener("abort", () => {
          clearTimeout(timer);
          r();
        });
      });
      if (stop.signal.aborted) break;
      const fresh = await newerThan(list, query, last);
      for (const run of fresh) print(run);
      last = fresh[fresh.length - 1]?.id ?? last;
    }
    return 0;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

/** Every run newer than `after`, oldest first: pages are read newest first until `after` is reached. */
async function newerThan(list: ListRuns, query: RunQuery, after: string | undefined): Promise<Run[]> {
  const found: Run[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await list({ ...query, limit: 500, ...(cursor && { cursor }) });
    for (const run of page.runs) {
      if (after !== undefined && run.id <= after) return found.reverse();
      found.push(run);
    }
    if (!page.next || after === undefined) return found.reverse();
    cursor = page.next;
  }
}

function serviceRuns(base: string, token: string | undefined): ListRuns {
  const root = base.replace(/\/+$/, "");
  return async (query) => {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
    const url = `${root}/v1/runs?${params}`;
    const { request } = await import("undici");
    let res: Dispatcher.ResponseData;
    try {
      res = await request(url, {
        headers: token ? { authorization: `Bearer ${token}` } : {},
        headersTimeout: REQUEST_TIMEOUT_MS,
        bodyTimeout: REQUEST_TIMEOUT_MS,
      });
    } catch (err) {
      throw new Error(`service ${root} unreachable: ${errorText(err)}`);
    }
    const text = await res.body.text();
    if (res.statusCode !== 200) {
      throw new Error(`service ${root} answered ${res.statusCode}: ${text.slice(0, 300)}`);
    }
    const page = RunSchema.array().safeParse((JSON.parse(text) as { runs?: unknown }).runs);
    if (!page.success) throw new Error(`service ${root} sent runs hookd cannot read`);
    const next = (JSON.parse(text) as { next?: unknown }).next;
    return { runs: page.data, next: typeof next === "string" ? next : null };
  };
}

/** A table row per run (time, container, phase, handler, outcome, duration, message), or JSON lines. */
function printer(json: boolean): (run: Run) => void {
  if (json) return (run) => process.stdout.write(`${JSON.stringify(run)}\n`);
  const width = process.stdout.columns ?? 120;
  let header = false;
  return (run) => {
    if (!header) {
      header = true;
      process.stdout.write(
        `${row(["TIME", "CONTAINER", "PHASE", "HANDLER", "OUTCOME", "DURATION", "MESSAGE"], width)}\n`,
      );
    }
    const cells = [
      run.time,
      run.container,
      run.phase,
      run.handler,
      run.outcome,
      `${run.durationMs}ms`,
      run.message.replace(/\s+/g, " "),
    ];
    process.stdout.write(`${row(cells, width)}\n`);
  };
}

const WIDTHS = [24, 16, 9, 7, 9, 9];

/** Fixed columns, then the message cut to what is left of the terminal's width. */
function row(cells: string[], width: number): string {
  const fixed = WIDTHS.map((w, i) => cut(cells[i] ?? "", w).padEnd(w)).join(" ");
  const left = Math.max(10, width - fixed.length - 1);
  return `${fixed} ${cut(cells[WIDTHS.length] ?? "", left)}`.trimEnd();
}

function cut(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}
