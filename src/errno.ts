// The one errno table: number <-> symbolic name <-> the texts each C library prints, and the cause
// (DESIGN.md §3) the error means when a proxy's connect()/recv() to its upstream fails with it.
//
// Sources: glibc sysdeps/gnu/errlist (Linux numbers), musl src/errno/__strerror.h (same numbers,
// several different words), FreeBSD lib/libc/gen/errlst.c and macOS <sys/errno.h> (BSD numbers),
// Winsock WSAE* codes (winerror.h, nginx src/os/win32/ngx_errno.h; FormatMessage texts).
// Users: nginx's " (N: text)" (by number; the text only breaks BSD-vs-Linux ties — nginx.md §1.1, §4),
// Envoy's `delayed connect error: 111` / `... Connection refused` (envoy.md §3.5, by number or text).
import type { Cause } from './events.js';

export type Platform = 'linux' | 'bsd' | 'windows' | 'any';

export interface ErrnoEntry {
  /** POSIX symbol: ECONNREFUSED, ETIMEDOUT ... */
  name: string;
  linux: number;
  /** FreeBSD / macOS number (same as Linux below 35). */
  bsd: number;
  /** Winsock WSAE* code, when Winsock has one. */
  windows: number | null;
  glibc: string;
  musl: string;
  bsdText: string;
  /** FormatMessage text without the final '.' (nginx strips it; Envoy keeps it). */
  windowsText: string | null;
  /** What it means for a proxy talking to its upstream (callers with a phase may refine it). */
  cause: Cause;
}

const E = (name: string, linux: number, bsd: number, windows: number | null, glibc: string, musl: string, bsdText: string, windowsText: string | null, cause: Cause): ErrnoEntry =>
  ({ name, linux, bsd, windows, glibc, musl, bsdText, windowsText, cause });

export const ERRNO_TABLE: readonly ErrnoEntry[] = [
  E('ECONNREFUSED', 111, 61, 10061, 'Connection refused', 'Connection refused', 'Connection refused',
    'No connection could be made because the target machine actively refused it', 'refused'),
  E('ETIMEDOUT', 110, 60, 10060, 'Connection timed out', 'Operation timed out', 'Operation timed out',
    'A connection attempt failed because the connected party did not properly respond after a period of time, or established connection failed because connected host has failed to respond', 'connect_timeout'),
  E('EHOSTUNREACH', 113, 65, 10065, 'No route to host', 'Host is unreachable', 'No route to host',
    'A socket operation was attempted to an unreachable host', 'unreachable'),
  E('ENETUNREACH', 101, 51, 10051, 'Network is unreachable', 'Network unreachable', 'Network is unreachable',
    'A socket operation was attempted to an unreachable network', 'unreachable'),
  E('EHOSTDOWN', 112, 64, 10064, 'Host is down', 'Host is down', 'Host is down',
    'A socket operation failed because the destination host was down', 'unreachable'),
  E('ENETDOWN', 100, 50, 10050, 'Network is down', 'Network is down', 'Network is down',
    'A socket operation encountered a dead network', 'unreachable'),
  // A local firewall (iptables/nftables REJECT admin-prohibited, eBPF policy) fails connect() with these.
  E('EPERM', 1, 1, null, 'Operation not permitted', 'Operation not permitted', 'Operation not permitted', null, 'unreachable'),
  E('EACCES', 13, 13, 10013, 'Permission denied', 'Permission denied', 'Permission denied',
    'An attempt was made to access a socket in a way forbidden by its access permissions', 'unreachable'),
  E('EAFNOSUPPORT', 97, 47, 10047, 'Address family not supported by protocol', 'Address family not supported by protocol',
    'Address family not supported by protocol family', 'An address incompatible with the requested protocol was used', 'unreachable'),
  E('EADDRNOTAVAIL', 99, 49, 10049, 'Cannot assign requested address', 'Address not available', "Can't assign requested address",
    'The requested address is not valid in its context', 'resource_exhaustion'),
  E('EADDRINUSE', 98, 48, 10048, 'Address already in use', 'Address in use', 'Address already in use',
    'Only one usage of each socket address (protocol/network address/port) is normally permitted', 'resource_exhaustion'),
  E('EMFILE', 24, 24, 10024, 'Too many open files', 'No file descriptors available', 'Too many open files', 'Too many open sockets', 'resource_exhaustion'),
  E('ENFILE', 23, 23, null, 'Too many open files in system', 'Too many open files in system', 'Too many open files in system', null, 'resource_exhaustion'),
  E('ENOBUFS', 105, 55, 10055, 'No buffer space available', 'No buffer space available', 'No buffer space available',
    'An operation on a socket could not be performed because the system lacked sufficient buffer space or because a queue was full', 'resource_exhaustion'),
  E('ENOMEM', 12, 12, null, 'Cannot allocate memory', 'Out of memory', 'Cannot allocate memory', null, 'resource_exhaustion'),
  E('ECONNRESET', 104, 54, 10054, 'Connection reset by peer', 'Connection reset by peer', 'Connection reset by peer',
    'An existing connection was forcibly closed by the remote host', 'upstream_reset'),
  E('ECONNABORTED', 103, 53, 10053, 'Software caused connection abort', 'Connection aborted', 'Software caused connection abort',
    'An established connection was aborted by the software in your host machine', 'upstream_reset'),
  E('EPIPE', 32, 32, null, 'Broken pipe', 'Broken pipe', 'Broken pipe', null, 'upstream_close'),
  E('ENOTCONN', 107, 57, 10057, 'Transport endpoint is not connected', 'Socket not connected', 'Socket is not connected',
    'A request to send or receive data was disallowed because the socket is not connected', 'unknown'),
  E('EAGAIN', 11, 35, 10035, 'Resource temporarily unavailable', 'Resource temporarily unavailable', 'Resource temporarily unavailable',
    'A non-blocking socket operation could not be completed immediately', 'unknown'),
  E('ENOENT', 2, 2, null, 'No such file or directory', 'No such file or directory', 'No such file or directory', null, 'unknown'),
  E('EINVAL', 22, 22, 10022, 'Invalid argument', 'Invalid argument', 'Invalid argument', 'An invalid argument was supplied', 'unknown'),
];

/** One resolved errno: which entry, which number was printed, on which platform's numbering. */
export interface ErrnoInfo {
  errno: number;
  name: string;
  /** The text for that platform (glibc wording for Linux). */
  text: string;
  cause: Cause;
  platform: Platform;
  entry: ErrnoEntry;
}

const BY_LINUX = new Map<number, ErrnoEntry>();
const BY_BSD = new Map<number, ErrnoEntry>();
const BY_WINDOWS = new Map<number, ErrnoEntry>();
const BY_NAME = new Map<string, ErrnoEntry>();
/** Lower-case text (no final '.') -> [entry, platform that words it so]. */
const BY_TEXT = new Map<string, [ErrnoEntry, Platform]>();
for (const e of ERRNO_TABLE) {
  BY_LINUX.set(e.linux, e);
  BY_BSD.set(e.bsd, e);
  if (e.windows !== null) BY_WINDOWS.set(e.windows, e);
  BY_NAME.set(e.name.toLowerCase(), e);
  if (e.windows !== null) BY_NAME.set('wsa' + e.name.toLowerCase(), e);
  const add = (t: string | null, p: Platform) => { if (t !== null && !BY_TEXT.has(t.toLowerCase())) BY_TEXT.set(t.toLowerCase(), [e, p]); };
  add(e.glibc, 'linux');
  add(e.musl, 'linux');
  add(e.bsdText, 'bsd');
  add(e.windowsText, 'windows');
}
/** Longest first, so `Too many open files in system` wins over `Too many open files`. */
const TEXTS_LONGEST_FIRST = [...BY_TEXT.keys()].sort((a, b) => b.length - a.length);

function info(e: ErrnoEntry, platform: Platform): ErrnoInfo {
  const num = platform === 'bsd' ? e.bsd : platform === 'windows' ? e.windows! : e.linux;
  const text = platform === 'bsd' ? e.bsdText : platform === 'windows' ? e.windowsText! : e.glibc;
  return { errno: num, name: e.name, text, cause: e.cause, platform, entry: e };
}

// Words only the BSD texts of the colliding numbers use (Linux 61 is ENODATA "No data available",
// 60 ENOSTR, 54 EXFULL, 65 ENOPKG, 51 EL2HLT, 49 EUNATCH, 35 EDEADLK — none of them from socket calls).
const BSD_TEXT = /refused|timed out|reset|route|unreachable|assign|address|temporarily|network|connect|host|buffer|abort/i;

/**
 * Name an errno by number as a C library printed it; `text` (the strerror next to it, if any) only breaks
 * ties between BSD and Linux numbering. Builds outside NGX_SYS_NERR print "Unknown error"
 * (mattermost-load-test-ng#719): the number still decides.
 */
export function errnoByNumber(num: number, text?: string): ErrnoInfo | undefined {
  if (num >= 10000) {
    const w = BY_WINDOWS.get(num);
    return w ? info(w, 'windows') : undefined;
  }
  const l = BY_LINUX.get(num);
  const b = BY_BSD.get(num);
  if (l && l === b) return info(l, 'any');
  if (l) return info(l, 'linux');
  if (b) {
    // "Unknown error" or a BSD text both mean BSD here: nothing else logs these numbers from sockets.
    if (text === undefined || BSD_TEXT.test(text) || /unknown error/i.test(text) || errnoByText(text)?.entry === b) return info(b, 'bsd');
  }
  return undefined;
}

/**
 * strerror / FormatMessage text (any platform's wording, `_` for spaces as in Envoy's access logs, a
 * final '.' or more text after it — Envoy PR #34286 appends `|remote address family: ...`) to the errno.
 */
export function errnoByText(text: string): ErrnoInfo | undefined {
  const lower = text.trim().replace(/_/g, ' ').replace(/\.$/, '').toLowerCase();
  if (lower === '') return undefined;
  const hit = BY_TEXT.get(lower);
  if (hit) return info(hit[0], hit[1]);
  for (const t of TEXTS_LONGEST_FIRST) {
    // More text after a known one; or a long Windows message cut short by the logger.
    if (lower.startsWith(t) || (lower.length >= 24 && t.startsWith(lower))) {
      const [e, p] = BY_TEXT.get(t)!;
      return info(e, p);
    }
  }
  return undefined;
}

/** `111`, `10061`, `Connection refused`, `Connection_refused`, `ECONNREFUSED`, `WSAECONNREFUSED` to the errno. */
export function lookupErrno(text: string): ErrnoInfo | undefined {
  const t = text.trim();
  if (/^\d+$/.test(t)) return errnoByNumber(Number(t));
  const byName = BY_NAME.get(t.toLowerCase());
  if (byName) return info(byName, t.toLowerCase().startsWith('wsa') ? 'windows' : 'linux');
  return errnoByText(t);
}
