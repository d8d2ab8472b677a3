import type { Logger } from "../ports.ts";

/** Workers and Lambda: console.log is how a line reaches the platform's log. */
export const consoleLogger: Logger = {
  write(record) {
    console.log(JSON.stringify({ time: new Date().toISOString(), ...record }));
  },
};
