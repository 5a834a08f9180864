// Built-in text formats: Envoy's default and every Istio proxy format by version (envoy.md §1.1, §1.2,
// read from envoyproxy/envoy usage.rst and istio/istio listener.go / accesslog.go / telemetry_logging.go
// at each tag). They are data: compiled by format-compiler.ts like a user's own --envoy-format.

export interface BuiltinFormat {
  name: string;
  format: string;
  /** Where it comes from. */
  origin: string;
}

const HEAD = '[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE% %RESPONSE_FLAGS%';
const TAIL_DEFAULT = '%BYTES_RECEIVED% %BYTES_SENT% %DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%" "%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%"';
const ADDRS = '%UPSTREAM_CLUSTER% %UPSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_REMOTE_ADDRESS%';

export const BUILTIN_FORMATS: readonly BuiltinFormat[] = [
  { name: 'envoy-default', origin: 'envoy usage.rst "Default Format String"', format: `${HEAD} ${TAIL_DEFAULT}\n` },
  {
    // The default with %RESPONSE_CODE_DETAILS% after the flags: a common edit (renuka-fernando/examples, Envoy 1.24 lab).
    name: 'envoy-default+details', origin: 'Envoy default with %RESPONSE_CODE_DETAILS% (corpus envoy-access-default lines)',
    format: `${HEAD} %RESPONSE_CODE_DETAILS% ${TAIL_DEFAULT}\n`,
  },
  { name: 'istio-1.0', origin: 'istio 1.0.6 pilot/pkg/networking/core/v1alpha3/listener.go', format: `${HEAD} ${TAIL_DEFAULT} ${ADDRS}\n` },
  {
    name: 'istio-1.0-tcp', origin: 'istio 1.0.6 listener.go (TCP)',
    format: '[%START_TIME%] %RESPONSE_FLAGS% %BYTES_RECEIVED% %BYTES_SENT% %DURATION% "%UPSTREAM_HOST%" %UPSTREAM_CLUSTER% %UPSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_REMOTE_ADDRESS%\n',
  },
  {
    name: 'istio-1.1', origin: 'istio 1.1 listener.go',
    format: `${HEAD} "%DYNAMIC_METADATA(istio.mixer:status)%" ${TAIL_DEFAULT} ${ADDRS} %REQUESTED_SERVER_NAME%\n`,
  },
  {
    name: 'istio-1.2', origin: 'istio 1.2 listener.go (EnvoyTextLogFormat12 in 1.3–1.5)',
    format: `${HEAD} "%DYNAMIC_METADATA(istio.mixer:status)%" "%UPSTREAM_TRANSPORT_FAILURE_REASON%" ${TAIL_DEFAULT} ${ADDRS} %REQUESTED_SERVER_NAME%\n`,
  },
  {
    name: 'istio-1.3', origin: 'istio 1.3–1.7 listener.go (EnvoyTextLogFormat13)',
    format: `${HEAD} "%DYNAMIC_METADATA(istio.mixer:status)%" "%UPSTREAM_TRANSPORT_FAILURE_REASON%" ${TAIL_DEFAULT} ${ADDRS} %REQUESTED_SERVER_NAME% %ROUTE_NAME%\n`,
  },
  {
    name: 'istio-1.8', origin: 'istio 1.8 v1alpha3/accesslog.go',
    format: `${HEAD} "%UPSTREAM_TRANSPORT_FAILURE_REASON%" ${TAIL_DEFAULT} ${ADDRS} %REQUESTED_SERVER_NAME% %ROUTE_NAME%\n`,
  },
  {
    name: 'istio-1.9', origin: 'istio 1.9–1.22 accesslog.go / pilot/pkg/model/telemetry_logging.go',
    format: `${HEAD} %RESPONSE_CODE_DETAILS% %CONNECTION_TERMINATION_DETAILS% "%UPSTREAM_TRANSPORT_FAILURE_REASON%" ${TAIL_DEFAULT} ${ADDRS} %REQUESTED_SERVER_NAME% %ROUTE_NAME%\n`,
  },
  {
    // Emissary-ingress / Ambassador: Envoy's default behind `ACCESS ` (python/ambassador/envoy/v3/v3listener.py and
    // v3ready.py, the text log_format used when envoy_log_format is unset).
    name: 'emissary', origin: 'emissary-ingress (Ambassador) default text access log',
    format: `ACCESS ${HEAD} ${TAIL_DEFAULT}\n`,
  },
  {
    name: 'istio-1.23', origin: 'istio 1.23+ telemetry_logging.go (%UPSTREAM_CLUSTER_RAW%, istio/istio#52384)',
    format: `${HEAD} %RESPONSE_CODE_DETAILS% %CONNECTION_TERMINATION_DETAILS% "%UPSTREAM_TRANSPORT_FAILURE_REASON%" ${TAIL_DEFAULT} ${ADDRS.replace('%UPSTREAM_CLUSTER%', '%UPSTREAM_CLUSTER_RAW%')} %REQUESTED_SERVER_NAME% %ROUTE_NAME%\n`,
  },
];

/** Istio's JSON encoding keys (EnvoyJSONLogFormatIstio, telemetry_logging.go; envoy.md §1.2). */
export const ISTIO_JSON_FORMAT: Record<string, string> = {
  start_time: '%START_TIME%', route_name: '%ROUTE_NAME%', method: '%REQ(:METHOD)%', path: '%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%',
  protocol: '%PROTOCOL%', response_code: '%RESPONSE_CODE%', response_flags: '%RESPONSE_FLAGS%',
  response_code_details: '%RESPONSE_CODE_DETAILS%', connection_termination_details: '%CONNECTION_TERMINATION_DETAILS%',
  bytes_received: '%BYTES_RECEIVED%', bytes_sent: '%BYTES_SENT%', duration: '%DURATION%',
  upstream_service_time: '%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)%', x_forwarded_for: '%REQ(X-FORWARDED-FOR)%',
  user_agent: '%REQ(USER-AGENT)%', request_id: '%REQ(X-REQUEST-ID)%', authority: '%REQ(:AUTHORITY)%',
  upstream_host: '%UPSTREAM_HOST%', upstream_cluster: '%UPSTREAM_CLUSTER_RAW%', upstream_local_address: '%UPSTREAM_LOCAL_ADDRESS%',
  downstream_local_address: '%DOWNSTREAM_LOCAL_ADDRESS%', downstream_remote_address: '%DOWNSTREAM_REMOTE_ADDRESS%',
  requested_server_name: '%REQUESTED_SERVER_NAME%', upstream_transport_failure_reason: '%UPSTREAM_TRANSPORT_FAILURE_REASON%',
};
