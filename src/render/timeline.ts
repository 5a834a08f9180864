// The data behind the HTML timeline picture: lanes (a source or a hop), event counts in time
// buckets, and the few events worth a mark of their own (failures, the first reset).
// Three parts: a bounded collector the correlator can feed event by event, a fallback that
// derives a timeline from the incidents when the report has none, and `layoutTimeline`, which
// re-aggregates anything (even 100 000 marks) into a fixed budget of drawable things.
import type { Report, Timeline, TimelineBucket, TimelineMark } from '../report.js';
import { eventRef, type Cause } from '../events.js';
import { isoToUs } from './common.js';

/** Buckets kept per lane by the collector; the bucket width doubles to stay within it. */
export const COLLECTOR_MAX_BUCKETS = 256;
/** Marks kept by the collector (failures first, then the rest); the report stays small. */
export const COLLECTOR_MAX_MARKS = 2000;

/** Drawing budget: lanes (the rest merge into one "other" lane), bar columns per lane, marks per lane. */
export const DRAW_MAX_LANES = 12;
export const DRAW_MAX_COLUMNS = 160;
export const DRAW_MAX_MARKS_PER_LANE = 60;

export interface TimelineCollector {
  /** Count one event (any kind) in `lane` at `ts_us`. */
  add(lane: string, ts_us: number, failure: boolean): void;
  /** Keep an event as a mark of its own (call for failures and for the first reset). */
  mark(m: TimelineMark): void;
  finish(): Timeline;
}

/**
 * Memory is O(lanes × COLLECTOR_MAX_BUCKETS + COLLECTOR_MAX_MARKS) whatever the input size:
 * when the time range outgrows the buckets, the width doubles and neighbours merge.
 */
export function createTimelineCollector(maxBuckets = COLLECTOR_MAX_BUCKETS, maxMarks = COLLECTOR_MAX_MARKS): TimelineCollector {
  let width = 1000; // 1 ms to start: sub-millisecond resets are still told apart on short captures
  let minUs = Infinity;
  let maxUs = -Infinity;
  const lanes = new Map<string, Map<number, { count: number; failures: number }>>();
  const marks: TimelineMark[] = [];
  let marksSorted = true;

  const widen = () => {
    while ((Math.floor(maxUs / width) - Math.floor(minUs / width) + 1) > maxBuckets) {
      width *= 2;
      for (const [name, m] of lanes) {
        const merged = new Map<number, { count: number; failures: number }>();
        for (const [k, b] of m) {
          const nk = Math.floor(k / 2);
          const t = merged.get(nk);
          if (t) {
            t.count += b.count;
            t.failures += b.failures;
          } else merged.set(nk, { count: b.count, failures: b.failures });
        }
        lanes.set(name, merged);
      }
    }
  };

  return {
    add(lane, ts_us, failure) {
      if (!Number.isFinite(ts_us)) return;
      if (ts_us < minUs || ts_us > maxUs) {
        minUs = Math.min(minUs, ts_us);
        maxUs = Math.max(maxUs, ts_us);
        widen();
      }
      // Look the lane up after widen(): widening replaces the lanes' maps.
      let m = lanes.get(lane);
      if (!m) lanes.set(lane, (m = new Map()));
      const k = Math.floor(ts_us / width);
      const b = m.get(k);
      if (b) {
        b.count++;
        if (failure) b.failures++;
      } else m.set(k, { count: 1, failures: failure ? 1 : 0 });
    },
    mark(mk) {
      if (marks.length < maxMarks) {
        marks.push(mk);
        marksSorted = false;
        return;
      }
      // Full: a failure or the first reset replaces a non-failure mark; otherwise it is dropped
      // (it is still counted in its bucket).
      if (mk.first || mk.cause !== null) {
        const i = marks.findIndex((x) => !x.first && x.cause === null);
        if (i >= 0) marks[i] = mk;
        else if (mk.first) marks[marks.length - 1] = mk;
      }
    },
    finish() {
      if (!marksSorted) marks.sort((a, b) => a.time_us - b.time_us);
      marksSorted = true;
      return {
        lanes: [...lanes].map(([name, m]) => ({
          name,
          buckets: [...m]
            .sort((a, b) => a[0] - b[0])
            .map(([k, b]) => ({ start_us: k * width, end_us: (k + 1) * width, count: b.count, failures: b.failures })),
        })),
        marks: marks.slice(),
      };
    },
  };
}

/** Same identity test everywhere: is this evidence the verdict's first? */
function isVerdictFirst(report: Report, e: { source: string; line?: number; frame?: number; time: string | null; kind: string }): boolean {
  const f = report.verdict?.first;
  return !!f && f.source === e.source && f.line === e.line && f.frame === e.frame && f.time === e.time && f.kind === e.kind;
}

/**
 * No timeline in the report: draw what the incidents cite. Lanes are the inputs (in command-line
 * order), then any other source named by evidence; each evidence row with a time is a mark.
 * No buckets: without the events we cannot count them, and we do not pretend to.
 */
export function deriveTimeline(report: Report): Timeline {
  const names: string[] = [];
  const add = (n: string) => {
    if (!names.includes(n)) names.push(n);
  };
  for (const i of report.inputs) add(i.name);
  const marks: TimelineMark[] = [];
  const seen = new Set<string>();
  let sawFirst = false;
  for (const inc of report.incidents) {
    for (const e of inc.evidence) {
      const us = isoToUs(e.time);
      if (us === null) continue;
      const key = `${eventRef(e)}|${e.kind}|${us}`;
      if (seen.has(key)) continue;
      seen.add(key);
      add(e.source);
      const first = !sawFirst && isVerdictFirst(report, e);
      if (first) sawFirst = true;
      marks.push({ lane: e.source, time_us: us, kind: e.kind, cause: e.cause, ...(first ? { first: true } : {}), label: e.summary, ref: eventRef(e) });
    }
  }
  const f = report.verdict?.first;
  const fus = isoToUs(f?.time);
  if (f && !sawFirst && fus !== null) {
    add(f.source);
    marks.push({ lane: f.source, time_us: fus, kind: f.kind, cause: report.verdict?.cause ?? null, first: true, label: f.summary, ref: eventRef(f) });
  }
  marks.sort((a, b) => a.time_us - b.time_us);
  return { lanes: names.map((name) => ({ name, buckets: [] })), marks };
}

// ---- layout: anything in, a bounded picture out ----

export interface LaidMark {
  x: number;
  time_us: number;
  kind: string;
  cause: Cause | null;
  first: boolean;
  /** How many marks this one stands for (1 unless aggregated). */
  n: number;
  label: string;
  ref?: string;
}

export interface LaidLane {
  name: string;
  /** Bar columns: x, width, counts. */
  columns: { x: number; w: number; count: number; failures: number }[];
  marks: LaidMark[];
  total: number;
  failures: number;
  /** Marks that fell outside the drawn range or were merged into an aggregate. */
  merged: number;
}

export interface TimelineLayout {
  t0: number;
  t1: number;
  x0: number;
  x1: number;
  lanes: LaidLane[];
  maxColumnCount: number;
  marksIn: number;
}

/**
 * Fit a timeline into `x0..x1` pixels: buckets re-binned into at most DRAW_MAX_COLUMNS columns,
 * marks binned per pixel column when a lane has more than DRAW_MAX_MARKS_PER_LANE (the first
 * reset always stays its own mark), lanes beyond DRAW_MAX_LANES merged into one.
 */
export function layoutTimeline(tl: Timeline, x0: number, x1: number, extraTimes: number[] = []): TimelineLayout {
  // Lanes in order; marks on unknown lanes get a lane; overflow lanes merge into "other".
  const order: string[] = tl.lanes.map((l) => l.name);
  for (const m of tl.marks) if (!order.includes(m.lane)) order.push(m.lane);
  const keep = order.length > DRAW_MAX_LANES ? order.slice(0, DRAW_MAX_LANES - 1) : order;
  const otherName = order.length > DRAW_MAX_LANES ? `(${order.length - keep.length} other sources)` : '';
  const laneOf = (n: string) => (keep.includes(n) ? n : otherName);
  const names = otherName ? [...keep, otherName] : keep;

  let t0 = Infinity;
  let t1 = -Infinity;
  for (const l of tl.lanes)
    for (const b of l.buckets) {
      if (b.start_us < t0) t0 = b.start_us;
      if (b.end_us > t1) t1 = b.end_us;
    }
  for (const m of tl.marks) {
    if (m.time_us < t0) t0 = m.time_us;
    if (m.time_us > t1) t1 = m.time_us;
  }
  for (const t of extraTimes) {
    if (t < t0) t0 = t;
    if (t > t1) t1 = t;
  }
  if (!Number.isFinite(t0)) {
    t0 = 0;
    t1 = 1_000_000;
  }
  if (t1 - t0 < 1000) {
    t0 -= 500;
    t1 += 500;
  }
  // A little air on both sides so marks at the ends are not cut by the frame.
  const padUs = (t1 - t0) * 0.03;
  t0 -= padUs;
  t1 += padUs;
  const scale = (x1 - x0) / (t1 - t0);
  const xOf = (us: number) => x0 + (us - t0) * scale;

  const colW = (x1 - x0) / DRAW_MAX_COLUMNS;
  const lanes = new Map<string, LaidLane>();
  const colsByLane = new Map<string, Map<number, { count: number; failures: number }>>();
  for (const n of names) {
    lanes.set(n, { name: n, columns: [], marks: [], total: 0, failures: 0, merged: 0 });
    colsByLane.set(n, new Map());
  }
  for (const l of tl.lanes) {
    const ln = laneOf(l.name);
    const cols = colsByLane.get(ln)!;
    const laid = lanes.get(ln)!;
    for (const b of l.buckets as TimelineBucket[]) {
      const mid = (b.start_us + b.end_us) / 2;
      const c = Math.max(0, Math.min(DRAW_MAX_COLUMNS - 1, Math.floor((xOf(mid) - x0) / colW)));
      const t = cols.get(c);
      if (t) {
        t.count += b.count;
        t.failures += b.failures;
      } else cols.set(c, { count: b.count, failures: b.failures });
      laid.total += b.count;
      laid.failures += b.failures;
    }
  }
  let maxColumnCount = 0;
  for (const [n, cols] of colsByLane) {
    const laid = lanes.get(n)!;
    laid.columns = [...cols]
      .sort((a, b) => a[0] - b[0])
      .map(([c, v]) => {
        if (v.count > maxColumnCount) maxColumnCount = v.count;
        return { x: x0 + c * colW, w: colW, count: v.count, failures: v.failures };
      });
  }

  const marksByLane = new Map<string, TimelineMark[]>();
  for (const m of tl.marks) {
    const ln = laneOf(m.lane);
    let arr = marksByLane.get(ln);
    if (!arr) marksByLane.set(ln, (arr = []));
    arr.push(m);
  }
  for (const [n, arr] of marksByLane) {
    const laid = lanes.get(n)!;
    const single = (m: TimelineMark): LaidMark => ({ x: xOf(m.time_us), time_us: m.time_us, kind: m.kind, cause: m.cause, first: !!m.first, n: 1, label: m.label, ...(m.ref ? { ref: m.ref } : {}) });
    if (arr.length <= DRAW_MAX_MARKS_PER_LANE) {
      laid.marks = arr.map(single).sort((a, b) => a.x - b.x);
      continue;
    }
    // Too many to draw one by one: one aggregate mark per bin, placed at its earliest member.
    const binW = (x1 - x0) / DRAW_MAX_MARKS_PER_LANE;
    const bins = new Map<number, { first: TimelineMark; n: number; failures: number; kinds: Map<string, number> }>();
    const out: LaidMark[] = [];
    for (const m of arr) {
      if (m.first) {
        out.push(single(m));
        continue;
      }
      const k = Math.max(0, Math.min(DRAW_MAX_MARKS_PER_LANE - 1, Math.floor((xOf(m.time_us) - x0) / binW)));
      const b = bins.get(k);
      if (!b) bins.set(k, { first: m, n: 1, failures: m.cause !== null ? 1 : 0, kinds: new Map([[m.kind, 1]]) });
      else {
        b.n++;
        if (m.cause !== null) b.failures++;
        b.kinds.set(m.kind, (b.kinds.get(m.kind) ?? 0) + 1);
        if (m.time_us < b.first.time_us) b.first = m;
      }
    }
    for (const b of bins.values()) {
      if (b.n === 1) {
        out.push(single(b.first));
        continue;
      }
      const kinds = [...b.kinds].sort((a, c) => c[1] - a[1]).slice(0, 3).map(([k, c]) => `${k} ×${c}`).join(', ');
      out.push({
        x: xOf(b.first.time_us),
        time_us: b.first.time_us,
        kind: b.first.kind,
        cause: b.failures > 0 ? (b.first.cause ?? 'unknown') : null,
        first: false,
        n: b.n,
        label: `${b.n} events (${b.failures} failures): ${kinds}`,
      });
      laid.merged += b.n - 1;
    }
    laid.marks = out.sort((a, b) => a.x - b.x);
  }
  return { t0, t1, x0, x1, lanes: [...lanes.values()], maxColumnCount, marksIn: tl.marks.length };
}
