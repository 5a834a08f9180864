// `analyze`: events -> (buffer, estimate clock offsets, apply them) -> correlator -> incidents.
// Incidents are judged on corrected times, so events are held first — up to
// LIMITS.MAX_BUFFERED_EVENTS; beyond it, and for live pipes (where holding would delay every
// incident until the pipe closes), they stream straight through without estimation, and the
// report says so.
import type { Event } from '../events.js';
import { LIMITS } from '../limits.js';
import type { Incident } from '../report.js';
import { applySkew, type Pipeline, type PipelineOptions } from '../pipeline.js';
import { NginxJoin } from '../nginx/join.js';
import { Correlator } from './correlator.js';
import type { SkewInfo } from './report.js';
import { collectPairs, estimateSkews, fmtS } from './skew.js';
import { zoneName } from '../time.js';

export interface AnalyzeOptions {
  /** The input is a pipe that stays open: stream, and close incidents on the wall clock too. */
  live?: boolean;
  onIncident?: (inc: Incident) => void;
  /** Called every 1024 events. */
  onProgress?: () => void;
  /** Tests: a smaller buffer limit. */
  maxBuffered?: number;
  /** Tests: the live tick period (ms). */
  tickMs?: number;
}

export interface AnalyzeResult {
  corr: Correlator;
  incidents: Incident[];
  skews: Map<string, SkewInfo>;
  /** Sentences for the report's assumptions. */
  assumptions: string[];
}

export async function analyzeEvents(pipe: Pipeline, options: PipelineOptions, opts: AnalyzeOptions = {}): Promise<AnalyzeResult> {
  const corr = new Correlator({ onIncident: opts.onIncident });
  const skews = new Map<string, SkewInfo>();
  for (const [k, v] of options.skews ?? []) skews.set(k, { us: v, source: 'given' });
  const assumptions: string[] = [];
  const limit = opts.maxBuffered ?? LIMITS.MAX_BUFFERED_EVENTS;
  let n = 0;
  const progress = () => { if ((++n & 0x3ff) === 0) opts.onProgress?.(); };

  if (opts.live) {
    // Live: every event goes straight in; a timer closes incidents that went quiet.
    const join = new NginxJoin();
    const timer = setInterval(() => corr.tick(), opts.tickMs ?? 1000);
    try {
      for await (const ev of pipe.events) {
        join.add(ev);
        corr.add(ev);
        progress();
      }
    } finally {
      clearInterval(timer);
    }
    assumptions.push('Live input: events were correlated as they arrived, without estimating clock offsets between inputs (use --skew if hosts disagree).');
    return { corr, incidents: corr.finish(), skews, assumptions };
  }

  const held: Event[] = [];
  const it = pipe.events[Symbol.asyncIterator]();
  let overflow = false;
  for (;;) {
    const r = await it.next();
    if (r.done) break;
    progress();
    if (held.length < limit) { held.push(r.value); continue; }
    // Over the limit: correlate what is held, in merge order, and stream the rest.
    overflow = true;
    assumptions.push(`More than LIMITS.MAX_BUFFERED_EVENTS=${limit} events: clock offsets were not estimated; events were correlated as they came (use --skew if hosts disagree).`);
    const join = new NginxJoin();
    for (const e of held) { join.add(e); corr.add(e); }
    held.length = 0;
    join.add(r.value);
    corr.add(r.value);
    for (;;) {
      const x = await it.next();
      if (x.done) break;
      progress();
      join.add(x.value);
      corr.add(x.value);
    }
    break;
  }
  if (!overflow) {
    NginxJoin.joinAll(held);
    estimateAndApply(held, pipe, options, skews, assumptions);
    for (const e of held) corr.add(e);
  }
  return { corr, incidents: corr.finish(), skews, assumptions };
}

/** Estimate each input's offset from matched pairs, shift its events, and re-sort by time (stable). */
export function estimateAndApply(held: Event[], pipe: Pick<Pipeline, 'runs'>, options: PipelineOptions, skews: Map<string, SkewInfo>, assumptions: string[]): void {
  const captureSources = new Set<string>();
  for (const e of held) if (e.frame !== undefined) captureSources.add(e.source);
  const zoneAssumed = new Set(pipe.runs.filter((r) => r.stats.tz !== undefined && !options.tzGiven).map((r) => r.input.name));
  const sources = pipe.runs.map((r) => ({
    name: r.input.name,
    capture: captureSources.has(r.input.name) || r.format?.kind === 'binary',
    zoneAssumed: zoneAssumed.has(r.input.name),
    given: options.skews?.has(r.input.name) ?? false,
  }));
  const pairs = collectPairs(held, zoneAssumed);
  const est = estimateSkews({ sources, pairs });
  let moved = false;
  for (const [name, e] of est) {
    const basis = e.basis;
    if (!e.applied) {
      assumptions.push(`Clock of ${name}: ${e.note} (${basis}).`);
      continue;
    }
    skews.set(name, { us: e.us, source: 'estimated', confidence: e.confidence, basis, zone_like: e.zone_like, lo_us: e.lo, hi_us: e.hi });
    if (e.us === 0) assumptions.push(`Clock of ${name} agrees with ${e.against} (${basis}): not shifted.`);
    else {
      moved = true;
      const zone = e.zone_like
        ? ` This looks like a time-zone difference: pass --tz ${zoneHint(e.us)} (its times carry no zone and ${zoneNameOf(options)} was assumed).`
        : '';
      assumptions.push(`Clock of ${name} estimated ${fmtS(e.us)} s off (${e.confidence} confidence; ${basis}) and shifted by it.${zone}`);
    }
  }
  if (!moved) return;
  for (const e of held) {
    const s = skews.get(e.source);
    if (s && s.source === 'estimated' && s.us !== 0) applySkew(e, s.us);
  }
  // Stable re-sort; an event without a time keeps the place of the event before it.
  let last = -Infinity;
  const keyed = held.map((e, i) => {
    if (e.ts_us !== null) last = e.ts_us;
    return { e, k: e.ts_us ?? last, i };
  });
  keyed.sort((a, b) => a.k - b.k || a.i - b.i);
  for (let i = 0; i < keyed.length; i++) held[i] = keyed[i].e;
}

/** The zone an input was in, from the offset that puts it on UTC: logging 5 h behind UTC is -05:00. */
function zoneHint(us: number): string {
  const min = Math.round(-us / 60_000_000);
  const sign = min < 0 ? '-' : '+';
  const a = Math.abs(min);
  return `${sign}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}

function zoneNameOf(options: PipelineOptions): string {
  return zoneName(options.tz);
}
