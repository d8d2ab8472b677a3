/** What hookd's HTTP/1.1 client (net-http.ts) and the service's front door (hook-front.ts) both read by. */

/** The longest head read, as Node's and undici's default (16 KiB). */
export const MAX_HEAD_BYTES = 16 * 1024;
/** Where a head ends. */
export const HEAD_END = Buffer.from("\r\n\r\n");
/** A `close` or `keep-alive` token in a Connection header (several joined with commas). */
export const CLOSE_TOKEN = /(?:^|,)[ \t]*close[ \t]*(?:,|$)/i;
export const KEEP_ALIVE_TOKEN = /(?:^|,)[ \t]*keep-alive[ \t]*(?:,|$)/i;
