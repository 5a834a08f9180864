// The merge's reorder window hands events on and then lets go of them: a released event must not stay
// reachable from the window's array until a later compaction (that kept up to 4096 events alive per
// input, so every young-generation GC copied them and promoted them: an NGINX error log's peak RSS
// grew with its size). Checked with WeakRefs and a forced GC while the window still holds newer events.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import v8 from 'node:v8';
import vm from 'node:vm';
import type { Event } from '../src/events.js';
import { mergeBatches } from '../src/merge.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const ev = (us: number): Event => ({ time: null, ts_us: us, source: 'x', line: 1, kind: 'nginx.error', cause: 'refused', src: null, dst: null, upstream: null, raw: 'x'.repeat(100) });

test('events the reorder window released are not kept reachable by it', async () => {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => { open = resolve; });
  const refs: WeakRef<Event>[] = [];
  const batch = (fromUs: number, track: boolean): Event[] => {
    const out: Event[] = [];
    for (let i = 0; i < 300; i++) { const e = ev(fromUs + i * 1000); if (track) refs.push(new WeakRef(e)); out.push(e); }
    return out;
  };
  async function* source(): AsyncGenerator<Event[]> {
    // Batches 10 s apart: each pushes the one before out of the 5 s window. (Not kept in locals: this
    // generator's frame would keep them alive.)
    yield batch(0, true);
    for (let k = 1; k <= 3; k++) yield batch(k * 10_000_000, false);
    await gate;
  }
  const it = mergeBatches([source()], 5_000_000, 0)[Symbol.asyncIterator]();
  for (let k = 0; k < 3; k++) assert.equal((await it.next()).value?.length ?? 0, 300, `batch ${k} left the window`);
  // The merge runs on to the gate, holding the last batch. The first was released two batches ago
  // (a suspended generator may still point at the batch it handed on last, not at older ones).
  const pending = it.next();
  await new Promise((resolve) => setImmediate(resolve));
  gc();
  await new Promise((resolve) => setImmediate(resolve));
  gc();
  const alive = refs.filter((w) => w.deref() !== undefined).length;
  assert.equal(alive, 0, `${alive} of 300 released events still reachable`);
  open();
  const rest = await pending;
  assert.equal(rest.value?.length ?? 0, 300, 'the held batch comes out at the end');
});
