import { readFile } from "node:fs/promises";
import { ApiError } from "../http/errors.ts";

export interface ResolvedUser {
  uid: number;
  gid: number;
  /** From /etc/passwd, where the user is listed there. */
  name?: string;
  home?: string;
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

async function readColonFile(path: string): Promise<string[][]> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    return [];
  }
  return text
    .split("\n")
    .filter((line) => line.trim() !== "" && !line.startsWith("#"))
    .map((line) => line.split(":"));
}

async function passwd(path: string): Promise<PasswdEntry[]> {
  return (await readColonFile(path)).map((f) => ({
    name: f[0] ?? "",
    uid: Number(f[2]),
    gid: Number(f[3]),
    home: f[5] ?? "",
  }));
}

const isId = (text: string) => /^\d+$/.test(text);

/**
 * Resolves Docker's `user[:group]` form (names or numeric ids) as `docker exec -u` does: a name
 * must be in /etc/passwd (a group in /etc/group); a numeric uid need not be, and then gets its
 * passwd group if listed, else gid 0 as in Docker.
 */
export async function resolveUser(
  spec: string,
  files: { passwd: string; group: string } = { passwd: "/etc/passwd", group: "/etc/group" },
): Promise<ResolvedUser> {
  const [userPart = "", groupPart] = spec.split(":", 2);
  const users = await passwd(files.passwd);
  const entry = isId(userPart)
    ? users.find((u) => u.uid === Number(userPart))
    : users.find((u) => u.name === userPart);
  if (!entry && !isId(userPart)) {
    throw new ApiError(
      400,
      "unknown_user",
      `user "${userPart}" is not in ${files.passwd} where the agent runs`,
      [{ path: "user", message: "no such user" }],
    );
  }
  const uid = entry?.uid ?? Number(userPart);
  let gid = entry?.gid ?? 0;
  if (groupPart !== undefined && groupPart !== "") {
    if (isId(groupPart)) gid = Number(groupPart);
    else {
      const group = (await readColonFile(files.group)).find((f) => f[0] === groupPart);
      if (!group) {
        throw new ApiError(
          400,
          "unknown_group",
          `group "${groupPart}" is not in ${files.group} where the agent runs`,
          [{ path: "user", message: "no such group" }],
        );
      }
      gid = Number(group[2]);
    }
  }
  return { uid, gid, ...(entry && { name: entry.name, home: entry.home }) };
}
