// Captures: classic pcap (µs/ns, both byte orders) and pcapng, already gunzipped by the input
// layer. The reading, dissection and flow tracking live in src/capture/.
import type { BinaryFormat } from './types.js';
import { readCapture, sniffCapture } from '../capture/capture.js';

export const pcapFormat: BinaryFormat = {
  name: 'pcap',
  kind: 'binary',
  sniff: (head) => (sniffCapture(head) ? 1 : 0),
  open: (chunks, ctx) => readCapture(chunks, ctx),
};
