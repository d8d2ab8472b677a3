import { readdirSync, readFileSync } from "node:fs";

/** pid → parent pid and process group, from /proc (Linux). Empty where /proc is missing. */
function processTable(): Map<number, { ppid: number; pgrp: number }> {
  const table = new Map<number, { ppid: number; pgrp: number }>();
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return table;
  }
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readStat(Number(name));
    if (stat) table.set(Number(name), stat);
  }
  return table;
}

function readStat(pid: number): { ppid: number; pgrp: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name may hold spaces and parentheses: the fields start after the last ")".
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return { ppid: Number(fields[1]), pgrp: Number(fields[2]) };
  } catch {
    return undefined;
  }
}

function descendantsOf(root: number, table: Map<number, { ppid: number; pgrp: number }>): number[] {
  const children = new Map<number, number[]>();
  for (const [pid, { ppid }] of table) {
    const list = children.get(ppid);
    if (list) list.push(pid);
    else children.set(ppid, [pid]);
  }
  const found: number[] = [];
  const queue = [root];
  for (let pid = queue.shift(); pid !== undefined; pid = queue.shift()) {
    for (const child of children.get(pid) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // Already gone (ESRCH): nothing to do.
  }
}

/**
 * Kills a process, its process group and every descendant (a command that forks, or a child
 * that moved to its own group). The tree is frozen with SIGSTOP first, so that nothing forks
 * away between the scan and the kill; then everything gets SIGKILL.
 */
export function killProcessTree(root: number): number[] {
  const victims = new Set<number>([root]);
  signal(root, "SIGSTOP");
  if (readStat(root)?.pgrp === root) signal(-root, "SIGSTOP");
  for (let round = 0; round < 3; round++) {
    const before = victims.size;
    const table = processTable();
    for (const [pid, { pgrp }] of table) if (pgrp === root) victims.add(pid);
    for (const pid of descendantsOf(root, table)) victims.add(pid);
    for (const pid of victims) signal(pid, "SIGSTOP");
    if (victims.size === before && round > 0) break;
  }
  if (readStat(root)?.pgrp === root) signal(-root, "SIGKILL");
  for (const pid of victims) signal(pid, "SIGKILL");
  return [...victims];
}

/** The cgroup lines of a process, to tell which container it belongs to; undefined if unreadable. */
export function cgroupOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cgroup`, "utf8");
  } catch {
    return undefined;
  }
}
