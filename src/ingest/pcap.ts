// Captures: classic pcap (µs/ns, both byte orders) and pcapng, already gunzipped by the input
// layer. The reading, dissection and flow tracking live in src/capture/. Only the sniffer is
// imported up front: every run sniffs every input (logs included), and the capture stack with its
// decoders is ~25 ms of module loading, paid only when a capture is opened.
import type { Event } from '../events.js';
import type { BinaryFormat, IngestContext } from './types.js';
import { sniffCapture } from '../capture/sniff.js';
import type { InputKeys } from '../tls-decrypt/key-files.js';

export const pcapFormat: BinaryFormat = {
  name: 'pcap',
  kind: 'binary',
  sniff: (head) => (sniffCapture(head) ? 1 : 0),
  open: (chunks, ctx) => openCapture(chunks, ctx),
};

async function* openCapture(chunks: AsyncIterable<Buffer>, ctx: IngestContext): AsyncIterable<Event[]> {
  const [{ readCapture }, { onCaptureSecrets }, { inputKeys }] = await Promise.all([
    import('../capture/capture.js'), import('../capture/secrets.js'), import('../tls-decrypt/key-files.js'),
  ]);
  // TLS keys of this capture: the run's --keylog, with its own pcapng DSBs in front. A DSB
  // precedes the packets it covers, and is added before they are read (same call stack).
  // Without either, ctx.keyStore stays unset (the stream layer's default applies).
  const keys = inputKeys(ctx.keyStore);
  if (ctx.keyStore) ctx.keyStore = keys.store;
  onCaptureSecrets(ctx, (s) => {
    ctx.keyStore = keys.store;
    if (!keys.addDecryptionSecrets(s.secretsType, s.data)) {
      const type = '0x' + s.secretsType.toString(16).padStart(8, '0');
      ctx.anomaly('dsb_unsupported', { offset: s.offset }, `pcapng Decryption Secrets Block of type ${type} (not a TLS key log): ignored`, { secrets_type: type });
    }
  });
  yield* readCapture(chunks, ctx);
  keyNote(ctx, keys);
}

/** After the capture: say how many TLS sessions the keys opened (a wrong key log is the usual surprise). */
function keyNote(ctx: IngestContext, keys: InputKeys): void {
  const s = keys.stats;
  if (!keys.hasKeys() || s.sessions === 0) return;
  const from = [ctx.options.keylog !== undefined ? '--keylog' : '', s.dsb > s.dsbUnsupported ? `${s.dsbSessions} session(s) in pcapng DSBs` : ''].filter(Boolean).join(' and ');
  const unsupported = s.unsupported ? `, ${s.unsupported} had keys but a cipher suite or version not decrypted (SSL 3.0, DES, IDEA, SEED, RC2, export)` : '';
  ctx.stats.notes.push(`TLS decryption (keys from ${from}): ${s.decrypted} of ${s.sessions} TLS session(s) decrypted${unsupported}, ${s.sessions - s.decrypted - s.unsupported} without keys`);
}
