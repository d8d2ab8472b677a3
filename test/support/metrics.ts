/** The sample lines of a Prometheus text exposition, as `name{labels} value` → value. */
export function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const cut = line.lastIndexOf(" ");
    out.set(line.slice(0, cut), Number(line.slice(cut + 1)));
  }
  return out;
}

/** One sample of `GET /metrics` (with the token), or undefined when the scrape has no such line. */
export async function scrapeSample(base: string, token: string, sample: string): Promise<number | undefined> {
  const res = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${token}` } });
  if (res.status !== 200) throw new Error(`GET /metrics answered ${res.status}`);
  return samples(await res.text()).get(sample);
}
