// Join one failed request's error line(s) with its access line (nginx.md §5.3, DESIGN.md §4):
// same client and request line, same upstream and request id / connection when both carry them, and
// the error's second inside the request's [end - $request_time, end]. The error line is written at the
// failure, the access line at the end (after retries), so one access line may take several error lines.
// Events are mutated in place: `request_key` and `joined_with` on both, the access line's weak
// status-derived cause replaced by the error line's (stronger evidence), the error line given the
// access line's `status` and `request_id`. Works as a stream (add) with bounded memory, or on an array.
import { eventRef, type Event } from '../events.js';

export interface JoinOptions {
  /** Error lines have whole seconds and access lines too: tolerance on both ends. */
  slackUs?: number;
  /** When an access line has no $request_time: how far back its error lines may be (3 tries × 60 s default timeouts). */
  defaultWindowUs?: number;
  /** Events held for matching; the oldest are dropped beyond this. */
  maxHeld?: number;
}

export interface JoinStats {
  joinedAccess: number;
  joinedErrors: number;
  /** Error-log offsets (minutes) that made pairs line up when the error log's zone was assumed. */
  zoneShiftsMinutes: Record<string, number>;
}

const QUARTER_US = 15 * 60_000_000;
const MAX_SHIFT_US = 14 * 3600 * 1_000_000;

const keyOf = (ev: Event): string | undefined => {
  const client = ev.client;
  const request = ev.request;
  return typeof client === 'string' && typeof request === 'string' ? client + '\n' + request : undefined;
};

export class NginxJoin {
  readonly stats: JoinStats = { joinedAccess: 0, joinedErrors: 0, zoneShiftsMinutes: {} };
  private readonly slack: number;
  private readonly window: number;
  private readonly maxHeld: number;
  private errors = new Map<string, Event[]>();
  private accesses = new Map<string, Event[]>();
  private held = 0;
  /** Next eviction point: doubles when eviction could not shrink below it (no O(n) per add). */
  private limit: number;

  constructor(opts: JoinOptions = {}) {
    this.slack = opts.slackUs ?? 1_000_000;
    this.window = opts.defaultWindowUs ?? 180_000_000;
    this.maxHeld = opts.maxHeld ?? 100_000;
    this.limit = this.maxHeld;
  }

  /** Offer one event (any kind; non-nginx events are ignored). Matching may mutate earlier events. */
  add(ev: Event): void {
    if (ev.kind === 'nginx.error') {
      if (ev.cause === null || ev.ts_us === null) return;
      const key = keyOf(ev);
      if (!key) return;
      // An access line may already be here (two files merged: same second, either order).
      const acc = this.accesses.get(key);
      if (acc) {
        for (let i = acc.length - 1; i >= 0; i--) {
          if (this.fits(ev, acc[i]) !== undefined) {
            this.link(acc[i], ev, this.fits(ev, acc[i])!);
            return;
          }
        }
      }
      this.hold(this.errors, key, ev);
    } else if (ev.kind === 'nginx.access') {
      if (ev.ts_us === null) return;
      const key = keyOf(ev);
      if (!key) return;
      const errs = this.errors.get(key);
      if (errs) {
        const rest: Event[] = [];
        for (const e of errs) {
          const shift = this.fits(e, ev);
          if (shift !== undefined) this.link(ev, e, shift);
          else rest.push(e);
        }
        this.held -= errs.length - rest.length;
        if (rest.length) this.errors.set(key, rest);
        else this.errors.delete(key);
      }
      this.hold(this.accesses, key, ev);
    }
  }

  /** Join a whole array (any order); returns the same array. */
  static joinAll(events: Event[], opts?: JoinOptions): { events: Event[]; stats: JoinStats } {
    const j = new NginxJoin(opts);
    const sorted = events
      .filter((e) => e.kind === 'nginx.error' || e.kind === 'nginx.access')
      .sort((a, b) => (a.ts_us ?? 0) - (b.ts_us ?? 0) || (a.kind === b.kind ? 0 : a.kind === 'nginx.error' ? -1 : 1));
    for (const e of sorted) j.add(e);
    return { events, stats: j.stats };
  }

  /**
   * Undefined when `err` cannot belong to `acc`; else the shift (µs) applied to the error time —
   * 0, or whole quarter-hours when the error log's zone was only assumed (nginx.md §1.1).
   */
  private fits(err: Event, acc: Event): number | undefined {
    if (acc.request_id && err.request_id && acc.request_id !== err.request_id) return undefined;
    if (acc.connection_id != null && err.connection_id != null && acc.connection_id !== err.connection_id) return undefined;
    const addrs = acc.upstream_addr as string[] | undefined;
    if (err.upstream && addrs && addrs.length > 0 && !addrs.includes(err.upstream as string)) return undefined;
    const end = acc.ts_us!;
    const rt = typeof acc.request_time === 'number' ? acc.request_time * 1_000_000 : this.window;
    const start = end - rt - this.slack;
    const t = err.ts_us!;
    if (t >= start && t <= end + this.slack) return 0;
    if (err.tz_assumed !== true) return undefined;
    const d = t - end;
    if (Math.abs(d) > MAX_SHIFT_US) return undefined;
    const shift = Math.round(d / QUARTER_US) * QUARTER_US;
    const ts = t - shift;
    return shift !== 0 && ts >= start && ts <= end + this.slack ? shift : undefined;
  }

  private link(acc: Event, err: Event, shiftUs: number): void {
    const key = eventRef(acc);
    acc.request_key = key;
    err.request_key = key;
    const joined = (acc.joined_with as string[] | undefined) ?? [];
    if (joined.length === 0) this.stats.joinedAccess++;
    joined.push(eventRef(err));
    acc.joined_with = joined;
    err.joined_with = [key];
    this.stats.joinedErrors++;
    if (acc.request_id != null && err.request_id == null) err.request_id = acc.request_id;
    err.status = acc.status;
    if (shiftUs !== 0) {
      const m = String(Math.round(shiftUs / 60_000_000));
      this.stats.zoneShiftsMinutes[m] = (this.stats.zoneShiftsMinutes[m] ?? 0) + 1;
      err.zone_shift_minutes = Number(m);
    }
    // The error line names the failure; the access status only hinted at it. A later error line
    // (the last try) wins, and a successful retry keeps its null cause.
    if (acc.cause !== null && err.cause !== null) {
      if (acc.status_cause === undefined) acc.status_cause = acc.cause;
      acc.cause = err.cause;
      acc.evidence = 'joined';
    }
  }

  private hold(map: Map<string, Event[]>, key: string, ev: Event): void {
    let list = map.get(key);
    if (!list) map.set(key, (list = []));
    list.push(ev);
    this.held++;
    if (this.held > this.limit) this.evict(ev.ts_us!);
  }

  /** Drop everything older than the widest window behind `now`. */
  private evict(now: number): void {
    const horizon = now - this.window - MAX_SHIFT_US - this.slack;
    let held = 0;
    for (const map of [this.errors, this.accesses]) {
      for (const [k, list] of map) {
        const keep = list.filter((e) => (e.ts_us ?? 0) >= horizon);
        if (keep.length) map.set(k, keep.slice(-64));
        else map.delete(k);
        held += Math.min(keep.length, 64);
      }
    }
    this.held = held;
    this.limit = Math.max(this.maxHeld, held * 2);
  }
}

/** Convenience for the correlator: join every nginx event in `events` (mutated in place). */
export function joinNginxEvents(events: Event[], opts?: JoinOptions): JoinStats {
  return NginxJoin.joinAll(events, opts).stats;
}
