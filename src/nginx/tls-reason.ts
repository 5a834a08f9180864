// Which kind of TLS failure an nginx line shows (DESIGN.md §3: "say which in tls_reason").
// Inputs are OpenSSL error-queue texts as nginx prints them in "(SSL: ...)" (ngx_ssl_error(),
// ngx_event_openssl.c): 1.0 `error:14077438:SSL routines:SSL23_GET_SERVER_HELLO:tlsv1 alert internal error`,
// 1.1 `error:14094410:SSL routines:ssl3_read_bytes:sslv3 alert handshake failure:SSL alert number 40`,
// 3.x `error:0A000458:SSL routines::tlsv1 unrecognized name:SSL alert number 112`.

export interface TlsReason {
  /** plaintext | sni | certificate | version | cipher | handshake_failure | internal_error | alert | peer_closed | timeout | other */
  reason: string;
  /** The OpenSSL reason string (or nginx's own words). */
  detail: string;
  /** TLS alert number (RFC 8446 §6) when the peer sent one. */
  alert?: number;
}

// RFC 8446 §6 / RFC 5246 §7.2 alert numbers that name the problem.
const ALERT_REASON: Record<number, string> = {
  40: 'handshake_failure', // nginx.md §3.2: usually missing SNI (proxy_ssl_server_name off) or no common cipher
  42: 'certificate', 43: 'certificate', 44: 'certificate', 45: 'certificate', 46: 'certificate', 48: 'certificate',
  70: 'version', 71: 'cipher', 80: 'internal_error', 86: 'version', 112: 'sni', 116: 'certificate', 120: 'alpn',
};

/** First OpenSSL reason in the queue ("lib:func:reason[:SSL alert number N]"). */
export function tlsReasonFromSsl(ssl: string): TlsReason {
  const first = ssl.split(/ (?=error:)/)[0];
  const parts = first.split(':');
  // error:CODE:LIB:FUNC:REASON[:extra]; OpenSSL 3 leaves FUNC empty.
  const detail = (parts.length >= 5 ? parts[4] : first).trim();
  const am = /SSL alert number (\d+)/.exec(first);
  const alert = am ? Number(am[1]) : undefined;
  let reason: string;
  if (/wrong version number|http request|record layer failure|packet length too long|unknown protocol/i.test(detail)) reason = 'plaintext';
  else if (alert !== undefined && ALERT_REASON[alert]) reason = ALERT_REASON[alert];
  else if (/unrecognized name/i.test(detail)) reason = 'sni';
  else if (/unsupported protocol|inappropriate fallback|protocol version|no protocols available/i.test(detail)) reason = 'version';
  else if (/no shared cipher|no ciphers|no suitable signature/i.test(detail)) reason = 'cipher';
  else if (/certificate|verify/i.test(detail)) reason = 'certificate';
  else if (/handshake failure/i.test(detail)) reason = 'handshake_failure';
  else if (/internal error/i.test(detail)) reason = 'internal_error';
  else if (/unexpected eof/i.test(detail)) reason = 'peer_closed';
  else if (alert !== undefined) reason = 'alert';
  else reason = 'other';
  return alert === undefined ? { reason, detail } : { reason, detail, alert };
}
