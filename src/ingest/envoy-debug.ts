// Envoy application ("debug") logs -> `envoy.debug` events (layouts: src/envoy/debug-line.ts, messages:
// src/envoy/debug-messages.ts). A line is judged with a little per-connection memory, because Envoy
// spreads one failure over several lines (reference/envoy.md §4-5):
//   [C12] connecting to 10.0.0.5:8080 / [C12] delayed connect error: 111 / [C8][S1] upstream reset: reset reason connection failure
// the router line names the downstream connection and (before 2020) no transport reason; the connect line
// on the same worker thread a moment earlier says what happened. Likewise `using existing connection`
// then `remote close` within moments is the idle race.
import { makeEvent, type Cause, type Event } from '../events.js';
import { LIMITS } from '../limits.js';
import { isoTime } from '../time.js';
import { bodyEvent, noteZone, parseBody } from '../envoy/body.js';
import { CONNECT_FAILURE_CAUSES, TERMINATION_CAUSES } from '../envoy/details.js';
import { isIstioAgentLine, splitCustomLine, splitDebugLine, splitIds, type DebugLine } from '../envoy/debug-line.js';
import { classifyMessage, type MsgMatch } from '../envoy/debug-messages.js';
import type { IngestContext, LineParser, TextFormat } from './types.js';

/** Connections remembered at once; the oldest are forgotten (a busy proxy opens millions a day). */
const MAX_TRACKED_CONNECTIONS = 20_000;
/**
 * A connect failure and the router reset it causes happen in one event-loop pass of one worker thread
 * (same millisecond in every real log we have); 50 ms leaves room for a loaded loop.
 */
const SAME_PASS_US = 50_000;
/**
 * Idle race: the upstream's FIN was already on its way when Envoy reused the connection, so the close
 * arrives within about one round trip of the reuse. 250 ms covers cross-zone RTTs; a close later than
 * that with a request in flight is an ordinary upstream close.
 */
const IDLE_RACE_WINDOW_US = 250_000;

/** Messages kept under `analyze` (failuresOnly) although they are not failures: the correlator joins on them. */
const CONTEXT_TYPES: ReadonlySet<string> = new Set(['connecting', 'reused_connection', 'remote_close', 'goaway', 'outlier_ejection']);

interface ConnState {
  upstream: string | null;
  reusedUs: number | null;
  remoteCloseUs: number | null;
  localClose: boolean;
  /** A stream is attached (creating stream / using existing connection) and not yet done. */
  busy: boolean;
  /** A close-with-request failure was already reported for this connection. */
  closeReported: boolean;
}

interface Recent { cause: Cause; us: number | null; upstream: string | null; connectionId: number | null }

function newConn(): ConnState {
  return { upstream: null, reusedUs: null, remoteCloseUs: null, localClose: false, busy: false, closeReported: false };
}

/** True when the line is one of the strict Envoy application-log layouts (used by sniff). */
export function isEnvoyDebugLine(line: string): boolean {
  const d = splitDebugLine(line, { kind: 'utc' });
  return d !== undefined;
}

export function openEnvoyDebug(ctx: IngestContext): LineParser {
  const conns = new Map<number, ConnState>();
  // Last failure per worker thread ('' when the layout has no thread id).
  const recent = new Map<string, Recent>();

  function conn(id: number): ConnState {
    let c = conns.get(id);
    if (!c) {
      if (conns.size >= MAX_TRACKED_CONNECTIONS) conns.delete(conns.keys().next().value as number);
      c = newConn();
      conns.set(id, c);
    }
    return c;
  }

  function within(a: number | null, b: number | null, windowUs: number): boolean {
    return a !== null && b !== null && b - a >= 0 && b - a <= windowUs;
  }

  /** Settle a cause that needed earlier lines; returns [cause, upstream, how] (how = why we changed it). */
  function settle(m: MsgMatch, d: DebugLine, c: ConnState | undefined, us: number | null): [Cause | null, string | null, string | null] {
    const prior = recent.get(d.thread ?? '');
    if (m.settle === 'connect') {
      if (prior && within(prior.us, us, SAME_PASS_US) && CONNECT_FAILURE_CAUSES.has(prior.cause)) {
        return [prior.cause, prior.upstream, `from the connect failure on C${prior.connectionId ?? '?'} just before`];
      }
      return [m.cause, m.upstream, null];
    }
    if (m.settle === 'termination') {
      if (prior && within(prior.us, us, SAME_PASS_US) && TERMINATION_CAUSES.has(prior.cause)) {
        return [prior.cause, prior.upstream, `from the close of C${prior.connectionId ?? '?'} just before`];
      }
      return [m.cause, m.upstream, null];
    }
    if (m.settle === 'close') {
      // No memory of this connection: a pasted fragment; the line is what the reporter flagged, keep it.
      if (!c) return [m.cause, m.upstream, null];
      if (c.closeReported || c.localClose || (!c.busy && m.msg_type === 'client_disconnected')) return [null, c.upstream, 'idle or already reported'];
      if (c.reusedUs !== null && within(c.reusedUs, c.remoteCloseUs ?? us, IDLE_RACE_WINDOW_US)) {
        return ['idle_race', c.upstream, 'the connection was reused moments before the upstream closed it'];
      }
      return [m.cause, c.upstream ?? m.upstream, null];
    }
    return [m.cause, m.upstream ?? (c?.upstream ?? null), null];
  }

  /** Update per-connection memory from any message, chatter included. */
  function remember(m: MsgMatch, connId: number | null, us: number | null): void {
    if (connId === null) return;
    const c = conn(connId);
    switch (m.msg_type) {
      case 'connecting': c.upstream = m.upstream; break;
      case 'reused_connection': c.reusedUs = us; c.busy = true; break;
      case 'stream_attached': c.busy = true; break;
      case 'stream_done': c.busy = false; break;
      case 'remote_close': c.remoteCloseUs = us; break;
      case 'local_close': c.localClose = true; break;
    }
  }

  return {
    parse(line: string, lineNo: number, collectorTimeUs?: number): Event | Event[] | null | undefined {
      const tz = ctx.options.tz;
      let d = splitDebugLine(line, tz);
      let custom = false;
      if (!d) {
        const body = parseBody(line);
        if (body) return bodyEvent(ctx, line, lineNo, body, collectorTimeUs);
        d = splitCustomLine(line, tz);
        if (!d) return undefined;
        custom = true;
      }
      const ids = splitIds(d.msg);
      const connId = ids.connectionId ?? d.connectionId;
      const streamId = ids.streamId ?? d.streamId;
      const m = classifyMessage(ids.text);
      if (!m) {
        // A custom layout is only Envoy's if it carries Envoy's ids; otherwise we do not know the line.
        if (custom && ids.connectionId === null) {
          if (!isIstioAgentLine(line)) return undefined;
          ctx.stats.ok++;
          return null;
        }
        ctx.stats.ok++;
        return null;
      }
      let us: number | null = d.time ? d.time.us : null;
      let time: string | null = d.time ? isoTime(d.time.us, d.time.digits, d.time.nanos) : null;
      if (d.time && !d.zoned) noteZone(ctx, ctx.options);
      if (us === null && collectorTimeUs !== undefined) {
        us = collectorTimeUs;
        time = isoTime(us, 6);
      }
      // Memory as it was before this line: a close on a connection we never saw is a pasted fragment.
      const known = connId !== null ? conns.get(connId) : undefined;
      const before = known ? { ...known } : undefined;
      remember(m, connId, us);
      if (!m.emit) {
        ctx.stats.ok++;
        return null;
      }

      const [cause, upstream, how] = settle(m, d, before, us);
      if (cause !== null && connId !== null) {
        recent.set(d.thread ?? '', { cause, us, upstream, connectionId: connId });
        if (m.settle === 'close') conn(connId).closeReported = true;
      }
      if (cause === null && ctx.options.failuresOnly && !CONTEXT_TYPES.has(m.msg_type)) {
        ctx.stats.ok++;
        return null;
      }

      const ref = connId !== null ? `[C${connId}${streamId !== null ? `][S${streamId}` : ''}] ` : '';
      const summary = ref + m.summary + (how && cause !== m.cause ? ` (${how})` : '');
      return makeEvent(
        {
          time, ts_us: us, source: ctx.source, line: lineNo, kind: 'envoy.debug', cause, upstream, summary,
          ...(cause !== null ? { raw: line.slice(0, LIMITS.RAW_LINE_CHARS) } : {}),
        },
        {
          msg_type: m.msg_type, connection_id: connId, stream_id: streamId,
          level: d.level, logger: d.logger, thread: d.thread,
          ...m.fields,
        },
      );
    },
  };
}

export const envoyDebugFormat: TextFormat = {
  name: 'envoy-debug',
  kind: 'text',
  // Strict layouts only: `[2019-07-16 11:44:33.182][20][debug][connection]`, Istio's
  // `2020-08-11T04:09:52.229257Z<TAB>debug<TAB>envoy connection`, or JSON with `"scope":"envoy ..."`.
  // An Envoy access log starts `[2016-04-15T20:17:00.310Z] "GET` (ISO inside one bracket, then a quote),
  // Istio's JSON access log has response_code/start_time and no msg, NGINX's error log starts
  // `2024/01/02 15:04:05 [error]` — none of them match.
  sniff(lines: string[]): number {
    if (lines.length === 0) return 0;
    let hits = 0;
    for (const l of lines) if (isEnvoyDebugLine(l)) hits++;
    if (hits === 0) return 0;
    return Math.min(1, 0.3 + 0.7 * (hits / lines.length));
  },
  open: openEnvoyDebug,
};
