// `log_format` compiler (ngx_http_log_module): a format string becomes a parser that yields the raw
// value of every `$variable`. Built-in formats (access-formats.ts) go through the same compiler as a
// user's --nginx-format. Variables get patterns by name where nginx's values have a known shape
// (multi-value `$upstream_*` lists contain spaces: "a, b : c", nginx.md §5.1), else "up to the next
// literal". Default escaping turns `"` into \x22, so a quoted value never contains a raw quote.
import { parseJsonObject } from '../json-object.js';

export type Escape = 'default' | 'json' | 'none';

export interface CompiledFormat {
  name: string;
  /** The format string after `log_format NAME [escape=..]` and quote joining. */
  format: string;
  escape: Escape;
  vars: readonly string[];
  /** Values by variable name (without `$`); undefined when the line does not fit. */
  parse(line: string): Record<string, string> | undefined;
}

// Per-try lists: ", " between tries, " : " across internal redirects (DOC ngx_http_upstream_module).
const LIST_VALUE = '(?:-|[^\\s,]+)(?:(?:, | : )(?:-|[^\\s,]+))*';
const NUM_LIST = '(?:-|[\\d.]+)(?:(?:, | : )(?:-|[\\d.]+))*';
const VAR_PATTERNS: Record<string, string> = {
  time_local: '\\d{2}/[A-Za-z]{3}/\\d{4}:\\d{2}:\\d{2}:\\d{2} [+-]\\d{4}',
  status: '\\d{3}|-',
  upstream_addr: LIST_VALUE,
  upstream_status: NUM_LIST,
  upstream_connect_time: NUM_LIST,
  upstream_header_time: NUM_LIST,
  upstream_response_time: NUM_LIST,
  upstream_response_length: NUM_LIST,
  upstream_bytes_sent: NUM_LIST,
  upstream_bytes_received: NUM_LIST,
  upstream_cache_status: LIST_VALUE,
};

interface Token { lit?: string; v?: string }

/** Accepts a bare format string or a whole `log_format name [escape=x] '...' '...';` directive. */
export function normalizeFormat(input: string): { format: string; escape: Escape; name?: string } {
  let s = input.trim();
  let escape: Escape = 'default';
  let name: string | undefined;
  const d = /^log_format\s+(\S+)\s+(?:escape=(default|json|none)\s+)?/.exec(s);
  if (d) {
    name = d[1];
    if (d[2]) escape = d[2] as Escape;
    s = s.slice(d[0].length);
  }
  const e = /^escape=(default|json|none)\s+/.exec(s);
  if (e) {
    escape = e[1] as Escape;
    s = s.slice(e[0].length);
  }
  s = s.replace(/;\s*$/, '');
  // nginx config concatenates adjacent quoted pieces: 'a ' "b" → a b
  if (/^['"]/.test(s)) {
    const pieces = s.match(/'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"/g);
    if (pieces) s = pieces.map((p) => p.slice(1, -1).replace(/\\(['"\\])/g, '$1')).join('');
  }
  if (escape === 'default' && /^\s*\{/.test(s)) escape = 'json';
  return { format: s, escape, name };
}

function tokenize(format: string): Token[] {
  const out: Token[] = [];
  const re = /\$\{(\w+)\}|\$(\w+)/g;
  let last = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(format))) {
    if (m.index > last) out.push({ lit: format.slice(last, m.index) });
    out.push({ v: m[1] ?? m[2] });
    last = m.index + m[0].length;
  }
  if (last < format.length) out.push({ lit: format.slice(last) });
  return out;
}

const reEscape = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

export interface CompileOptions {
  name?: string;
  escape?: Escape;
  /** Allow (and capture as `$__tail`) anything after the format: people append fields to built-ins. */
  tail?: boolean;
}

export function compileLogFormat(input: string, opts: CompileOptions = {}): CompiledFormat {
  const n = normalizeFormat(input);
  const escape = opts.escape ?? n.escape;
  const tokens = tokenize(n.format);
  const vars: string[] = [];
  let src = '^';
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.lit !== undefined) {
      src += reEscape(t.lit);
      continue;
    }
    const name = t.v!;
    vars.push(name);
    const prev = tokens[i - 1]?.lit;
    const next = tokens[i + 1]?.lit;
    const quoted = prev !== undefined && prev.endsWith('"') && next !== undefined && next.startsWith('"');
    let p: string;
    if (quoted) p = escape === 'json' ? '(?:[^"\\\\]|\\\\.)*' : escape === 'none' ? '.*?' : '[^"]*';
    else if (VAR_PATTERNS[name]) p = VAR_PATTERNS[name];
    else if (next === undefined || next.length === 0) p = opts.tail ? '\\S*' : '.*';
    else p = `[^${reEscape(next[0])}]*`;
    // Every value can be "-" (nginx writes "-" for empty variables).
    src += `(${p}|-)`;
  }
  if (opts.tail) {
    src += '(.*)';
    vars.push('__tail');
  }
  src += '$';
  const re = new RegExp(src);
  const jsonKeys = escape === 'json' ? jsonKeyMap(n.format) : undefined;
  return {
    name: opts.name ?? n.name ?? 'custom',
    format: n.format,
    escape,
    vars,
    parse(line: string): Record<string, string> | undefined {
      if (jsonKeys && line.charCodeAt(0) === 123) {
        const viaJson = parseJsonLine(line, jsonKeys);
        if (viaJson) return viaJson;
      }
      const m = re.exec(line);
      if (!m) return undefined;
      const out: Record<string, string> = {};
      for (let i = 0; i < vars.length; i++) {
        const raw = m[i + 1];
        if (raw === undefined) continue;
        out[vars[i]] = escape === 'json' ? unescapeJson(raw) : escape === 'default' ? unescapeDefault(raw) : raw;
      }
      return out;
    },
  };
}

/** `"key": "$var"` / `"key": $var` pairs of a JSON log_format. */
function jsonKeyMap(format: string): Map<string, string> {
  const map = new Map<string, string>();
  const re = /"([^"]+)"\s*:\s*"?\$\{?(\w+)\}?/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(format))) map.set(m[1], m[2]);
  return map;
}

/** Valid JSON first; hand-written formats with unquoted `$upstream_response_time` are not (ingress-nginx#6376). */
function parseJsonLine(line: string, keys: Map<string, string>): Record<string, string> | undefined {
  const obj = parseJsonObject(line);
  if (!obj) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(obj)) {
    const name = keys.get(k);
    if (name !== undefined && v !== null && v !== undefined) out[name] = String(v);
  }
  return out;
}

function unescapeJson(raw: string): string {
  if (raw.indexOf('\\') < 0) return raw;
  try {
    return JSON.parse('"' + raw + '"') as string;
  } catch {
    return raw;
  }
}

/** Default escaping writes `"`, `\`, bytes <32 and >126 as \xXX (DOC ngx_http_log_module). */
function unescapeDefault(raw: string): string {
  if (raw.indexOf('\\x') < 0) return raw;
  return raw.replace(/\\x([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}
