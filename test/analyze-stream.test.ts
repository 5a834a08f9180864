// Bounded analyze (DESIGN.md §1): the batched merge keeps the per-event merge's order and late
// flags; a multi-input run over its buffer budget estimates from the first window, reads the
// inputs again and reaches the same incidents; fastArgs reads what yargs reads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { REPO } from './helpers.js';
import type { Event } from '../src/events.js';
import { mergeBatches } from '../src/merge.js';
import { openPipeline } from '../src/pipeline.js';
import { analyzeEvents } from '../src/correlate/analyze.js';
import { buildParser, fastArgs, pipelineOptions } from '../src/cli.js';

const ev = (source: string, ts: number | null, i: number): Event => ({ time: null, ts_us: ts, source, kind: 'x', cause: null, src: null, dst: null, upstream: null, line: i });

async function* batches(list: Event[], size: number): AsyncGenerator<Event[]> {
  for (let i = 0; i < list.length; i += size) yield list.slice(i, i + size);
}

/** The reference: a global stable sort on (key, source index, arrival), keys as merge.ts defines them. */
function reference(inputs: Event[][], windowUs: number): Event[] {
  const all: { e: Event; k: number; s: number; i: number }[] = [];
  inputs.forEach((list, s) => {
    let last = -Infinity;
    list.forEach((e, i) => {
      const k = e.ts_us ?? last;
      if (e.ts_us !== null) last = Math.max(last, e.ts_us);
      all.push({ e, k, s, i });
    });
  });
  void windowUs;
  return all.sort((a, b) => a.k - b.k || a.s - b.s || a.i - b.i).map((x) => x.e);
}

test('mergeBatches: k-way over batches, stable on ties, timeless events keep their place, any batch size', async () => {
  const rnd = (() => { let x = 7; return () => (x = (x * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff; })();
  for (const n of [1, 2, 3]) {
    const inputs: Event[][] = [];
    for (let s = 0; s < n; s++) {
      const list: Event[] = [];
      let t = 1_000_000;
      for (let i = 0; i < 500; i++) {
        t += Math.floor(rnd() * 3) * 1000; // ties on purpose
        // Out of order within the window (Envoy START_TIME), and some events with no time.
        const ts = rnd() < 0.05 ? null : t - Math.floor(rnd() * 4) * 1000;
        list.push(ev(`s${s}`, ts, i + 1));
      }
      inputs.push(list);
    }
    for (const size of [1, 7, 256]) {
      const got: Event[] = [];
      for await (const b of mergeBatches(inputs.map((l) => batches(l.map((e) => ({ ...e })), size)), 1_000_000, 0)) got.push(...b);
      const want = reference(inputs, 1_000_000);
      assert.deepEqual(got.map((e) => `${e.source}:${e.line}`), want.map((e) => `${e.source}:${e.line}`), `inputs ${n}, batch ${size}`);
      assert.equal(got.filter((e) => e.late).length, 0);
    }
  }
});

test('mergeBatches: an event older than the window is flagged late, never dropped', async () => {
  const list = [ev('a', 10_000_000, 1), ev('a', 20_000_000, 2), ev('a', 1_000_000, 3), ev('a', 21_000_000, 4)];
  const got: Event[] = [];
  for await (const b of mergeBatches([batches(list, 1)], 5_000_000, 0)) got.push(...b);
  // 10 s goes once 20 s is seen (5 s window); 1 s then arrives behind it: flagged, kept.
  assert.deepEqual(got.map((e) => e.line), [1, 3, 2, 4]);
  assert.deepEqual(got.map((e) => e.late === true), [false, true, false, false]);
});

test('analyze over its byte budget: offsets from the first window, inputs read again, same incidents', async () => {
  const dir = path.join(REPO, 'samples/incidents/refused');
  const options = { ...pipelineOptions({}, true), captureAllFlows: true };
  const held = await analyzeEvents(await openPipeline([dir], options), options);
  const reopened: Map<string, number>[] = [];
  const over = await analyzeEvents(await openPipeline([dir], options), options, {
    maxBufferedBytes: 1,
    reopen: (skews) => { reopened.push(skews); return openPipeline([dir], { ...options, skews }); },
  });
  assert.equal(reopened.length, 1);
  assert.ok(over.assumptions.some((a) => a.includes('read again')), over.assumptions.join('\n'));
  const brief = (r: typeof held) => r.incidents.map((i) => [i.cause, i.origin, i.upstream, i.count]);
  assert.deepEqual(brief(over), brief(held));
  assert.deepEqual(over.pipe.runs.map((r) => r.stats.lines), held.pipe.runs.map((r) => r.stats.lines));
  assert.equal(over.corr.events, held.corr.events);
});

test('analyze over its budget without a way to re-read (stdin): streams unestimated and says so', async () => {
  const dir = path.join(REPO, 'samples/incidents/refused');
  const options = { ...pipelineOptions({}, true), captureAllFlows: true };
  const r = await analyzeEvents(await openPipeline([dir], options), options, { maxBufferedBytes: 1 });
  assert.ok(r.assumptions.some((a) => a.includes('not estimated')), r.assumptions.join('\n'));
  assert.ok(r.incidents.length > 0);
});

test('fastArgs reads the common command lines exactly as yargs does; anything else goes to yargs', async () => {
  const lines = [
    ['analyze', 'a.log'],
    ['analyze', '-q', '-f', 'json', 'a.log', 'b.pcap'],
    ['analyze', '--format=markdown', '-o', 'out.md', '--tz', 'Europe/Berlin', 'a.log'],
    ['analyze', '--skew', 'a.pcap=+1.5', '--skew', 'b.log=-2', '--fail-on', 'refused,tls', '--no-color', 'x'],
    ['analyze'],
    ['events', '--from', '2026-11-20T10:00:00Z', '--to=1700000000', '--input-format', 'envoy-access', 'a.log'],
    ['events', '-f', 'json', '--keylog', 'k.txt', '--debug', '--color', 'a.pcap'],
  ];
  const keys = ['inputs', 'format', 'output', 'tz', 'from', 'to', 'skew', 'fail-on', 'quiet', 'color', 'debug', 'input-format', 'keylog', 'envoy-format', 'nginx-format'];
  for (const args of lines) {
    const fast = fastArgs(args);
    assert.ok(fast, args.join(' '));
    const slow = (await (await buildParser(args)).parseAsync()) as unknown as Record<string, unknown>;
    const pick = (o: Record<string, unknown>) => Object.fromEntries(keys.map((k) => [k, Array.isArray(o[k]) && !(o[k] as unknown[]).length ? undefined : o[k]]));
    assert.deepEqual(pick(fast as unknown as Record<string, unknown>), pick(slow), args.join(' '));
    assert.deepEqual(fast._, slow._, args.join(' '));
  }
  for (const args of [['--help'], ['analyze', '--help'], ['analyze', '-f', 'xml', 'a'], ['analyze', '--bogus', 'a'], ['flows', 'a.pcap'],
    ['analyze', '-qf', 'json', 'a'], ['analyze', '--tz', '-05:00', 'a'], ['analyze', '-o', 'a', '-o', 'b', 'x'], ['events', '--fail-on', 'any', 'a'], ['analyze', '--', 'a'], ['analyze', '-']]) {
    assert.equal(fastArgs(args), null, args.join(' '));
  }
});
