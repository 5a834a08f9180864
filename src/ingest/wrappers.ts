// Collector wrappers around log lines, peeled off before any format parser sees the line
// (envoy.md §7 "Collector prefixes"). Format-agnostic: NGINX and Envoy inputs share it.
//   kubectl logs --prefix      `[pod/web-7d9c/istio-proxy] <line>`
//   kubectl logs --timestamps  `2024-07-20T07:09:48.471209278Z <line>` (RFC3339Nano)
//   stern                      `web-7d9c-x2x istio-proxy <line>` (ANSI colours stripped)
//   docker compose logs [-t]   `envoy-1         | [2024-...Z ]<line>`
//   Docker json-file           `{"log":"<line>\n","stream":"stdout","time":"2024-...Z"}`
//   Loki logcli                `2024-07-20T07:09:48Z {app="envoy", pod="web-7d9c"}   <line>` (default output: labels
//                              padded to one width) and `{"labels":{...},"line":"<line>","timestamp":"..."}` (--output jsonl)
//   CRI (containerd, CRI-O)    `2024-07-20T07:09:48.471209278Z stdout F <line>` (`P` = partial line)
//   grep -n                    `3236824:<line>` / `3236824-<line>` (only before `[` or `{`)
//   journald / syslog          `Nov 21 10:03:25 vm envoy[5031]: <line>` and every `journalctl -o short*` time
//                              (`-precise`, `-iso`, `-iso-precise`, `-full`, `-unix`, `--no-hostname`); `<PRI>` first
//                              when read off the wire (nginx `error_log syslog:`, RFC 3164)
// Wrappers nest (compose prefix + timestamp, kubectl prefix + timestamp); they are peeled in a loop.
import { parseIso } from '../time.js';
import { isJsonWrapperLine } from './quick-bytes.js';

export interface Unwrapped {
  line: string;
  /** The collector's own timestamp, µs since the epoch, when the wrapper had one. */
  collectorTimeUs?: number;
  /** The wrapper's source label (pod/container/service name), when it had one. */
  origin?: string;
  /** `stdout` / `stderr` when the wrapper said. */
  stream?: string;
  /** A partial line (CRI `P`, Docker json-file without a trailing newline): the next one continues it. */
  partial?: boolean;
  /** Which wrappers were removed, outermost first (`compose`, `timestamp`, `cri`, `docker-json`, `kubectl-prefix`, `stern`, `grep-n`, `syslog`, `logcli-json`, `logcli-labels`). */
  wrappers?: string[];
}

// RFC 3339 with optional fraction; Go's RFC3339Nano trims trailing zeros, so 0–9 digits.
const CRI_RE = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})) (stdout|stderr) ([FP])(?: |$)/;
const TS_RE = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.(\d{1,9}))?(?:Z|[+-]\d{2}:\d{2})) (?=\S)/;
const KUBECTL_RE = /^\[pod\/([^/\]\s]+)\/([^\]\s]+)\] /;
const COMPOSE_RE = /^([A-Za-z0-9][\w.-]*) +\| ?/;
// Pod names from controllers carry a `-suffix`; the message must start like a log line, so prose
// such as "upstream connect error ..." is never taken for `pod container`.
const STERN_RE = /^([a-z0-9][a-z0-9.]*(?:-[a-z0-9.]+)+) ([a-z0-9](?:[a-z0-9-]*[a-z0-9])?) (?=[[{"0-9])/;
const GREP_N_RE = /^\d{1,10}[:-](?=[[{])/;
const DATE_NEXT_RE = /^\d{4}[-/]\d\d[-/]\d\d[T ]\d\d:/;
// A Prometheus label set as logcli prints it (labels.String(): Go-quoted values), padded with spaces.
const LOKI_LABELS_RE = /^\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*"(?:, )?)*\} +/;
// journalctl's short outputs (systemd 252, test/fixtures/journald) and RFC 3164: a time, the host (not with
// --no-hostname), the identifier with its pid, `: `. Group 1: an ISO time, 2: epoch seconds (the only ones with a date).
const SYSLOG_RE = new RegExp('^(?:<\\d{1,3}>)?(?:[A-Z][a-z]{2} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d(?:\\.\\d{1,6})?'
  + '|(\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(?:\\.\\d{1,9})?(?:Z|[+-]\\d\\d:?\\d\\d))'
  + '|[A-Z][a-z]{2} \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d(?:\\.\\d{1,6})? [A-Za-z][\\w+-]*'
  + '|(\\d{9,10}\\.\\d{6})) (?:(\\S+) )?([A-Za-z0-9_][\\w.@-]*)(?:\\[\\d+\\])?: ');
const ANSI_RE = /\x1b\[[0-9;]*[A-Za-z]/g;
const LEVEL_RE = /^(trace|debug|info|warn|warning|error|critical|fatal|notice)\b/i;

/** Peel every collector wrapper off one line. Never throws; an unwrapped line comes back as is. */
export function unwrapLine(line: string): Unwrapped {
  const c0 = line.charCodeAt(0);
  // Fast exit for the common bare shapes: `[2024-` (Envoy), `{"` without "log" (JSON logs), `10.` (NGINX).
  if (c0 === 91 /* [ */ && !line.startsWith('[pod/')) return { line };
  if (c0 === 123 /* { */ && !isJsonWrapperLine(line)) return { line };
  const out: Unwrapped = { line };
  let s = line;
  if (s.indexOf('\x1b') >= 0) s = s.replace(ANSI_RE, '');
  const wrappers: string[] = [];
  const setTime = (text: string) => {
    if (out.collectorTimeUs !== undefined) return;
    const t = parseIso(text);
    if (t) out.collectorTimeUs = t.us;
  };
  for (let round = 0; round < 5; round++) {
    const c = s.charCodeAt(0);
    let m: RegExpExecArray | null;
    if (c === 123 && s.startsWith('{"log":')) {
      const d = dockerJson(s);
      if (!d) break;
      wrappers.push('docker-json');
      if (d.time) setTime(d.time);
      if (d.stream) out.stream = d.stream;
      if (d.partial) out.partial = true;
      s = d.log;
      continue;
    }
    if (c === 123 && (s.startsWith('{"labels":') || s.startsWith('{"line":'))) {
      const l = logcliJson(s);
      if (!l) break;
      wrappers.push('logcli-json');
      if (l.time) setTime(l.time);
      if (l.origin) out.origin ??= l.origin;
      s = l.line;
      continue;
    }
    if (c === 123 && wrappers.at(-1) === 'timestamp' && (m = LOKI_LABELS_RE.exec(s))) {
      // logcli's default output: its RFC 3339 time (peeled just before), then the stream's labels.
      wrappers.push('logcli-labels');
      out.origin ??= lokiOrigin(m[0]);
      s = s.slice(m[0].length);
      continue;
    }
    if ((c === 60 /* < */ || (c >= 65 && c <= 90) || (c >= 48 && c <= 57)) && (m = SYSLOG_RE.exec(s))) {
      wrappers.push('syslog');
      if (m[1]) setTime(m[1]);
      else if (m[2] && out.collectorTimeUs === undefined) out.collectorTimeUs = Math.round(Number(m[2]) * 1e6);
      out.origin ??= m[3] ? `${m[3]}/${m[4]}` : m[4];
      s = s.slice(m[0].length);
      continue;
    }
    if (c >= 48 && c <= 57) {
      if ((m = CRI_RE.exec(s))) {
        wrappers.push('cri');
        setTime(m[1]);
        out.stream = m[2];
        if (m[3] === 'P') out.partial = true;
        s = s.slice(m[0].length);
        continue;
      }
      if ((m = TS_RE.exec(s))) {
        const rest = s.slice(m[0].length);
        // A log's own ISO time (3 digits, e.g. a custom Envoy format starting with %START_TIME%) is content:
        // collector stamps are RFC3339Nano (more digits) or precede a bracketed/JSON line or another
        // date (the line's own: Istio's ISO time, NGINX's YYYY/MM/DD; logcli --no-labels writes that).
        const digits = m[2]?.length ?? 0;
        const rc = rest.charCodeAt(0);
        if ((digits > 3 || rc === 91 || rc === 123 || DATE_NEXT_RE.test(rest)) && !LEVEL_RE.test(rest)) {
          wrappers.push('timestamp');
          setTime(m[1]);
          s = rest;
          continue;
        }
        break;
      }
      if ((m = GREP_N_RE.exec(s))) {
        wrappers.push('grep-n');
        s = s.slice(m[0].length);
        continue;
      }
      break;
    }
    if (c === 91 && (m = KUBECTL_RE.exec(s))) {
      wrappers.push('kubectl-prefix');
      out.origin ??= `${m[1]}/${m[2]}`;
      s = s.slice(m[0].length);
      continue;
    }
    if ((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57)) {
      if ((m = COMPOSE_RE.exec(s))) {
        wrappers.push('compose');
        out.origin ??= m[1];
        s = s.slice(m[0].length);
        continue;
      }
      if ((m = STERN_RE.exec(s))) {
        wrappers.push('stern');
        out.origin ??= `${m[1]}/${m[2]}`;
        s = s.slice(m[0].length);
        continue;
      }
    }
    break;
  }
  out.line = s;
  if (wrappers.length) out.wrappers = wrappers;
  return out;
}

/** `s` parsed as a JSON object, or undefined (not JSON, or not an object). */
function jsonObject(s: string): Record<string, unknown> | undefined {
  try {
    const o: unknown = JSON.parse(s);
    return o && typeof o === 'object' && !Array.isArray(o) ? (o as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function dockerJson(s: string): { log: string; time?: string; stream?: string; partial: boolean } | undefined {
  const r = jsonObject(s);
  if (r === undefined || typeof r.log !== 'string') return undefined;
  let log = r.log;
  // json-file splits lines over 16 KiB into entries without the trailing newline.
  const partial = !log.endsWith('\n');
  if (!partial) log = log.slice(0, log.endsWith('\r\n') ? -2 : -1);
  return { log, time: typeof r.time === 'string' ? r.time : undefined, stream: typeof r.stream === 'string' ? r.stream : undefined, partial };
}

/** logcli --output jsonl: `{"labels":{...},"line":"...","timestamp":"..."}` (labels absent with --no-labels). */
/** The Loki labels that name where a line came from, best first. */
const ORIGIN_LABELS = ['pod', 'container', 'instance', 'app', 'job'];

function logcliJson(s: string): { line: string; time?: string; origin?: string } | undefined {
  const r = jsonObject(s);
  // Exactly logcli's keys: an access log in JSON that happens to have a "line" field is left alone.
  if (r === undefined || typeof r.line !== 'string' || typeof r.timestamp !== 'string'
    || Object.keys(r).some((k) => k !== 'line' && k !== 'timestamp' && k !== 'labels')) return undefined;
  const labels = r.labels && typeof r.labels === 'object' ? (r.labels as Record<string, unknown>) : {};
  const name = ORIGIN_LABELS.map((k) => labels[k]).find((v) => typeof v === 'string') as string | undefined;
  return { line: r.line, time: r.timestamp, origin: name };
}

/** A useful name from a logcli label set as text (ORIGIN_LABELS). */
function lokiOrigin(labels: string): string | undefined {
  for (const k of ORIGIN_LABELS) {
    const m = new RegExp(`[{ ]${k}="((?:[^"\\\\]|\\\\.)*)"`).exec(labels);
    if (m) return m[1];
  }
  return undefined;
}

/**
 * Stateful variant for inputs with partial lines: joins CRI `P` pieces and split Docker json-file
 * entries into the full line (the collector time of the first piece). `push` returns null while a
 * line is still open; `flush` returns what is left at the end of input.
 */
export function createUnwrapper(): { push(line: string): Unwrapped | null; flush(): Unwrapped | null } {
  let open: Unwrapped | null = null;
  let cap = 0;
  return {
    push(line: string): Unwrapped | null {
      const u = unwrapLine(line);
      if (open) {
        if (cap < 1024 * 1024) open.line += u.line;
        cap += u.line.length;
        if (u.partial) return null;
        const done = open;
        open = null;
        delete done.partial;
        return done;
      }
      if (u.partial) { open = u; cap = u.line.length; return null; }
      return u;
    },
    flush(): Unwrapped | null {
      const done = open;
      open = null;
      return done;
    },
  };
}
