// The payload sink keeps views into the producer's buffers (out-of-order segments, a head or
// record cut by a segment's end) until settle(); after it the producer may overwrite them.
import test from 'node:test';
import assert from 'node:assert/strict';
import { createPayloadSink } from '../src/capture/streams.js';
import type { TcpSegmentInfo } from '../src/capture/types.js';
import type { Event } from '../src/events.js';
import { testContext } from './tls-walker.js';

const C = '10.0.0.1:40000';
const S = '10.0.0.2:8080';

function segment(frame: number, fromOrig: boolean, seq: number, payload: Buffer): TcpSegmentInfo {
  return {
    frame, ts_us: 1_700_000_000_000_000 + frame, time: '2023-11-14T22:13:20.000000Z', flowId: 'Csettle', fromOrig,
    src: fromOrig ? C : S, dst: fromOrig ? S : C, seq, ack: 0, flags: 0x18, payload, truncated: false,
  };
}

const REQUEST = 'GET /x HTTP/1.1\r\nHost: a\r\n\r\n';
const RESPONSE = 'HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n';

/** The response's status line, reason and frame: the one http.response event. */
function response(events: Event[]): string {
  const r = events.filter((e) => e.kind === 'http.response');
  assert.equal(r.length, 1);
  return `${r[0].status} ${r[0].reason} ${r[0].method} ${r[0].path} #${r[0].frame}`;
}

test('a head cut by the segment end survives the producer reusing its buffer after settle()', () => {
  const sink = createPayloadSink(testContext('settle'));
  const events: Event[] = [];
  const take = (e: Event[] | null) => { if (e) events.push(...e); };
  const packet = Buffer.alloc(64);
  take(sink.segment(segment(1, true, 1000, Buffer.from(REQUEST))));
  const cut = 20;
  Buffer.from(RESPONSE.slice(0, cut)).copy(packet);
  take(sink.segment(segment(2, false, 5000, packet.subarray(0, cut))));
  sink.settle!();
  packet.fill('x'); // the reader's next chunk lands in the same memory
  take(sink.segment(segment(3, false, 5000 + cut, Buffer.from(RESPONSE.slice(cut)))));
  take(sink.flowEnd('Csettle', 0));
  assert.equal(response(events), '503 Service Unavailable GET /x #3');
});

test('an out-of-order segment survives the producer reusing its buffer after settle()', () => {
  const sink = createPayloadSink(testContext('settle'));
  const events: Event[] = [];
  const take = (e: Event[] | null) => { if (e) events.push(...e); };
  take(sink.segment(segment(1, true, 1000, Buffer.from(REQUEST))));
  take(sink.segment(segment(2, false, 5000, Buffer.from(RESPONSE.slice(0, 10)))));
  const packet = Buffer.from(RESPONSE.slice(20)); // arrives before the bytes 10..20
  take(sink.segment(segment(3, false, 5020, packet)));
  sink.settle!();
  packet.fill('x');
  take(sink.segment(segment(4, false, 5010, Buffer.from(RESPONSE.slice(10, 20)))));
  take(sink.flowEnd('Csettle', 0));
  assert.equal(response(events), '503 Service Unavailable GET /x #4');
});
