// Compare the stream decoders' events with the tshark truth of the capture corpus
// (corpus/pcap/README.md): same frame, same values, counted per category.
import fs from 'node:fs';
import path from 'node:path';
import type { Event } from '../src/events.js';
import { CORPUS } from './helpers.js';
import { runCapture } from './tls-walker.js';

export const PCAP_DIR = path.join(CORPUS, 'pcap');
export const TRUTH_DIR = path.join(PCAP_DIR, 'truth');

type Row = Record<string, unknown>;
export interface Truth {
  file: string;
  tls_alerts: Row[];
  tls_client_hello: Row[];
  tls_server_hello_alpn: Row[];
  http2_goaway: Row[];
  http2_rst_stream: Row[];
  tls_encrypted_alerts: Row[];
}

/** Every capture with its truth (the `.nokeys.json` variant where there is one). */
export function truthFiles(): Array<{ capture: string; truth: Truth }> {
  const out: Array<{ capture: string; truth: Truth }> = [];
  for (const f of fs.readdirSync(TRUTH_DIR).sort()) {
    if (!f.endsWith('.json') || f.endsWith('.nokeys.json')) continue;
    const nokeys = path.join(TRUTH_DIR, f.replace(/\.json$/, '.nokeys.json'));
    const t = JSON.parse(fs.readFileSync(fs.existsSync(nokeys) ? nokeys : path.join(TRUTH_DIR, f), 'utf8')) as Truth;
    const capture = path.join(PCAP_DIR, t.file);
    if (fs.existsSync(capture)) out.push({ capture, truth: t });
  }
  return out;
}

const port = (addr: unknown) => String(addr).replace(/^.*:/, '');

/** tshark shows non-UTF-8 ALPN bytes as U+FFFD; we report them as 0x-hex. Same id when the printable parts agree. */
function alpnKey(list: unknown): string {
  return (list as string[]).map((s) => (s.includes('\ufffd') || s.startsWith('0x') ? '<binary>' : s)).join(',');
}

export const CATEGORIES = {
  tls_alert: {
    truth: (t: Truth) => t.tls_alerts.map((r) => `${r.frame}|${r.sport}>${r.dport}|${r.level}|${r.description}|${r.description_name}`),
    ours: (e: Event[]) => e.filter((x) => x.kind === 'tls.alert' && !x.decrypted).map((x) => `${x.frame}|${port(x.src)}>${port(x.dst)}|${x.level}|${x.description}|${x.description_name}`),
  },
  tls_client_hello: {
    truth: (t: Truth) => t.tls_client_hello.filter((r) => r.transport === 'tcp').map((r) => `${r.frame}|${r.sport}>${r.dport}|${r.sni ?? ''}|${alpnKey(r.alpn ?? [])}`),
    ours: (e: Event[]) => e.filter((x) => x.kind === 'tls.client_hello').map((x) => `${x.frame}|${port(x.src)}>${port(x.dst)}|${x.sni ?? ''}|${alpnKey(x.alpn)}`),
  },
  tls_server_hello_alpn: {
    truth: (t: Truth) => t.tls_server_hello_alpn.filter((r) => r.transport !== 'quic' && (r.handshake_types as number[]).includes(2)).map((r) => `${r.frame}|${r.sport}>${r.dport}|${(r.alpn as string[]).join(',')}`),
    ours: (e: Event[]) => e.filter((x) => x.kind === 'tls.server_hello' && x.alpn).map((x) => `${x.frame}|${port(x.src)}>${port(x.dst)}|${x.alpn}`),
  },
  http2_goaway: {
    truth: (t: Truth) => t.http2_goaway.map((r) => `${r.frame}|${r.sport}>${r.dport}|${r.last_stream_id}|${r.error_code}|${r.error_name}`),
    ours: (e: Event[]) => e.filter((x) => x.kind === 'http2.goaway' && !x.decrypted).map((x) => `${x.frame}|${port(x.src)}>${port(x.dst)}|${x.last_stream_id}|${x.error_code}|${x.error_name}`),
  },
  http2_rst_stream: {
    truth: (t: Truth) => t.http2_rst_stream.map((r) => `${r.frame}|${r.sport}>${r.dport}|${r.stream_id}|${r.error_code}|${r.error_name}`),
    ours: (e: Event[]) => e.filter((x) => x.kind === 'http2.rst_stream' && !x.decrypted).map((x) => `${x.frame}|${port(x.src)}>${port(x.dst)}|${x.stream_id}|${x.error_code}|${x.error_name}`),
  },
  tls_encrypted_alert: {
    truth: (t: Truth) => (t.tls_encrypted_alerts ?? []).map((r) => `${r.frame}|${r.sport}>${r.dport}`),
    ours: (e: Event[]) => e.filter((x) => x.kind === 'tls.encrypted_alert').map((x) => `${x.frame}|${port(x.src)}>${port(x.dst)}`),
  },
} as const;

export type Category = keyof typeof CATEGORIES;

export interface Agreement {
  truth: number;
  matched: number;
  /** Ours, not in the truth. */
  extra: number;
  misses: string[];
  extras: string[];
}

/** Multiset comparison per category over every capture. */
export function agreement(): { totals: Record<Category, Agreement>; eventsByFile: Map<string, Event[]> } {
  const totals = {} as Record<Category, Agreement>;
  for (const c of Object.keys(CATEGORIES) as Category[]) totals[c] = { truth: 0, matched: 0, extra: 0, misses: [], extras: [] };
  const eventsByFile = new Map<string, Event[]>();
  for (const { capture, truth } of truthFiles()) {
    const events = runCapture(capture, path.basename(capture));
    eventsByFile.set(path.basename(capture), events);
    for (const c of Object.keys(CATEGORIES) as Category[]) {
      const want = CATEGORIES[c].truth(truth);
      const got = new Map<string, number>();
      for (const k of CATEGORIES[c].ours(events)) got.set(k, (got.get(k) ?? 0) + 1);
      const a = totals[c];
      a.truth += want.length;
      for (const k of want) {
        const n = got.get(k) ?? 0;
        if (n > 0) { a.matched++; got.set(k, n - 1); } else a.misses.push(`${truth.file}#${k}`);
      }
      for (const [k, n] of got) for (let i = 0; i < n; i++) { a.extra++; a.extras.push(`${truth.file}#${k}`); }
    }
  }
  return { totals, eventsByFile };
}
