// A stable streaming k-way merge of every input's events by time (STYLE.md §8): keyed by
// (ts_us, input index, sequence). Each input gets a bounded reorder window first (Envoy writes
// access lines when requests end, so START_TIME runs a little out of order); an event later than
// what was already emitted is flagged `late: true`, never dropped. Events with no time keep their
// place in their own input (they take the time of the event before them for ordering).
import type { Event } from './events.js';
import { LIMITS } from './limits.js';

interface Item { ev: Event; key: number; src: number; seq: number }

/** Min-heap on (key, src, seq). */
class Heap {
  private a: Item[] = [];
  get size() { return this.a.length; }
  peek(): Item | undefined { return this.a[0]; }
  push(x: Item) {
    const a = this.a;
    a.push(x);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(a[i], a[p])) break;
      [a[i], a[p]] = [a[p], a[i]];
      i = p;
    }
  }
  pop(): Item | undefined {
    const a = this.a;
    if (!a.length) return undefined;
    const top = a[0];
    const last = a.pop()!;
    if (a.length) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < a.length && less(a[l], a[m])) m = l;
        if (r < a.length && less(a[r], a[m])) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m], a[i]];
        i = m;
      }
    }
    return top;
  }
}
function less(x: Item, y: Item): boolean {
  return x.key < y.key || (x.key === y.key && (x.src < y.src || (x.src === y.src && x.seq < y.seq)));
}

/**
 * One input, reordered within LIMITS.REORDER_WINDOW_US, as an async iterator of single items.
 * When the input stalls (a live pipe with nothing new) for LIMITS.REORDER_IDLE_FLUSH_MS of wall
 * clock, what is held is let go: a live incident must not wait for the next log line to be seen.
 * Anything that then arrives older is flagged late, as always.
 */
async function* reorder(batches: AsyncIterable<Event[]>, src: number, windowUs: number, idleFlushMs: number): AsyncGenerator<Item> {
  const held = new Heap();
  let seq = 0;
  let lastKey = -Infinity;
  let maxSeen = -Infinity;
  const it = batches[Symbol.asyncIterator]();
  try {
    for (;;) {
      const p = it.next();
      let r: IteratorResult<Event[]>;
      if (held.size && idleFlushMs > 0) {
        let timer: NodeJS.Timeout | undefined;
        const idle = new Promise<'idle'>((resolve) => { timer = setTimeout(() => resolve('idle'), idleFlushMs); });
        const first = await Promise.race([p, idle]);
        clearTimeout(timer);
        if (first === 'idle') {
          while (held.size) yield held.pop()!;
          r = await p;
        } else r = first;
      } else r = await p;
      if (r.done) break;
      for (const ev of r.value) {
        const key = ev.ts_us ?? lastKey;
        if (ev.ts_us !== null) lastKey = Math.max(lastKey, ev.ts_us);
        held.push({ ev, key, src, seq: seq++ });
        if (key > maxSeen) maxSeen = key;
      }
      while (held.size && held.peek()!.key <= maxSeen - windowUs) yield held.pop()!;
    }
  } finally {
    await it.return?.();
  }
  while (held.size) yield held.pop()!;
}

export async function* mergeByTime(
  sources: AsyncIterable<Event[]>[], windowUs: number = LIMITS.REORDER_WINDOW_US, idleFlushMs: number = LIMITS.REORDER_IDLE_FLUSH_MS,
): AsyncGenerator<Event> {
  const its = sources.map((s, i) => reorder(s, i, windowUs, idleFlushMs)[Symbol.asyncIterator]());
  const heap = new Heap();
  // Prime: one pending item per input.
  const firsts = await Promise.all(its.map((it) => it.next()));
  firsts.forEach((r) => { if (!r.done) heap.push(r.value); });
  let emitted = -Infinity;
  while (heap.size) {
    const top = heap.pop()!;
    if (top.ev.ts_us !== null) {
      if (top.ev.ts_us < emitted) top.ev.late = true;
      else emitted = top.ev.ts_us;
    }
    yield top.ev;
    const r = await its[top.src].next();
    if (!r.done) heap.push(r.value);
  }
}
