// Envoy command operators (usage.rst / substitution_formatter.rst, envoy.md §1.4) -> the record field
// they fill and the shape of their value (which lets a compiled format reject a line that does not fit).

/** Fields of a parsed access-log record. */
export const FIELDS = [
  'start_time', 'method', 'path', 'protocol', 'response_code', 'response_flags', 'details', 'termination_details',
  'transport_failure_reason', 'bytes_received', 'bytes_sent', 'duration', 'upstream_service_time', 'x_forwarded_for',
  'user_agent', 'request_id', 'authority', 'upstream_host', 'upstream_cluster', 'upstream_local_address',
  'downstream_local_address', 'downstream_remote_address', 'requested_server_name', 'route_name', 'upstream_protocol',
  'attempt_count', 'connection_id', 'upstream_connection_id', 'extra',
] as const;
export type FieldKey = (typeof FIELDS)[number];

/** Value shapes: int (digits or `-`), flags, time, token (no spaces), details (may hold `{a b}`), text. */
export type ValueKind = 'int' | 'code' | 'flags' | 'time' | 'token' | 'details' | 'text';

export interface OperatorSpec { field: FieldKey; kind: ValueKind }

const SIMPLE: Record<string, OperatorSpec> = {
  START_TIME: { field: 'start_time', kind: 'time' },
  PROTOCOL: { field: 'protocol', kind: 'token' },
  UPSTREAM_PROTOCOL: { field: 'upstream_protocol', kind: 'token' },
  RESPONSE_CODE: { field: 'response_code', kind: 'code' },
  RESPONSE_FLAGS: { field: 'response_flags', kind: 'flags' },
  RESPONSE_FLAGS_LONG: { field: 'response_flags', kind: 'flags' },
  RESPONSE_CODE_DETAILS: { field: 'details', kind: 'details' },
  CONNECTION_TERMINATION_DETAILS: { field: 'termination_details', kind: 'details' },
  UPSTREAM_TRANSPORT_FAILURE_REASON: { field: 'transport_failure_reason', kind: 'text' },
  BYTES_RECEIVED: { field: 'bytes_received', kind: 'int' },
  BYTES_SENT: { field: 'bytes_sent', kind: 'int' },
  DURATION: { field: 'duration', kind: 'int' },
  UPSTREAM_HOST: { field: 'upstream_host', kind: 'token' },
  UPSTREAM_REMOTE_ADDRESS: { field: 'upstream_host', kind: 'token' },
  UPSTREAM_CLUSTER: { field: 'upstream_cluster', kind: 'token' },
  UPSTREAM_CLUSTER_RAW: { field: 'upstream_cluster', kind: 'token' },
  UPSTREAM_LOCAL_ADDRESS: { field: 'upstream_local_address', kind: 'token' },
  DOWNSTREAM_LOCAL_ADDRESS: { field: 'downstream_local_address', kind: 'token' },
  DOWNSTREAM_REMOTE_ADDRESS: { field: 'downstream_remote_address', kind: 'token' },
  DOWNSTREAM_DIRECT_REMOTE_ADDRESS: { field: 'downstream_remote_address', kind: 'token' },
  REQUESTED_SERVER_NAME: { field: 'requested_server_name', kind: 'token' },
  ROUTE_NAME: { field: 'route_name', kind: 'token' },
  UPSTREAM_REQUEST_ATTEMPT_COUNT: { field: 'attempt_count', kind: 'int' },
  CONNECTION_ID: { field: 'connection_id', kind: 'int' },
  UPSTREAM_CONNECTION_ID: { field: 'upstream_connection_id', kind: 'int' },
  METHOD: { field: 'method', kind: 'token' },
};

// Integer-valued operators we do not keep but must still recognise as numbers.
const INT_OPS = new Set([
  'REQUEST_DURATION', 'REQUEST_TX_DURATION', 'RESPONSE_DURATION', 'RESPONSE_TX_DURATION', 'UPSTREAM_WIRE_BYTES_SENT',
  'UPSTREAM_WIRE_BYTES_RECEIVED', 'DOWNSTREAM_WIRE_BYTES_SENT', 'DOWNSTREAM_WIRE_BYTES_RECEIVED', 'UPSTREAM_HEADER_BYTES_SENT',
  'UPSTREAM_HEADER_BYTES_RECEIVED', 'BYTES_RETRANSMITTED', 'PACKETS_RETRANSMITTED', 'UPSTREAM_CONNECTION_POOL_READY_DURATION',
  'GRPC_STATUS_NUMBER', 'REQUEST_HEADERS_BYTES', 'RESPONSE_HEADERS_BYTES', 'RESPONSE_TRAILERS_BYTES', 'UPSTREAM_PEER_PORT',
]);

/** What `%NAME(arg)%` fills; REQ/RESP/TRAILER headers are mapped by header name. */
export function operatorSpec(name: string, arg: string | undefined): OperatorSpec {
  const s = SIMPLE[name];
  if (s) return s;
  if (INT_OPS.has(name)) return { field: 'extra', kind: 'int' };
  if (name === 'REQ' && arg) {
    // `X-ENVOY-ORIGINAL-PATH?:PATH`: the first alternative that is set.
    const h = arg.split('?')[0].toLowerCase();
    const alt = (arg.split('?')[1] ?? '').toLowerCase();
    if (h === ':method') return { field: 'method', kind: 'token' };
    if (h === ':path' || h === 'x-envoy-original-path' || alt === ':path') return { field: 'path', kind: 'text' };
    if (h === ':authority' || h === 'host') return { field: 'authority', kind: 'text' };
    if (h === 'x-request-id') return { field: 'request_id', kind: 'text' };
    if (h === 'x-forwarded-for') return { field: 'x_forwarded_for', kind: 'text' };
    if (h === 'user-agent') return { field: 'user_agent', kind: 'text' };
    return { field: 'extra', kind: 'text' };
  }
  if (name === 'RESP' && arg && arg.toLowerCase() === 'x-envoy-upstream-service-time') return { field: 'upstream_service_time', kind: 'int' };
  if (name === 'PATH') return { field: 'path', kind: 'text' };
  return { field: 'extra', kind: 'text' };
}
