// `while <action>` → the phase of the proxied request (nginx.md §1.5): the single most useful field
// for root-causing. Actions are c->log->action strings from ngx_http_upstream.c, ngx_http_request.c,
// ngx_event_pipe.c and ngx_stream_proxy_module.c.

/** Which side a phase talks to: the upstream, the downstream client, or neither/both. */
export type Side = 'upstream' | 'client' | 'both';

export interface Phase {
  phase: string;
  side: Side;
}

const PHASES: Record<string, Phase> = {
  'connecting to upstream': { phase: 'connecting', side: 'upstream' },
  'SSL handshaking to upstream': { phase: 'tls_handshake', side: 'upstream' },
  'sending request to upstream': { phase: 'sending_request', side: 'upstream' },
  'reading response header from upstream': { phase: 'reading_header', side: 'upstream' },
  'reading upstream': { phase: 'reading_body', side: 'upstream' },
  'sending early hints to client': { phase: 'sending_to_client', side: 'client' },
  'sending to client': { phase: 'sending_to_client', side: 'client' },
  'sending response to client': { phase: 'sending_to_client', side: 'client' },
  // Websockets: both directions share this action, so the resetting peer is unknown (nginx/nginx#773).
  'proxying upgraded connection': { phase: 'upgraded', side: 'both' },
  // Client side (ngx_http_request.c)
  'SSL handshaking': { phase: 'client_tls_handshake', side: 'client' },
  'waiting for request': { phase: 'client_request', side: 'client' },
  'reading PROXY protocol': { phase: 'client_request', side: 'client' },
  'reading client request line': { phase: 'client_request', side: 'client' },
  'reading client request headers': { phase: 'client_request', side: 'client' },
  'reading client pipelined request line': { phase: 'client_request', side: 'client' },
  'reading client request body': { phase: 'client_request', side: 'client' },
  'keepalive': { phase: 'keepalive', side: 'client' },
  'closing request': { phase: 'closing', side: 'client' },
  'processing HTTP/2 connection': { phase: 'client_request', side: 'client' },
  // Stream module (ngx_stream_proxy_module.c)
  'initializing session': { phase: 'client_request', side: 'client' },
  'prereading client data': { phase: 'client_request', side: 'client' },
  'proxying and reading from upstream': { phase: 'reading_body', side: 'upstream' },
  'proxying and sending to upstream': { phase: 'sending_request', side: 'upstream' },
  'proxying and reading from client': { phase: 'client_request', side: 'client' },
  'proxying and sending to client': { phase: 'sending_to_client', side: 'client' },
  'proxying connection': { phase: 'proxying', side: 'both' },
};

/** Phase of an action string; unknown actions keep their words (snake_cased) so nothing is lost. */
export function phaseOf(action: string | undefined): Phase | undefined {
  if (action === undefined) return undefined;
  return PHASES[action] ?? { phase: action.trim().replace(/[^A-Za-z0-9]+/g, '_').toLowerCase(), side: 'both' };
}
