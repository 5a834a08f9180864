// NGINX error log ingester (issue 3): grammar in src/nginx/error-line.ts, causes in src/nginx/messages.ts.
// Docker images send error.log and access.log to the same container output (nginx.md §5.2), so access
// lines met here are parsed too rather than skipped.
import type { Event } from '../events.js';
import { zoneName, type Zone } from '../time.js';
import type { IngestContext, IngestOptions, LineParser, TextFormat } from './types.js';
import { parseErrorLine, upstreamPeer, type ErrorLine } from '../nginx/error-line.js';
import { classify, classifyCached } from '../nginx/messages.js';
import { errorEvent, RecentFailures } from '../nginx/error-event.js';
import { createAccessLineParser } from '../nginx/access-parser.js';
import { accessEvent } from '../nginx/access-event.js';
import { civilUs, inferOffsetMinutes, offsetName } from '../nginx/zone.js';

const SNIFF_HEAD = /\d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2} \[(?:emerg|alert|crit|error|warn|notice|info|debug)\] \d+#\d+: /;

/** Share of lines that carry nginx's error-log head (anywhere: wrappers may precede it). */
export function sniffNginxError(lines: string[]): number {
  let n = 0;
  let hit = 0;
  for (const l of lines) {
    if (!l) continue;
    n++;
    if (SNIFF_HEAD.test(l)) hit++;
  }
  return n === 0 ? 0 : hit / n;
}

export interface NginxErrorParserState {
  /** Zone applied to the last timestamped line (inferred from the collector or the option). */
  zone: Zone;
}

export function openNginxError(ctx: IngestContext): LineParser {
  const opts: IngestOptions = ctx.options;
  ctx.stats.tz = zoneName(opts.tz);
  ctx.stats.tz_assumed = !opts.tzGiven;
  const recent = new RecentFailures();
  const access = createAccessLineParser(opts.nginxFormat);
  let inferred: number | undefined;
  /** `upstream: "..."` URL -> peer (a log names few upstreams). */
  const peers = new Map<string, string>();

  const timeOf = (l: ErrorLine, collectorTimeUs: number | undefined): number | null => {
    if (!l.civil) return collectorTimeUs ?? null;
    let zone = opts.tz;
    if (!opts.tzGiven && collectorTimeUs !== undefined) {
      const off = inferOffsetMinutes(l.civil, collectorTimeUs);
      if (off !== undefined) {
        if (off !== inferred) {
          inferred = off;
          ctx.stats.tz = offsetName(off);
          ctx.stats.notes.push(`nginx error-log times read as UTC${offsetName(off)}: inferred from collector timestamps (no --tz given)`);
        }
        zone = { kind: 'offset', minutes: off, name: offsetName(off) };
      }
    } else if (!opts.tzGiven && inferred !== undefined) {
      zone = { kind: 'offset', minutes: inferred, name: offsetName(inferred) };
    }
    return civilUs(l.civil, zone);
  };

  const emit = (l: ErrorLine, line: string, lineNo: number, collectorTimeUs: number | undefined): Event | null => {
    let peer: string | undefined;
    if (l.upstream) {
      peer = peers.get(l.upstream);
      if (peer === undefined) {
        if (peers.size >= 4096) peers.clear();
        peer = upstreamPeer(l.upstream);
        peers.set(l.upstream, peer);
      }
    }
    const c = classifyCached(l, peer, recent.lookup);
    if (c.cause !== null) recent.note(peer ?? c.connectTo, l.connection, c.cause);
    if (c.cause === null && opts.failuresOnly) {
      ctx.stats.ok++;
      return null;
    }
    return errorEvent(l, c, peer, timeOf(l, collectorTimeUs), ctx.source, lineNo, line.slice(l.offset), !opts.tzGiven && inferred === undefined);
  };

  return {
    parse(line: string, lineNo: number, collectorTimeUs?: number): Event | null | undefined {
      const full = parseErrorLine(line, false);
      if (full) return emit(full, line, lineNo, collectorTimeUs);
      const a = access(line);
      if (a) {
        const ev = accessEvent(a, ctx.source, lineNo, line);
        if (ev.cause === null && opts.failuresOnly && ev.retried !== true) {
          ctx.stats.ok++;
          return null;
        }
        return ev;
      }
      // Excerpts without the timestamp ("[error] 7#7: ...", "12#12: ...", bare messages): accept them
      // when they carry nginx's head or context, or a message nginx is known to write.
      const frag = parseErrorLine(line, true);
      if (!frag) return undefined;
      if (frag.level === undefined && frag.pid === undefined && frag.client === undefined && frag.action === undefined) {
        const c = classify(frag, undefined);
        if (c.rule === null) return undefined;
      }
      return emit(frag, line, lineNo, collectorTimeUs);
    },
  };
}

export const nginxErrorFormat: TextFormat = {
  name: 'nginx-error',
  kind: 'text',
  sniff: (lines) => sniffNginxError(lines),
  open: openNginxError,
};
