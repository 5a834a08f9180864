// Clock offsets between inputs, estimated from matched pairs (DESIGN.md §4): the same moment seen
// by two inputs — an nginx `connect() failed (111)` line and the RST answering that SYN, an Envoy
// START_TIME and the flow from its UPSTREAM_LOCAL_ADDRESS, one request id on both sides, one TCP
// flow in two captures, an nginx error line and its access line.
//
// Each pair gives an *interval* for offset(A) − offset(B), not a point: a log with whole seconds
// only says its event happened somewhere in that second, and a log line is written a little after
// the packet it reports. The estimate is the point covered by the most intervals (the mode of the
// pairwise differences, with each difference widened by both resolutions), refined to the
// intersection of the intervals that agree there. Zero is kept whenever it fits: we only move a
// clock when the evidence says it must move.
import type { Event } from '../events.js';
import { LIMITS } from '../limits.js';
import { isCapture, resolutionUs } from './evidence.js';

export interface SkewPair {
  /** The input being placed, and the input it is placed against. */
  a: string;
  b: string;
  /** offset(a) − offset(b) lies in [lo, hi] (µs). */
  lo: number;
  hi: number;
  basis: string;
}

export interface SkewEstimate {
  source: string;
  /** The offset applied (µs, added to the input's times). */
  us: number;
  /** What the pairs allow: the offset lies in [lo, hi]. */
  lo: number;
  hi: number;
  pairs: number;
  agreeing: number;
  confidence: 'high' | 'medium' | 'low';
  basis: string;
  /** Against which input. */
  against: string;
  /** Whole quarter-hours on an input whose zone was assumed: a time-zone difference, not a clock. */
  zone_like: boolean;
  /** False when the estimate was beyond the limits (reported, not applied). */
  applied: boolean;
  note?: string;
}

const MS = 1000;
const S = 1_000_000;
const QUARTER_US = 15 * 60 * S;

/** Where a flow started (its event carries the end). */
export function flowStartUs(e: Event): number | null {
  if (e.ts_us === null) return null;
  return typeof e.duration_us === 'number' ? e.ts_us - e.duration_us : e.ts_us;
}

/**
 * A pair from two events whose true times satisfy  t(a) − t(b) ∈ [gLo, gHi]  (physics: "the log
 * line is written 0–200 ms after the packet"), each read with its own resolution.
 */
function pair(a: Event, aUs: number, b: Event, bUs: number, gLo: number, gHi: number, basis: string): SkewPair {
  const ra = Number.isFinite(resolutionUs(a)) ? resolutionUs(a) : S;
  const rb = Number.isFinite(resolutionUs(b)) ? resolutionUs(b) : S;
  // t(a) ∈ [aUs + offA, aUs + offA + ra], t(b) likewise: solve for offA − offB.
  return { a: a.source, b: b.source, lo: gLo - (aUs - bUs) - ra, hi: gHi - (aUs - bUs) + rb, basis };
}

/** Sorted by time, for nearest-neighbour lookups. */
class TimeIndex {
  private items: { us: number; ev: Event }[] = [];
  private sorted = true;
  add(us: number, ev: Event) {
    if (this.items.length && us < this.items[this.items.length - 1].us) this.sorted = false;
    this.items.push({ us, ev });
  }
  /** Up to `max` events within ±span of `us`, nearest first. */
  near(us: number, span: number, max: number): { us: number; ev: Event }[] {
    if (!this.sorted) { this.items.sort((x, y) => x.us - y.us); this.sorted = true; }
    const a = this.items;
    let lo = 0, hi = a.length;
    while (lo < hi) { const m = (lo + hi) >> 1; if (a[m].us < us) lo = m + 1; else hi = m; }
    const out: { us: number; ev: Event }[] = [];
    let i = lo - 1, j = lo;
    while (out.length < max && (i >= 0 || j < a.length)) {
      const di = i >= 0 ? us - a[i].us : Infinity;
      const dj = j < a.length ? a[j].us - us : Infinity;
      if (Math.min(di, dj) > span) break;
      if (di <= dj) out.push(a[i--]);
      else out.push(a[j++]);
    }
    return out;
  }
}

function getIndex(m: Map<string, TimeIndex>, k: string): TimeIndex {
  let x = m.get(k);
  if (!x) m.set(k, (x = new TimeIndex()));
  return x;
}

/** Every matched pair among the events (bounded: LIMITS.MAX_SKEW_PAIRS per pair of inputs). */
export function collectPairs(events: Event[], zoneAssumed: ReadonlySet<string>): SkewPair[] {
  const rstSyn = new Map<string, TimeIndex>();
  const flowsByTuple = new Map<string, TimeIndex>();
  const captureByReqId = new Map<string, Event[]>();
  const refs = new Map<string, Event>();
  for (const e of events) {
    if (e.ts_us === null) continue;
    if (isCapture(e)) {
      if (e.kind === 'tcp.rst' && e.phase === 'syn' && e.src) getIndex(rstSyn, e.src.toLowerCase()).add(e.ts_us, e);
      if (e.kind === 'tcp.flow' && typeof e.orig === 'string' && typeof e.resp === 'string') getIndex(flowsByTuple, `${e.orig}|${e.resp}`).add(flowStartUs(e)!, e);
      if (typeof e.request_id === 'string' && e.request_id) {
        const l = captureByReqId.get(e.request_id) ?? [];
        if (l.length < 8) l.push(e);
        captureByReqId.set(e.request_id, l);
      }
    } else if (e.kind === 'nginx.access' || e.kind === 'nginx.error') {
      if (e.line !== undefined) refs.set(`${e.source}:${e.line}`, e);
    }
  }
  const out: SkewPair[] = [];
  const perPair = new Map<string, number>();
  const push = (p: SkewPair) => {
    if (p.a === p.b) return;
    const k = `${p.a}\n${p.b}`;
    const n = perPair.get(k) ?? 0;
    if (n >= LIMITS.MAX_SKEW_PAIRS) return;
    perPair.set(k, n + 1);
    out.push(p);
  };
  const span = (src: string) => (zoneAssumed.has(src) ? LIMITS.MAX_ZONE_SKEW_US : LIMITS.MAX_CLOCK_SKEW_US);

  for (const e of events) {
    if (e.ts_us === null || isCapture(e)) continue;
    // nginx `connect() failed (111: Connection refused)` ↔ the RST answering that SYN.
    if (e.kind === 'nginx.error' && e.errno === 111 && typeof e.upstream === 'string') {
      const idx = rstSyn.get(e.upstream.toLowerCase());
      for (const c of idx?.near(e.ts_us, span(e.source), 16) ?? []) {
        push(pair(e, e.ts_us, c.ev, c.us, 0, 200 * MS, 'nginx connect() failed (111) ↔ RST in reply to SYN'));
      }
    }
    // Envoy START_TIME(+DURATION) ↔ the flow named by UPSTREAM_LOCAL_ADDRESS.
    if (e.kind === 'envoy.access' && typeof e.upstream_local_address === 'string' && typeof e.upstream === 'string') {
      const idx = flowsByTuple.get(`${e.upstream_local_address}|${e.upstream}`);
      const dur = typeof e.duration_ms === 'number' ? e.duration_ms * MS : S;
      for (const c of idx?.near(e.ts_us, span(e.source), 4) ?? []) {
        push(pair(e, e.ts_us, c.ev, c.us, -dur - 50 * MS, 50 * MS, 'Envoy START_TIME ↔ flow from UPSTREAM_LOCAL_ADDRESS'));
      }
    }
    // One request id on both sides.
    if (typeof e.request_id === 'string' && e.request_id && captureByReqId.has(e.request_id)) {
      for (const c of captureByReqId.get(e.request_id)!) {
        if (e.kind === 'envoy.access') {
          const dur = typeof e.duration_ms === 'number' ? e.duration_ms * MS : 60 * S;
          push(pair(e, e.ts_us, c, c.ts_us!, -dur - 50 * MS, 50 * MS, 'request id (Envoy START_TIME ↔ captured request)'));
        } else if (e.kind === 'nginx.access') {
          // $time_local is written when the request ends: after the response passed the wire.
          const rt = typeof e.request_time === 'number' ? e.request_time * S : 60 * S;
          push(pair(e, e.ts_us, c, c.ts_us!, -50 * MS, rt + S, 'request id (nginx access line ↔ captured request)'));
        } else {
          push(pair(e, e.ts_us, c, c.ts_us!, -60 * S, 60 * S, 'request id'));
        }
      }
    }
    // An nginx error line and the access line it was joined with (src/nginx/join.ts): same host,
    // but the error log has no zone, so this is where a zone difference shows.
    if (e.kind === 'nginx.error' && Array.isArray(e.joined_with)) {
      const acc = refs.get(String(e.joined_with[0]));
      if (acc && acc.ts_us !== null && acc.source !== e.source) {
        const rt = typeof acc.request_time === 'number' ? acc.request_time * S : 60 * S;
        push(pair(e, e.ts_us, acc, acc.ts_us, -rt - S, 0, 'nginx error line ↔ its access line'));
      }
    }
  }
  // One TCP flow seen by two captures: same 5-tuple, starts within propagation of each other.
  for (const [, idx] of flowsByTuple) {
    const all = idx.near(0, Infinity, Infinity);
    if (all.length < 2) continue;
    const bySource = new Map<string, { us: number; ev: Event }[]>();
    for (const x of all) bySource.set(x.ev.source, [...(bySource.get(x.ev.source) ?? []), x]);
    if (bySource.size < 2) continue;
    const srcs = [...bySource.keys()];
    for (let i = 0; i < srcs.length; i++) {
      for (let j = i + 1; j < srcs.length; j++) {
        for (const x of bySource.get(srcs[i])!) {
          const ys = bySource.get(srcs[j])!;
          let best = ys[0];
          for (const y of ys) if (Math.abs(y.us - x.us) < Math.abs(best.us - x.us)) best = y;
          if (Math.abs(best.us - x.us) > LIMITS.MAX_CLOCK_SKEW_US) continue;
          push(pair(x.ev, x.us, best.ev, best.us, -10 * MS, 10 * MS, 'the same TCP flow in two captures'));
        }
      }
    }
  }
  return out;
}

/** The point covered by the most intervals; among ties the region nearest zero. */
export function modeInterval(iv: { lo: number; hi: number }[]): { lo: number; hi: number; depth: number } | null {
  if (!iv.length) return null;
  const pts: [number, number][] = [];
  for (const x of iv) { pts.push([x.lo, 1]); pts.push([x.hi, -1]); }
  // Opening before closing at the same point: touching intervals agree.
  pts.sort((p, q) => p[0] - q[0] || q[1] - p[1]);
  let depth = 0, best = 0;
  const regions: { lo: number; hi: number }[] = [];
  for (let i = 0; i < pts.length; i++) {
    depth += pts[i][1];
    if (pts[i][1] === 1 && depth >= best) {
      const next = pts[i + 1]?.[0] ?? pts[i][0];
      if (depth > best) { best = depth; regions.length = 0; }
      regions.push({ lo: pts[i][0], hi: next });
    }
  }
  let pick = regions[0];
  const dist = (r: { lo: number; hi: number }) => (r.lo <= 0 && r.hi >= 0 ? 0 : Math.min(Math.abs(r.lo), Math.abs(r.hi)));
  for (const r of regions) if (dist(r) < dist(pick)) pick = r;
  return { ...pick, depth: best };
}

export interface EstimateInput {
  /** Inputs in command-line order, with whether each is a capture and whether its zone was assumed. */
  sources: { name: string; capture: boolean; zoneAssumed: boolean; given: boolean }[];
  pairs: SkewPair[];
}

/**
 * Place every input on the reference clock (the first capture; else the first input whose
 * times carry a zone; else the first input), one input at a time, most-paired first, each
 * against the inputs already placed.
 */
export function estimateSkews(inp: EstimateInput): Map<string, SkewEstimate> {
  const out = new Map<string, SkewEstimate>();
  if (!inp.sources.length) return out;
  const ref = inp.sources.find((s) => s.capture) ?? inp.sources.find((s) => !s.zoneAssumed) ?? inp.sources[0];
  const placed = new Map<string, number>([[ref.name, 0]]);
  for (const s of inp.sources) if (s.given) placed.set(s.name, 0);
  for (;;) {
    let bestName: string | null = null;
    let bestIv: { lo: number; hi: number; basis: string; against: string }[] = [];
    for (const s of inp.sources) {
      if (placed.has(s.name)) continue;
      const iv: { lo: number; hi: number; basis: string; against: string }[] = [];
      for (const p of inp.pairs) {
        if (p.a === s.name && placed.has(p.b)) iv.push({ lo: p.lo + placed.get(p.b)!, hi: p.hi + placed.get(p.b)!, basis: p.basis, against: p.b });
        else if (p.b === s.name && placed.has(p.a)) iv.push({ lo: -p.hi + placed.get(p.a)!, hi: -p.lo + placed.get(p.a)!, basis: p.basis, against: p.a });
      }
      if (iv.length > bestIv.length) { bestName = s.name; bestIv = iv; }
    }
    if (bestName === null) {
      // Inputs paired only among themselves (an nginx error log and its access log, no capture
      // pairs): anchor that group on its member whose times carry a zone, and go on.
      const anchor = inp.sources.find((s) => !placed.has(s.name) && !s.zoneAssumed
        && inp.pairs.some((p) => (p.a === s.name && !placed.has(p.b)) || (p.b === s.name && !placed.has(p.a))));
      if (!anchor) break;
      placed.set(anchor.name, 0);
      continue;
    }
    const src = inp.sources.find((s) => s.name === bestName)!;
    const m = modeInterval(bestIv)!;
    const agreeing = bestIv.filter((x) => x.lo <= m.hi && x.hi >= m.lo);
    // Refine: the intersection of the agreeing intervals (never wider than the mode region).
    const lo = Math.max(m.lo, ...agreeing.map((x) => x.lo));
    const hi = Math.max(lo, Math.min(m.hi, ...agreeing.map((x) => x.hi)));
    let us: number;
    let zoneLike = false;
    const quarter = Math.round(((lo + hi) / 2) / QUARTER_US) * QUARTER_US;
    if (lo <= 0 && hi >= 0) us = 0;
    else if (src.zoneAssumed && quarter !== 0 && quarter >= lo - S && quarter <= hi + S) { us = quarter; zoneLike = true; }
    else us = Math.round((lo + hi) / 2);
    const limit = zoneLike ? LIMITS.MAX_ZONE_SKEW_US : LIMITS.MAX_CLOCK_SKEW_US;
    const applied = Math.abs(us) <= limit;
    const share = agreeing.length / bestIv.length;
    const confidence = agreeing.length >= 3 && share >= 0.6 ? 'high' : agreeing.length >= 2 && share >= 0.5 ? 'medium' : 'low';
    const bases = [...new Set(agreeing.map((x) => x.basis))].join('; ');
    const against = agreeing[0]?.against ?? ref.name;
    out.set(bestName, {
      source: bestName, us: applied ? us : 0, lo, hi, pairs: bestIv.length, agreeing: agreeing.length, confidence,
      basis: `${agreeing.length} of ${bestIv.length} matched pair(s) against ${against} (${bases}); the offset lies in [${fmtS(lo)}, ${fmtS(hi)}] s`,
      against, zone_like: zoneLike, applied,
      ...(applied ? {} : { note: `estimated ${fmtS(us)} s, beyond LIMITS.MAX_CLOCK_SKEW_US: not applied` }),
    });
    placed.set(bestName, applied ? us : 0);
  }
  return out;
}

export function fmtS(us: number): string {
  const s = us / 1e6;
  return (s >= 0 ? '+' : '') + s.toFixed(Math.abs(us) % 1000 === 0 ? 3 : 6);
}
