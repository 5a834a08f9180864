// errno numbers nginx prints as " (N: text)" — matched by NUMBER, never by text (nginx.md §1.1, §4):
// glibc, musl and Windows word the same error differently, and builds outside NGX_SYS_NERR print
// "Unknown error" (`connect() failed (111: Unknown error)`, mattermost-load-test-ng#719).
// Texts are kept only to tell the platform apart where numbers collide (BSD 61 vs Linux 61).

export interface Errno {
  /** POSIX symbol: ECONNREFUSED, ETIMEDOUT ... */
  name: string;
  platform: 'linux' | 'bsd' | 'windows' | 'any';
}

/** Linux (glibc and musl share numbers; musl words several differently — MUSL src/errno/__strerror.h). */
const LINUX: Record<number, string> = {
  2: 'ENOENT', 11: 'EAGAIN', 13: 'EACCES', 22: 'EINVAL', 23: 'ENFILE', 24: 'EMFILE', 32: 'EPIPE',
  99: 'EADDRNOTAVAIL', 100: 'ENETDOWN', 101: 'ENETUNREACH', 103: 'ECONNABORTED', 104: 'ECONNRESET',
  107: 'ENOTCONN', 110: 'ETIMEDOUT', 111: 'ECONNREFUSED', 112: 'EHOSTDOWN', 113: 'EHOSTUNREACH',
};

/** FreeBSD / macOS (BSD lib/libc/gen/errlst.c). 2, 13, 22, 23, 24, 32 coincide with Linux. */
const BSD: Record<number, string> = {
  35: 'EAGAIN', 49: 'EADDRNOTAVAIL', 50: 'ENETDOWN', 51: 'ENETUNREACH', 53: 'ECONNABORTED',
  54: 'ECONNRESET', 57: 'ENOTCONN', 60: 'ETIMEDOUT', 61: 'ECONNREFUSED', 64: 'EHOSTDOWN', 65: 'EHOSTUNREACH',
};

/** Windows WSA codes (src/os/win32/ngx_errno.h); nginx prints FormatMessage text without the final '.'. */
const WINDOWS: Record<number, string> = {
  10024: 'EMFILE', 10035: 'EAGAIN', 10049: 'EADDRNOTAVAIL', 10050: 'ENETDOWN', 10051: 'ENETUNREACH',
  10053: 'ECONNABORTED', 10054: 'ECONNRESET', 10057: 'ENOTCONN', 10060: 'ETIMEDOUT', 10061: 'ECONNREFUSED',
  10064: 'EHOSTDOWN', 10065: 'EHOSTUNREACH',
};

const SHARED = new Set([2, 13, 22, 23, 24, 32]);

// Words that only the BSD texts of the colliding numbers use (Linux 61 is ENODATA "No data available",
// 60 ENOSTR, 54 EXFULL, 65 ENOPKG, 51 EL2HLT, 49 EUNATCH, 35 EDEADLK — none of them from socket calls).
const BSD_TEXT = /refused|timed out|reset|route|unreachable|assign|address|temporarily|network|connect|host/i;

/** Name an errno by number; the text only breaks ties between BSD and Linux numbering. */
export function errnoOf(num: number, text: string | undefined): Errno | undefined {
  if (SHARED.has(num)) return { name: LINUX[num], platform: 'any' };
  if (num >= 10000) {
    const w = WINDOWS[num];
    return w ? { name: w, platform: 'windows' } : undefined;
  }
  const l = LINUX[num];
  const b = BSD[num];
  if (l && !b) return { name: l, platform: 'linux' };
  if (b && !l) {
    // "Unknown error" or a real BSD text both mean BSD here: nothing else logs these numbers from sockets.
    if (text === undefined || BSD_TEXT.test(text) || /unknown error/i.test(text)) return { name: b, platform: 'bsd' };
    return undefined;
  }
  return undefined;
}
