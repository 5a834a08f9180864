// A realistic Envoy default-format access log of a given size: mostly 200s, with the failure
// shapes of the corpus (UF refused, URX, UC, UT, UH, DC) sprinkled in (1 line in 97), toward 240
// upstream pods.
import fs from 'node:fs';

const FAILS = [
  '503 UF upstream_reset_before_response_started{connection_failure,delayed_connect_error:_111} 0 145',
  '503 UF,URX upstream_reset_before_response_started{remote_connection_failure|delayed_connect_error:_Connection_refused} 0 152',
  '503 UC upstream_reset_before_response_started{connection_termination} 0 95',
  '504 UT response_timeout 0 24',
  '503 UH no_healthy_upstream 0 19',
  '0 DC downstream_remote_disconnect 0 0',
];

/** Distinct upstream hosts in the generated log (the awk line counts them). */
const UPSTREAM_PODS = 240;

export async function generateEnvoyLog(file: string, megabytes: number): Promise<{ bytes: number; lines: number }> {
  const out = fs.createWriteStream(file);
  const target = megabytes * 1e6;
  let bytes = 0;
  let lines = 0;
  let t = Date.UTC(2026, 10, 20, 10, 0, 0);
  while (bytes < target) {
    const parts: string[] = [];
    for (let i = 0; i < 2000; i++) {
      t += 7;
      const ts = new Date(t).toISOString();
      const fail = lines % 97 === 0 ? FAILS[(lines / 97) % FAILS.length] : null;
      const id = `${(lines * 2654435761 >>> 0).toString(16).padStart(8, '0')}-8d8e-48f4-93f7-23e4b4c592c0`;
      // A mesh has a few hundred endpoints, not one per request: 240 upstream pods, hashed. Failures
      // come in bursts from one bad pod at a time (a new one every 500 failures), as in incidents.
      const pod = fail ? Math.floor(lines / 97 / 500) % 8 : (lines * 2246822519 >>> 0) % UPSTREAM_PODS;
      const up = `10.1.${pod >> 4}.${(pod & 15) + 2}:8080`;
      const status = fail ?? `200 - via_upstream 0 ${200 + (lines % 900)}`;
      parts.push(`[${ts}] "GET /api/v1/items/${lines % 5000} HTTP/1.1" ${status} ${lines % 50} ${lines % 50} "-" "curl/8.4.0" "${id}" "shop.example.com" "${up}"\n`);
      lines++;
    }
    const chunk = parts.join('');
    bytes += Buffer.byteLength(chunk);
    if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((r) => out.end(() => r()));
  return { bytes, lines };
}
