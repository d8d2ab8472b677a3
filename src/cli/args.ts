/** A command-line number: digits only (no sign, exponent, hex or blank), from `min` to `max`; else undefined. */
export function wholeNumber(text: string, min: number, max: number): number | undefined {
  const n = Number(text);
  return /^\d+$/.test(text) && n >= min && n <= max ? n : undefined;
}
