// Placeholder until the stream decoders (TCP reassembly, TLS, HTTP/2, HTTP/1) land: consumes nothing.
import type { PayloadSinkFactory } from './types.js';

export const createPayloadSink: PayloadSinkFactory = () => ({
  segment: () => null,
  flowEnd: () => null,
});
