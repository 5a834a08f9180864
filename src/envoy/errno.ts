// errno numbers and strerror() texts that Envoy prints in connect errors (envoy.md §3.5:
// `delayed connect error: 111` before envoy PR #35154, `... Connection refused` after it).
// Linux numbering (Envoy's builds); Windows WSA codes for Envoy on Windows (DESIGN.md §3: 10061).
import type { Cause } from '../events.js';

export interface ErrnoInfo { errno: number; name: string; text: string; cause: Cause }

export const ERRNOS: readonly ErrnoInfo[] = [
  { errno: 111, name: 'ECONNREFUSED', text: 'Connection refused', cause: 'refused' },
  { errno: 110, name: 'ETIMEDOUT', text: 'Connection timed out', cause: 'connect_timeout' },
  { errno: 113, name: 'EHOSTUNREACH', text: 'No route to host', cause: 'unreachable' },
  { errno: 101, name: 'ENETUNREACH', text: 'Network is unreachable', cause: 'unreachable' },
  { errno: 112, name: 'EHOSTDOWN', text: 'Host is down', cause: 'unreachable' },
  { errno: 99, name: 'EADDRNOTAVAIL', text: 'Cannot assign requested address', cause: 'resource_exhaustion' },
  { errno: 98, name: 'EADDRINUSE', text: 'Address already in use', cause: 'resource_exhaustion' },
  { errno: 24, name: 'EMFILE', text: 'Too many open files', cause: 'resource_exhaustion' },
  { errno: 23, name: 'ENFILE', text: 'Too many open files in system', cause: 'resource_exhaustion' },
  { errno: 105, name: 'ENOBUFS', text: 'No buffer space available', cause: 'resource_exhaustion' },
  { errno: 12, name: 'ENOMEM', text: 'Cannot allocate memory', cause: 'resource_exhaustion' },
  { errno: 104, name: 'ECONNRESET', text: 'Connection reset by peer', cause: 'upstream_reset' },
  { errno: 32, name: 'EPIPE', text: 'Broken pipe', cause: 'upstream_close' },
  // A local firewall (iptables/nftables REJECT with admin-prohibited, eBPF policy) fails connect() with these.
  { errno: 1, name: 'EPERM', text: 'Operation not permitted', cause: 'unreachable' },
  { errno: 13, name: 'EACCES', text: 'Permission denied', cause: 'unreachable' },
  { errno: 97, name: 'EAFNOSUPPORT', text: 'Address family not supported by protocol', cause: 'unreachable' },
  { errno: 10061, name: 'WSAECONNREFUSED', text: 'No connection could be made because the target machine actively refused it.', cause: 'refused' },
  { errno: 10060, name: 'WSAETIMEDOUT', text: 'A connection attempt failed because the connected party did not properly respond after a period of time', cause: 'connect_timeout' },
  { errno: 10065, name: 'WSAEHOSTUNREACH', text: 'A socket operation was attempted to an unreachable host.', cause: 'unreachable' },
  { errno: 10051, name: 'WSAENETUNREACH', text: 'A socket operation was attempted to an unreachable network.', cause: 'unreachable' },
  { errno: 10054, name: 'WSAECONNRESET', text: 'An existing connection was forcibly closed by the remote host.', cause: 'upstream_reset' },
];

const BY_NUM = new Map<number, ErrnoInfo>();
const BY_TEXT = new Map<string, ErrnoInfo>();
for (const e of ERRNOS) {
  BY_NUM.set(e.errno, e);
  BY_TEXT.set(e.text.toLowerCase(), e);
}

/** `111`, `Connection refused`, `Connection_refused`, `ECONNREFUSED` to the errno entry. */
export function lookupErrno(text: string): ErrnoInfo | undefined {
  const t = text.trim().replace(/_/g, ' ');
  if (/^\d+$/.test(t)) return BY_NUM.get(Number(t));
  const lower = t.toLowerCase();
  const hit = BY_TEXT.get(lower) ?? BY_TEXT.get(lower.replace(/\.$/, ''));
  if (hit) return hit;
  for (const e of ERRNOS) if (e.name.toLowerCase() === lower.replace(/ /g, '_')) return e;
  // strerror text followed by more (PR #34286 appends `remote address family: ...`).
  for (const e of ERRNOS) if (lower.startsWith(e.text.toLowerCase())) return e;
  return undefined;
}
