// Decryption Secrets Blocks found in a pcapng (pcapng §4.7) are published per input, so the TLS
// decryption layer (created by createPayloadSink(ctx) before the first packet) can subscribe
// without the reader importing it.
import type { IngestContext } from '../ingest/types.js';
import type { DecryptionSecrets } from './pcapng-reader.js';

export type { DecryptionSecrets } from './pcapng-reader.js';
export { DSB_TLS_KEY_LOG } from './pcapng-reader.js';

const subscribers = new WeakMap<IngestContext, Array<(s: DecryptionSecrets) => void>>();

/** Call `cb` with every DSB of this input, in file order (each before the packets that follow it). */
export function onCaptureSecrets(ctx: IngestContext, cb: (s: DecryptionSecrets) => void): void {
  const list = subscribers.get(ctx);
  if (list) list.push(cb);
  else subscribers.set(ctx, [cb]);
}

export function publishSecrets(ctx: IngestContext, s: DecryptionSecrets): void {
  for (const cb of subscribers.get(ctx) ?? []) cb(s);
}
