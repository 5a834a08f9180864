// NGINX access log ingester (issue 3): formats in src/nginx/access-formats.ts (or the user's
// `--nginx-format`, compiled by src/nginx/log-format.ts), status meaning in src/nginx/access-record.ts.
// Error-log lines met in the same stream (docker logs mixes both) go to the error ingester's parser.
import type { Event } from '../events.js';
import type { IngestContext, IngestOptions, LineParser, TextFormat } from './types.js';
import { createAccessLineParser } from '../nginx/access-parser.js';
import { accessEvent } from '../nginx/access-event.js';
import { openNginxError } from './nginx-error.js';

/** Share of lines that parse as access lines (never claims Envoy's: see access-formats.ts). */
export function sniffNginxAccess(lines: string[], options: Pick<IngestOptions, 'nginxFormat'>): number {
  const parse = createAccessLineParser(options.nginxFormat);
  let n = 0;
  let hit = 0;
  for (const l of lines) {
    if (!l) continue;
    n++;
    if (parse(l)) hit++;
  }
  return n === 0 ? 0 : hit / n;
}

export function openNginxAccess(ctx: IngestContext): LineParser {
  const opts = ctx.options;
  const parse = createAccessLineParser(opts.nginxFormat);
  let errors: LineParser | undefined;
  return {
    parse(line: string, lineNo: number, collectorTimeUs?: number): Event | Event[] | null | undefined {
      const a = parse(line);
      if (!a) {
        // Opened lazily: it sets the stats' zone fields, which only matter when error lines appear.
        errors ??= openNginxError(ctx);
        return errors.parse(line, lineNo, collectorTimeUs);
      }
      const ev = accessEvent(a, ctx.source, lineNo, line);
      // Keep successful retries: their failed tries join error lines (proxy_next_upstream, nginx.md §5.1).
      if (ev.cause === null && opts.failuresOnly && ev.retried !== true) {
        ctx.stats.ok++;
        return null;
      }
      return ev;
    },
  };
}

export const nginxAccessFormat: TextFormat = {
  name: 'nginx-access',
  kind: 'text',
  sniff: (lines, options) => sniffNginxAccess(lines, options),
  open: openNginxAccess,
};
