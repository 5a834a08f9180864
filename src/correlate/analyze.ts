// `analyze`: events -> (estimate clock offsets, apply them) -> correlator -> incidents.
//
// Memory (DESIGN.md §1): nothing here grows with the input. Incidents are judged on corrected
// times, so when clocks must be estimated events are held first — but only up to a byte budget
// (LIMITS.MAX_BUFFERED_BYTES, and LIMITS.MAX_BUFFERED_EVENTS as a backstop):
//  - One input (or every input but one given --skew): there is no clock to estimate, so events
//    stream straight into the correlator. This is the common case and the big-file case.
//  - Several inputs that fit the budget: held, offsets estimated from every matched pair, applied,
//    correlated — exactly as before (every lab incident and e2e test is this path).
//  - Several inputs over the budget, all files (re-openable): the offsets are estimated from the
//    pairs in the first budget's worth of events, the held events are dropped, and every input is
//    read again with the offsets applied at its source, so the merge orders corrected times and the
//    correlator streams. We chose this over a full first pass collecting only compact pairs because
//    collectPairs needs the capture side's events indexed (not compact), the window already gives
//    up to LIMITS.MAX_SKEW_PAIRS pairs per pair of inputs in practice, and it keeps one estimator
//    for both paths (so verdicts cannot drift between small and large runs). The cost: inputs whose
//    pairs only appear after the first window are not estimated (the report says the basis).
//  - Over the budget with stdin among the inputs (cannot be read twice) and live pipes: stream
//    without estimation, and the report says so.
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
  /** Called every 1024 events or so, with the pipeline being read (a second pass has its own). */
  onProgress?: (pipe: Pipeline) => void;
  /** Tests: a smaller buffer limit (events). */
  maxBuffered?: number;
  /** Tests: a smaller buffer limit (approximate bytes, see approxEventBytes). */
  maxBufferedBytes?: number;
  /** Tests: the live tick period (ms). */
  tickMs?: number;
  /**
   * Open every input again with these offsets (µs per input name) applied at the source. Given by
   * callers whose inputs can be read twice; without it an over-budget run streams unestimated.
   */
  reopen?: (skews: Map<string, number>) => Promise<Pipeline>;
}

export interface AnalyzeResult {
  corr: Correlator;
  incidents: Incident[];
  skews: Map<string, SkewInfo>;
  /** Sentences for the report's assumptions. */
  assumptions: string[];
  /** The pipeline whose inputs' stats describe the run (the second one after a re-read). */
  pipe: Pipeline;
}

/**
 * Rough heap bytes of a held event: a fixed part for its ~30-40 fields (measured ~1.6 KB for an
 * NGINX error event with V8 on x64) plus its two long strings. Deterministic, so tests are too.
 */
export function approxEventBytes(e: Event): number {
  return EVENT_BASE_BYTES + 2 * ((typeof e.raw === 'string' ? e.raw.length : 0) + (typeof e.summary === 'string' ? e.summary.length : 0));
}
const EVENT_BASE_BYTES = 1024;

/**
 * NginxJoin pairs nginx error lines with access lines; with no access line in sight it would only
 * hold error lines. It starts when an input was sniffed as an access log, or at the first access
 * line of a mixed input (its earlier error lines then go unjoined: they are still correlated).
 */
class JoinWhenNeeded {
  private join: NginxJoin | null;
  constructor(pipe: Pipeline) {
    this.join = pipe.runs.some((r) => r.format?.name === 'nginx-access') ? new NginxJoin() : null;
  }
  add(ev: Event): void {
    if (this.join === null) {
      if (ev.kind !== 'nginx.access') return;
      this.join = new NginxJoin();
    }
    this.join.add(ev);
  }
}

export async function analyzeEvents(pipe: Pipeline, options: PipelineOptions, opts: AnalyzeOptions = {}): Promise<AnalyzeResult> {
  const corr = new Correlator({ onIncident: opts.onIncident });
  const skews = new Map<string, SkewInfo>();
  for (const [k, v] of options.skews ?? []) skews.set(k, { us: v, source: 'given' });
  const assumptions: string[] = [];
  const limit = opts.maxBuffered ?? LIMITS.MAX_BUFFERED_EVENTS;
  const byteLimit = opts.maxBufferedBytes ?? LIMITS.MAX_BUFFERED_BYTES;
  let n = 0;
  const progress = (p: Pipeline, k: number) => {
    const before = n;
    n += k;
    if ((before >> 10) !== (n >> 10)) opts.onProgress?.(p);
  };
  /** Every (remaining) event of `it` straight into the correlator. */
  const stream = async (p: Pipeline, it: AsyncIterator<Event[]>) => {
    const join = new JoinWhenNeeded(p);
    for (;;) {
      const r = await it.next();
      if (r.done) break;
      const batch = r.value;
      for (let i = 0; i < batch.length; i++) { join.add(batch[i]); corr.add(batch[i]); }
      progress(p, batch.length);
    }
  };

  if (opts.live) {
    // Live: every event goes straight in; a timer closes incidents that went quiet.
    const timer = setInterval(() => corr.tick(), opts.tickMs ?? 1000);
    try {
      await stream(pipe, pipe.batches[Symbol.asyncIterator]());
    } finally {
      clearInterval(timer);
    }
    assumptions.push('Live input: events were correlated as they arrived, without estimating clock offsets between inputs (use --skew if hosts disagree).');
    return { corr, incidents: corr.finish(), skews, assumptions, pipe };
  }

  const it = pipe.batches[Symbol.asyncIterator]();
  // Offsets are only estimated between inputs, for inputs not given one (estimateSkews).
  const estimating = pipe.runs.length >= 2 && pipe.runs.some((r) => !options.skews?.has(r.input.name));
  if (!estimating) {
    await stream(pipe, it);
    return { corr, incidents: corr.finish(), skews, assumptions, pipe };
  }

  const held: Event[] = [];
  let heldBytes = 0;
  let over = false;
  for (;;) {
    const r = await it.next();
    if (r.done) break;
    for (const e of r.value) { held.push(e); heldBytes += approxEventBytes(e); }
    progress(pipe, r.value.length);
    if (held.length > limit || heldBytes > byteLimit) { over = true; break; }
  }
  if (!over) {
    NginxJoin.joinAll(held);
    estimateAndApply(held, pipe, options, skews, assumptions);
    for (const e of held) corr.add(e);
    return { corr, incidents: corr.finish(), skews, assumptions, pipe };
  }

  const why = `more than ${held.length > limit ? `LIMITS.MAX_BUFFERED_EVENTS=${limit} events` : `LIMITS.MAX_BUFFERED_BYTES=${Math.round(byteLimit / 1048576)} MiB of events`}`;
  if (opts.reopen && pipe.runs.every((r) => r.input.name !== '-')) {
    // Estimate from the window, then read everything again with the offsets applied at the source.
    NginxJoin.joinAll(held);
    estimateAndApply(held, pipe, options, skews, assumptions, false);
    const window = held.length;
    held.length = 0;
    await it.return?.(undefined);
    const applied = new Map(options.skews ?? []);
    for (const [name, s] of skews) if (s.source === 'estimated' && s.us !== 0) applied.set(name, s.us);
    assumptions.push(`Inputs hold ${why}: clock offsets were estimated from the first ${window} events (in time order), then every input was read again with them applied.`);
    const second = await opts.reopen(applied);
    await stream(second, second.batches[Symbol.asyncIterator]());
    return { corr, incidents: corr.finish(), skews, assumptions, pipe: second };
  }
  // Cannot read twice: correlate what is held, in merge order, and stream the rest.
  assumptions.push(`${capitalize(why)}: clock offsets were not estimated; events were correlated as they came (use --skew if hosts disagree).`);
  const join = new JoinWhenNeeded(pipe);
  for (const e of held) { join.add(e); corr.add(e); }
  held.length = 0;
  await stream(pipe, it);
  return { corr, incidents: corr.finish(), skews, assumptions, pipe };
}

function capitalize(s: string): string {
  return s ? s[0].toUpperCase() + s.slice(1) : s;
}

/** Estimate each input's offset from matched pairs, shift its events, and re-sort by time (stable). */
export function estimateAndApply(held: Event[], pipe: Pick<Pipeline, 'runs'>, options: PipelineOptions, skews: Map<string, SkewInfo>, assumptions: string[], apply = true): void {
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
  if (!moved || !apply) return;
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
