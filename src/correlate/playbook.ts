// What to do about each cause (DESIGN.md §3 playbook), and the next commands filled in with the
// real host, port and SNI from the evidence.
import type { Cause, Origin } from '../events.js';

export interface Target {
  host: string | null;
  port: string | null;
  sni: string | null;
  alpn: string[] | null;
  /** The upstream's unix socket path (`unix:/run/php-fpm.sock`), when it is one: fixes and commands differ. */
  socket?: string | null;
}

/** The path of a `unix:/path[:uri]` upstream, else null. */
export function unixSocket(addr: string | null): string | null {
  const m = addr ? /^(?:[a-z][a-z0-9+.-]*:\/\/)?unix:([^:]+)/i.exec(addr) : null;
  return m ? m[1] : null;
}

/**
 * What a failure with no cause of its own still says through its errno: EACCES (13) from connect() is the proxy
 * host's own policy refusing the connection (SELinux's httpd_can_network_connect, the commonest; AppArmor; a unix
 * socket's file mode), before any packet. nginx.md §2 lists it (`(13: Permission denied)`, `[crit]`).
 */
export interface ErrnoAdvice { origin: Origin; explanation: string; fix: string[]; next: string[] }
export function errnoAdvice(cause: Cause, errno: unknown, t: Target): ErrnoAdvice | null {
  if (cause !== 'unknown' || errno !== 13) return null;
  const what = t.socket ? `the unix socket ${t.socket}` : `${t.host ?? 'the upstream'}${t.port ? ':' + t.port : ''}`;
  return {
    origin: 'proxy',
    explanation: `The proxy's host denied the proxy's own connect() to ${what} (EACCES): a local security policy (SELinux httpd_can_network_connect, AppArmor)${t.socket ? ' or the socket file\'s owner and mode' : ''}, before any packet left.`,
    fix: t.socket
      ? [`Let the proxy's user reach ${t.socket}: the owning service's socket owner/group/mode (php-fpm listen.owner / listen.mode), and SELinux context if enforcing.`]
      : [`On SELinux hosts: setsebool -P httpd_can_network_connect 1 (or label the port: semanage port -a -t http_port_t -p tcp ${t.port ?? 'PORT'}); elsewhere check AppArmor profiles for the proxy.`],
    next: t.socket
      ? [`ls -l ${t.socket}`, 'getenforce', 'ausearch -m avc -ts recent | tail']
      : ['getenforce', 'getsebool httpd_can_network_connect', 'ausearch -m avc -ts recent | tail'],
  };
}

/** `refused` toward a unix socket: no TCP, and two different things behind ENOENT and ECONNREFUSED. */
export const EXPLAIN_UNIX_REFUSED = 'The upstream\'s unix socket refused the connection: the socket file is missing (ENOENT: the service is not running, or the proxy points at another path) or nothing accepts on it (ECONNREFUSED: a socket file left by a stopped process).';

/** Which hop a cause points at when nothing else says otherwise. */
export const DEFAULT_ORIGIN: Record<Cause, Origin> = {
  refused: 'upstream',
  connect_timeout: 'network',
  unreachable: 'network',
  tls: 'upstream',
  protocol_mismatch: 'proxy',
  pool_overflow: 'proxy',
  resource_exhaustion: 'proxy',
  no_healthy_upstream: 'upstream',
  upstream_reset: 'upstream',
  upstream_close: 'upstream',
  idle_race: 'upstream',
  timeout: 'upstream',
  middlebox_reset: 'network',
  local_reset: 'proxy',
  client_abort: 'client',
  unknown: 'unknown',
};

export const EXPLAIN: Record<Cause, string> = {
  refused: 'The upstream host answered the connection attempt with a TCP reset: nothing is listening on that port (or a firewall rejects it).',
  connect_timeout: 'The connection attempt to the upstream was never answered: SYNs went out and nothing came back before the connect timeout.',
  unreachable: 'The network reported the upstream unreachable (ICMP unreachable / no route to host).',
  tls: 'The TLS handshake with the upstream failed.',
  protocol_mismatch: 'The proxy and the upstream disagree on the application protocol (HTTP/2 vs HTTP/1.1, ALPN).',
  pool_overflow: 'The proxy refused the request because its connection pool or a circuit breaker was full, or the upstream refused new streams.',
  resource_exhaustion: 'The proxy host ran out of a local resource (ephemeral ports, file descriptors, worker connections) before any packet left.',
  no_healthy_upstream: 'The proxy had no healthy upstream host to send the request to.',
  upstream_reset: 'The upstream reset an established connection before sending response headers.',
  upstream_close: 'The upstream closed the connection (FIN) before or while sending the response.',
  idle_race: 'The upstream closed a pooled keep-alive connection just as the proxy reused it for a new request.',
  timeout: 'The upstream did not answer within the proxy\'s response timeout (a timeout, not a reset).',
  middlebox_reset: 'A reset was injected by something between the proxy and the upstream (firewall, NAT, load balancer): it does not fit the host it claims to come from.',
  local_reset: 'The proxy reset the stream itself (overload manager, local limits).',
  client_abort: 'The downstream client went away before the response was complete.',
  unknown: 'A failure we cannot place from the evidence given.',
};

export function fixFor(cause: Cause, t: Target): string[] {
  if (t.socket && cause === 'refused') {
    return [`Start the service that owns ${t.socket} (php-fpm, gunicorn, uwsgi ...) and check that the proxy points at the path it creates (its listen setting).`,
      'After a restart or deploy, the socket is recreated: give the proxy time or a retry, and check the socket\'s owner and mode let the proxy\'s user connect.'];
  }
  const hp = t.host ? `${t.host}${t.port ? ':' + t.port : ''}` : 'the upstream';
  switch (cause) {
    case 'refused': return [`Make sure the upstream process is running and listening on ${hp} (bind address 0.0.0.0 / the pod IP, not 127.0.0.1; the right containerPort / targetPort).`, 'If it is being restarted or deployed, drain it before stopping (readiness probe failing first, then preStop sleep).', 'If a firewall rejects the port, open it (security group, NetworkPolicy).'];
    case 'connect_timeout': return [`Open the path to ${hp}: firewall rules, security groups, Kubernetes NetworkPolicy dropping SYNs.`, 'Check that the upstream host is up and the address is current (stale endpoints / DNS).', 'Raise connect_timeout only if the network is slow, not to hide drops.'];
    case 'unreachable': return [`Fix routing to ${hp} (no route / host down / wrong subnet).`, 'Check that the endpoint still exists (stale endpoints, scaled-down pods).'];
    case 'tls': return [`Align TLS between proxy and ${hp}: protocol versions, trusted CA / certificate chain, SNI${t.sni ? ` (${t.sni})` : ''}, client certificates for mTLS.`, 'If the upstream speaks plaintext, do not originate TLS to it (or the reverse).'];
    case 'protocol_mismatch': return ['Make both sides agree on the protocol: enable h2 in the upstream\'s ALPN, or configure the proxy to speak HTTP/1.1 to it (Envoy: http_protocol_options / explicit_http_config; NGINX: proxy_http_version; gRPC needs h2).'];
    case 'pool_overflow': return ['Raise the circuit-breaker / pool limits (max_connections, max_pending_requests, max_requests, MAX_CONCURRENT_STREAMS) or add upstream replicas.'];
    case 'resource_exhaustion': return ['Widen the ephemeral port range (net.ipv4.ip_local_port_range), reuse upstream connections (keepalive), raise file-descriptor limits (ulimit -n, worker_rlimit_nofile) and worker_connections.'];
    case 'no_healthy_upstream': return ['Fix the health checks or the endpoints: readiness probes, outlier detection ejecting every host, an empty endpoint list.'];
    case 'upstream_reset': return [`Look at the upstream (${hp}) at that time: crashes, restarts, OOM kills, its own limits (max connections, request size), or an upstream proxy timing out.`, 'If a middlebox sits in between, capture on the upstream host to see whether it really sent the reset.'];
    case 'upstream_close': return [`The upstream (${hp}) closed the connection early: check its logs for errors at that time and its keep-alive / request timeouts.`];
    case 'idle_race': return ['Make the proxy\'s upstream idle timeout shorter than the upstream\'s keep-alive timeout (Envoy: common_http_protocol_options.idle_timeout; NGINX: keepalive_timeout in the upstream block), or enable retries on reset for idempotent requests.'];
    case 'timeout': return [`The upstream (${hp}) is slow: find the slow requests; raise the route timeout / proxy_read_timeout only if the slowness is expected.`];
    case 'middlebox_reset': return ['Escalate to the network team / cloud vendor with the captures and timestamps: a device between proxy and upstream (firewall idle timeout, NAT table, load balancer) is sending resets.', 'Enable TCP keepalives below the middlebox idle timeout; check MTU and PROXY protocol settings.'];
    case 'local_reset': return ['Check the proxy\'s overload manager and local limits (max requests, buffer limits) and its own logs at that time.'];
    case 'client_abort': return ['Not a server failure by itself: the client gave up (its own timeout or the user). If the upstream was slow, that is the thing to fix.'];
    case 'unknown': return ['Collect more evidence: a capture on the proxy host (tcpdump -i any), the proxy\'s debug log, and the upstream\'s logs at the same time.'];
  }
}

export function nextCommands(cause: Cause, t: Target): string[] {
  if (t.socket) return [`ls -l ${t.socket}`, `ss -xlp | grep -F '${t.socket}'`, `curl -v --unix-socket ${t.socket} http://localhost/`];
  const H = t.host ?? 'UPSTREAM_HOST';
  const P = t.port ?? 'PORT';
  const cmds: string[] = [];
  const tcpdump = `tcpdump -i any -nn -w reset.pcap 'host ${H} and port ${P}'`;
  switch (cause) {
    case 'tls': {
      const sni = t.sni ? ` -servername ${t.sni}` : '';
      const alpn = t.alpn?.length ? ` -alpn ${t.alpn.join(',')}` : ' -alpn h2,http/1.1';
      cmds.push(`openssl s_client -connect ${H}:${P}${sni}${alpn} -brief </dev/null`);
      cmds.push(`curl -v https://${t.sni ?? H}:${P}/ ${t.sni ? `--resolve ${t.sni}:${P}:${H}` : ''}`.trim());
      break;
    }
    case 'protocol_mismatch':
      cmds.push(`openssl s_client -connect ${H}:${P}${t.sni ? ` -servername ${t.sni}` : ''} -alpn h2 -brief </dev/null`);
      cmds.push(`curl -v --http2-prior-knowledge http://${H}:${P}/`);
      cmds.push(`curl -v --http1.1 http://${H}:${P}/`);
      break;
    case 'resource_exhaustion':
      cmds.push('ss -s', `ss -tn state time-wait dst ${H} | wc -l`, 'sysctl net.ipv4.ip_local_port_range', 'cat /proc/sys/fs/file-nr');
      break;
    case 'client_abort':
      cmds.push(`curl -v -o /dev/null -w '%{time_starttransfer}\\n' http://${H}:${P}/`);
      break;
    default:
      cmds.push(`nc -vz -w 3 ${H} ${P}`, `curl -v http://${H}:${P}/`);
  }
  cmds.push(`ss -tnp dst ${H}${t.port ? ` and dport = :${P}` : ''}`, tcpdump);
  return cmds;
}

/** Split "ip:port" / "[v6]:port" / "name:port" / URL into host and port. */
export function splitHostPort(addr: string | null): { host: string | null; port: string | null } {
  if (!addr) return { host: null, port: null };
  let a = addr.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').replace(/\/.*$/, '');
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(a);
  if (v6) return { host: v6[1], port: v6[2] ?? null };
  const m = /^(.*):(\d+)$/.exec(a);
  if (m && !m[1].includes(':')) return { host: m[1], port: m[2] };
  return { host: a || null, port: null };
}
