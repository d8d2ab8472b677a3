import { quietServiceStdout } from "../support/test-log.ts";

/**
 * workerd's own report of an internal error, e.g. the failed TLS handshakes the TLS tests provoke
 * on purpose: `e = rust/…`, `stack: <workerd's addresses>`, `uncaught exception; … internal error;
 * reference = …`. The Worker's answer carries the reference; the tests check that answer. Any
 * other uncaught exception (one of the Worker's own) still prints.
 */
const WORKERD_DIAGNOSTIC =
  /^(e = rust\/|stack: \S*workerd@|uncaught exception; .*internal error; reference = )/;

/** Vite's note that a dependency's published source map names files it does not ship (standardwebhooks). */
const DEPENDENCY_SOURCEMAP = /^Sourcemap for "[^"]*\/node_modules\/[^"]*" points to missing source files$/;

/**
 * Global setup of the workers project: the Workers test pool writes what workerd prints (the
 * Worker's console.log lines among it) straight to this process's stdout and stderr, past
 * vitest's onConsoleLog, and takes no option for it. hookd's JSON log lines, workerd's
 * diagnostics and vite's note on a dependency's source map are dropped there, unless
 * HOOKD_TEST_LOGS=1, so that `npm test` prints results.
 */
export default function setup(): () => void {
  return quietServiceStdout((line) => WORKERD_DIAGNOSTIC.test(line) || DEPENDENCY_SOURCEMAP.test(line));
}
