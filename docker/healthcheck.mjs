#!/usr/bin/env node
// The container's HEALTHCHECK: asks the API's readiness endpoint (database reachable, schema
// current) on the port `shopdb serve` listens on, and exits 0 only on 200. The image is slim
// (no curl), so Node does it. What it prints is what `docker inspect` shows as the probe's output.
// An anonymous probe is not told why the site is not ready (that names the database host): the
// api container's log says it (`shopdb logs api`).

const port = process.env.HTTP_PORT || '8080';
const url = `http://127.0.0.1:${port}/api/ready`;
const timeoutMs = 4000; // under the HEALTHCHECK --timeout of 5 s, so the probe reports why it failed

try {
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  const body = await response.text();
  let reason = body;
  try {
    const parsed = JSON.parse(body);
    reason = parsed.reason ?? parsed.status ?? body;
  } catch {
    // not JSON: print it as it came
  }
  console.log(`${url}: ${response.status} ${reason}`);
  process.exitCode = response.status === 200 ? 0 : 1;
} catch (error) {
  const cause = error?.cause?.code ?? error?.name ?? 'error';
  console.log(`${url}: no answer (${cause})`);
  process.exitCode = 1;
}
