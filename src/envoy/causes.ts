// One classifier for every Envoy text that describes a failed request: access-log fields, debug-log
// reset messages, client-visible bodies. Pure: fields in, cause (DESIGN.md §3) and the reasoning out.
// Precedence follows envoy.md §5: the transport failure reason (errno, TLS) is the most specific evidence,
// then the reset reason in the details, then the flags, then the body-length fingerprint and the duration.
import type { Cause } from '../events.js';
import { flagInfo } from './response-flags.js';
import { decodeTransportFailure, detailsCause, likelyCause, lookupResetReason, parseDetails, type TransportFailure } from './details.js';
import { bodiesOfLength } from './body-fingerprint.js';

export interface EnvoyFailureInput {
  /** Short flag codes (`UF`, `URX`); long names are accepted too. */
  flags?: readonly string[];
  /** %RESPONSE_CODE_DETAILS% as written. */
  details?: string;
  /** %UPSTREAM_TRANSPORT_FAILURE_REASON% (or the body's / debug log's transport failure reason). */
  transportFailureReason?: string;
  /** Reset reason from a body or a debug log (`connection failure`, `remote_connection_failure`). */
  resetReason?: string;
  code?: number;
  /** %BYTES_SENT%: for an Envoy local reply, the body length (envoy.md §3.6). */
  bodyBytes?: number;
  durationMs?: number;
  /** Other free text on the line (Istio's mixer/policy status, extra operators) scanned for known phrases. */
  extraText?: readonly string[];
}

export type Confidence = 'high' | 'medium' | 'low';

export interface EnvoyVerdict {
  /** null: not a failure this proxy hop can be blamed for (success, app-generated 500, fault injection...). */
  cause: Cause | null;
  confidence: Confidence;
  /** One short phrase: which evidence decided. */
  basis: string;
  resetReason?: string;
  transportFailure?: TransportFailure;
  tlsReason?: string;
  errno?: number;
  errnoName?: string;
  afterResponseStarted?: boolean;
}

// Which flag speaks for the line when several are set (URX only says retries ran out).
const FLAG_PRIORITY = ['UF', 'UO', 'UH', 'UPE', 'UR', 'UC', 'LR', 'OM', 'UT', 'UMSDR', 'SI', 'DT', 'DC', 'DR', 'DPE', 'DO', 'UDO',
  'LH', 'NC', 'NR', 'DF', 'NFCF', 'RLSE', 'UAEX', 'IH', 'RL', 'FI', 'DI', 'RFCF', 'URX'];

/** Below this, a UF with no transport failure reason was not a connect timeout (Envoy's minimum useful connect_timeout is ≥250 ms; Istio 10 s, Istio 1.0 1 s). */
const CONNECT_TIMEOUT_FLOOR_MS = 250;

export function classifyEnvoy(input: EnvoyFailureInput): EnvoyVerdict {
  const flags = (input.flags ?? []).map((f) => flagInfo(f)?.short ?? f);
  const d = input.details ? parseDetails(input.details) : undefined;
  let resetReason = d?.resetReason ?? (input.resetReason ? lookupResetReason(input.resetReason)?.key ?? input.resetReason.trim().replace(/ /g, '_') : undefined);
  const tfrText = nonEmpty(input.transportFailureReason) ?? d?.transportFailureReason;
  let tf = decodeTransportFailure(tfrText);
  let primary = FLAG_PRIORITY.find((f) => flags.includes(f)) ?? flags.find((f) => !flagInfo(f));
  let fromBody = false;
  let bodyNote = '';

  // Default format: no details, no transport failure reason -> read them off the body length.
  // With no flag, only a passed-through 502/503 can be an Envoy reply (from the next hop); a 500 is the app's.
  const passThrough = primary === undefined && input.code !== undefined && input.code >= 502 && input.code <= 503;
  if (!resetReason && !tf && input.bodyBytes !== undefined && (passThrough || (primary !== undefined && BODY_FLAGS.has(primary)))) {
    const b = bodyEvidence(input.bodyBytes, primary);
    if (b.resetReason) { resetReason = b.resetReason; fromBody = true; }
    if (b.tf) { tf = b.tf; fromBody = true; }
    if (b.note) { bodyNote = b.note; fromBody = true; }
    if (passThrough && fromBody && resetReason) {
      const rc = lookupResetReason(resetReason);
      const v0: EnvoyVerdict = { cause: rc ? likelyCause(rc) : 'unknown', confidence: 'low', resetReason,
        basis: `${input.code} passed through; its ${input.bodyBytes}-byte body matches Envoy's "${rc?.text ?? resetReason}" reply from the next hop` };
      if (tf) v0.transportFailure = tf;
      return v0;
    }
  }

  const v: EnvoyVerdict = { cause: null, confidence: 'high', basis: '' };
  if (resetReason) v.resetReason = resetReason;
  if (d?.afterResponseStarted) v.afterResponseStarted = true;
  if (tf) {
    v.transportFailure = tf;
    if (tf.kind === 'tls') v.tlsReason = tf.tlsReason;
    if (tf.kind === 'connect' && tf.errno) { v.errno = tf.errno.errno; v.errnoName = tf.errno.name; }
  }
  const weak = fromBody ? ' (from the body length)' : '';
  const set = (cause: Cause | null, confidence: Confidence, basis: string): EnvoyVerdict => {
    v.cause = cause;
    v.confidence = fromBody && confidence === 'high' ? 'medium' : confidence;
    v.basis = basis + (cause ? weak + bodyNote : '');
    return v;
  };

  // 1. The transport failure reason names the errno or TLS problem: the most specific evidence.
  //    A UH/UO/UC that still carries one (reason survives from an earlier attempt, envoy.md §1.4) keeps its flag.
  const connectish = primary === undefined || primary === 'UF' || primary === 'URX';
  if (tf && connectish) {
    if (tf.kind === 'tls') return set(tf.cause, 'high', `transport failure reason: TLS (${tf.tlsReason})`);
    if (tf.kind === 'connect' && tf.errno) return set(tf.errno.cause, 'high', `${tf.phase} connect error ${tf.errno.errno} ${tf.errno.name}`);
  }

  if (primary === 'UF' || (!primary && resetReason && lookupResetReason(resetReason)?.flag === 'UF')) {
    if (resetReason === 'connection_timeout') return set('connect_timeout', 'high', 'reset reason: connection timeout');
    if (resetReason === 'local_connection_failure') return set('unknown', 'low', 'local connection failure: the proxy could not open the socket (no transport failure reason to say why)');
    const dur = input.durationMs;
    if (dur !== undefined && dur >= CONNECT_TIMEOUT_FLOOR_MS) {
      return set('connect_timeout', 'medium', `connection failure with no transport failure reason after ${dur} ms (≈ connect_timeout × attempts)`);
    }
    if (bodyNote) return set('refused', 'low', 'connection failure; errno not certain (ECONNREFUSED is the common one)');
    if (dur !== undefined) return set('refused', 'low', `connection failure with no transport failure reason in ${dur} ms (too fast for a timeout; Envoy ≤1.17 left the errno out)`);
    return set('refused', 'low', 'connection failure (UF) with no transport failure reason or duration');
  }

  const info = primary ? flagInfo(primary) : undefined;
  switch (primary) {
    case 'UR':
      if (resetReason === 'remote_refused_stream_reset') return set('pool_overflow', 'high', 'upstream refused the stream (REFUSED_STREAM: max concurrent streams)');
      return set('upstream_reset', 'high', 'upstream reset the stream (UR)' + (resetReason ? ` {${resetReason}}` : ''));
    case 'UC':
      return set('upstream_close', 'high', 'upstream connection terminated (UC)' + (resetReason ? ` {${resetReason}}` : ''));
    case 'UAEX': {
      const text = (input.extraText ?? []).join(' ');
      if (/no[ _]healthy[ _]upstream/i.test(text)) return set('no_healthy_upstream', 'medium', 'ext_authz/policy check failed: its own service had no healthy upstream');
      if (input.code !== undefined && input.code >= 500) return set('unknown', 'low', 'ext_authz (UAEX) failed with a 5xx: the authorization service, not the upstream');
      return set(null, 'high', 'denied by ext_authz');
    }
    case 'URX': {
      const rc = resetReason ? lookupResetReason(resetReason) : undefined;
      if (rc) return set(likelyCause(rc), 'medium', `retries exhausted; last reset reason ${rc.text}`);
      return set('unknown', 'low', 'retries exhausted on the upstream\'s answer (URX): the next hop\'s log for this x-request-id says why');
    }
  }
  if (info) {
    if (info.cause === null) return set(null, 'high', info.meaning);
    return set(info.cause, info.cause === 'unknown' ? 'low' : 'high', `${info.short}: ${info.meaning}`);
  }
  if (primary) return set('unknown', 'low', `custom response flag ${primary}`);

  // No flags: details alone, then the status.
  if (d) {
    const c = detailsCause(d);
    if (c !== undefined && c !== null) return set(c, 'medium', `details ${input.details}`);
  }
  if (resetReason) {
    const rc = lookupResetReason(resetReason);
    if (rc) return set(likelyCause(rc), 'medium', `reset reason: ${rc.text}`);
  }
  if (tf && tf.kind === 'tls') return set(tf.cause, 'medium', `transport failure reason: TLS (${tf.tlsReason})`);
  if (tf && tf.kind === 'connect' && tf.errno) return set(tf.errno.cause, 'medium', `connect error ${tf.errno.errno} ${tf.errno.name}`);
  const code = input.code;
  if (code !== undefined && code >= 502 && code <= 504) {
    return set('unknown', 'low', `${code} passed through from the upstream hop (no flags here): the upstream's own log for this x-request-id says why`);
  }
  return set(null, 'high', 'not a failure');
}

const BODY_FLAGS = new Set(['UF', 'UC', 'UR', 'UO', 'LR', 'UPE', 'URX']);

interface BodyEvidence { resetReason?: string; tf?: TransportFailure; note?: string }
const BODY_MEMO = new Map<string, BodyEvidence>();

/** What a body length says, given the flag (memoised: a log has few distinct lengths). */
function bodyEvidence(bytes: number, primary: string | undefined): BodyEvidence {
  const key = bytes + '|' + (primary ?? '');
  const hit = BODY_MEMO.get(key);
  if (hit) return hit;
  const out: BodyEvidence = {};
  const cands = bodiesOfLength(bytes, primary === 'URX' ? undefined : primary).filter((c) => c.resetReason || c.flag === primary);
  const reasons = new Set(cands.map((c) => c.resetReason));
  const tfrs = new Set(cands.map((c) => c.transportFailureReason));
  if (cands.length && reasons.size === 1 && [...reasons][0]) out.resetReason = [...reasons][0];
  else if (cands.length && reasons.size === 2 && reasons.has('connection_failure') && reasons.has('connection_timeout')) out.resetReason = 'connection_failure';
  if (cands.length && tfrs.size === 1 && [...tfrs][0]) out.tf = decodeTransportFailure([...tfrs][0]);
  else if (tfrs.size > 1 && !tfrs.has(undefined)) {
    // e.g. 145 bytes: `delayed connect error: NNN` with any 3-digit errno (111, 110, 113, 101 all fit).
    const decoded = [...tfrs].map((t) => decodeTransportFailure(t));
    const causes = new Set(decoded.map((d) => (d?.kind === 'tls' ? d.cause : d?.kind === 'connect' ? d.errno?.cause : undefined)));
    if (causes.size === 1 && !causes.has(undefined)) out.tf = decoded[0];
    out.note = `; the ${bytes}-byte body fits ${[...tfrs].slice(0, 4).join(' / ')}`;
  } else if (tfrs.size > 1) {
    out.note = `; the ${bytes}-byte body fits ${[...tfrs].filter(Boolean).slice(0, 4).join(' / ')}`;
  }
  if (BODY_MEMO.size > 10_000) BODY_MEMO.clear();
  BODY_MEMO.set(key, out);
  return out;
}

function nonEmpty(s: string | undefined): string | undefined {
  return s === undefined || s === '' || s === '-' ? undefined : s;
}
