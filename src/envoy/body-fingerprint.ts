// %BYTES_SENT% of an Envoy local reply is the body length, and the body says the reset reason
// (envoy.md §3.6). Envoy's default format has no details, so the length is the only reset evidence.
// The table is computed from the exact body strings (router.cc Filter::onUpstreamReset, §3.2), not typed in.
import { RESET_REASONS } from './details.js';

export interface BodyCandidate { body: string; resetReason?: string; transportFailureReason?: string; retried: boolean; flag?: string }

const PREFIX = 'upstream connect error or disconnect/reset before headers';
const TFRS = [
  'delayed connect error: 111', 'delayed connect error: 113', 'delayed connect error: 110', 'delayed connect error: 101',
  'delayed connect error: 99', 'delayed connect error: Connection refused', 'delayed connect error: No route to host',
  'delayed connect error: Connection timed out', 'delayed connect error: Network is unreachable',
  'delayed connect error: Cannot assign requested address',
  'TLS error: 268436501:SSL routines:OPENSSL_internal:SSLV3_ALERT_CERTIFICATE_EXPIRED',
  'TLS error: 268435581:SSL routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED',
  'TLS error: 268435703:SSL routines:OPENSSL_internal:WRONG_VERSION_NUMBER',
  'TLS error: Secret is not supplied by SDS',
];

function build(): Map<number, BodyCandidate[]> {
  const all: BodyCandidate[] = [
    { body: PREFIX, retried: false },
    { body: 'no healthy upstream', retried: false, flag: 'UH' },
    { body: 'upstream request timeout', retried: false, flag: 'UT' },
  ];
  for (const r of RESET_REASONS) {
    for (const retried of [false, true]) {
      const head = `${PREFIX}. ${retried ? 'retried and the latest ' : ''}reset reason: ${r.text}`;
      all.push({ body: head, resetReason: r.key, retried, flag: r.flag });
      if (r.flag === 'UF') {
        for (const tfr of TFRS) {
          // Combinations Envoy never wrote (§3.5): a connect timeout has no transport failure reason, and
          // strerror text (PR #35154, 2024) came after the 1.27 split, so `connection failure` only has errno numbers.
          if (r.key === 'connection_timeout') continue;
          if (r.key === 'connection_failure' && /error: [A-Z]/.test(tfr)) continue;
          all.push({ body: `${head}, transport failure reason: ${tfr}`, resetReason: r.key, transportFailureReason: tfr, retried, flag: 'UF' });
        }
      }
    }
  }
  const byLen = new Map<number, BodyCandidate[]>();
  for (const c of all) {
    const n = Buffer.byteLength(c.body);
    const list = byLen.get(n);
    if (list) list.push(c);
    else byLen.set(n, [c]);
  }
  return byLen;
}

export const BODY_LENGTHS: ReadonlyMap<number, readonly BodyCandidate[]> = build();

/**
 * Bodies of this length that fit the flag (UF/UC/UO/UR/LR/UPE/UH/UT, or none known).
 * Caveat (§3.6): local_reply_config and custom error pages change bodies; callers treat this as weak evidence.
 */
export function bodiesOfLength(bytes: number, flag?: string): readonly BodyCandidate[] {
  const list = BODY_LENGTHS.get(bytes);
  if (!list) return [];
  if (!flag) return list;
  // The pre-2019 body (no reason) fits any reset flag.
  return list.filter((c) => c.flag === flag || (c.flag === undefined && ['UF', 'UC', 'UR', 'UO', 'LR', 'UPE'].includes(flag)));
}
