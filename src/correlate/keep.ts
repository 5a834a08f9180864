// The incidents a report lists, bounded (LIMITS.MAX_REPORT_INCIDENTS): a capture with a failure per
// flow makes an incident per flow, and holding (and printing) every one of them grows with the input.
//
// Kept: the `max` incidents with the most failures (ties: earliest, then first closed), plus pinned
// ones that must not depend on the cap: the verdict (buildReport's choice: earliest start, then the
// higher confidence, then the first closed) and the earliest incident of each cause (so `--fail-on`
// and anything else that asks "was there an incident of cause X" answer as without the cap).
// Everything else is counted (per cause) and the report says so. Memory: at most 1.125 × max + causes.
// With `max` or fewer incidents, every one is kept: the list is exactly the uncapped one.
import type { Incident } from '../report.js';

interface Held { inc: Incident; seq: number }

const startKey = (i: Incident) => i.start_us ?? Infinity;

export class IncidentKeeper {
  private top: Held[] = [];
  private verdict: Held | null = null;
  private firstOfCause = new Map<string, Held>();
  private seq = 0;
  total = 0;
  readonly totalByCause = new Map<string, number>();

  constructor(private readonly max: number) {}

  add(inc: Incident): void {
    const h: Held = { inc, seq: this.seq++ };
    this.total++;
    this.totalByCause.set(inc.cause, (this.totalByCause.get(inc.cause) ?? 0) + 1);
    const v = this.verdict;
    if (!v || startKey(inc) < startKey(v.inc) || (startKey(inc) === startKey(v.inc) && inc.confidence_score > v.inc.confidence_score)) this.verdict = h;
    const f = this.firstOfCause.get(inc.cause);
    if (!f || startKey(inc) < startKey(f.inc)) this.firstOfCause.set(inc.cause, h);
    this.top.push(h);
    // Trimmed every max/8 incidents, not at 2 × max: an incident holds up to 50 evidence entries
    // with their strings, and the kept list is part of what a long run keeps live. trim() keeps the
    // first `max` of one total order, so how often it runs does not change the result.
    if (this.top.length >= this.max + Math.max(1, this.max >> 3)) this.trim();
  }

  private trim() {
    if (this.top.length <= this.max) return;
    this.top.sort((a, b) => b.inc.count - a.inc.count || startKey(a.inc) - startKey(b.inc) || a.seq - b.seq);
    this.top.length = this.max;
  }

  /** The kept incidents in the order they closed. */
  list(): Incident[] {
    this.trim();
    const bySeq = new Map<number, Incident>();
    for (const h of this.top) bySeq.set(h.seq, h.inc);
    if (this.verdict) bySeq.set(this.verdict.seq, this.verdict.inc);
    for (const h of this.firstOfCause.values()) bySeq.set(h.seq, h.inc);
    return [...bySeq.entries()].sort((a, b) => a[0] - b[0]).map((e) => e[1]);
  }

  /** A sentence for the report's assumptions when incidents were left out, else null. */
  note(kept: Incident[]): string | null {
    const omitted = this.total - kept.length;
    if (omitted <= 0) return null;
    const left = new Map(this.totalByCause);
    for (const i of kept) left.set(i.cause, (left.get(i.cause) ?? 0) - 1);
    const parts = [...left].filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([c, n]) => `${c} ${n}`);
    return `${this.total} incidents were found; the report lists ${kept.length} (the ${this.max} with the most failures, the verdict and the earliest of each cause) and leaves out ${omitted} (${parts.join(', ')}): their failures are still counted in by_cause and by_upstream (LIMITS.MAX_REPORT_INCIDENTS).`;
  }
}
