// Every string that came from an input is hostile until shown otherwise: a log line can carry
// ESC[2J (clear screen), OSC 8 hyperlinks, BEL, a CR that overwrites what came before, or a
// bidi override that makes `evil.sh` read as `hs.live`. Terminal output shows them as visible
// escapes (`\x1b`, `\u202e`) instead of letting the terminal act on them.

/**
 * C0 controls, DEL, C1 controls (0x9b is an 8-bit CSI on some terminals), the bidi embeddings,
 * overrides and isolates (Trojan Source, CVE-2021-42574), ALM/LRM/RLM, the Unicode line and
 * paragraph separators, BOM, and lone surrogates (they render as garbage and break UTF-8 output).
 */
const UNSAFE_RE =
  /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Same set without TAB and LF, for multi-line text where newlines are ours to keep. */
const UNSAFE_KEEP_NL_RE =
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

const NAMED: Record<string, string> = { '\t': '\\t', '\n': '\\n', '\r': '\\r' };

function escapeChar(c: string): string {
  const named = NAMED[c];
  if (named) return named;
  const code = c.charCodeAt(0);
  return code < 0x100 ? '\\x' + code.toString(16).padStart(2, '0') : '\\u' + code.toString(16).padStart(4, '0');
}

/**
 * One line of input text made safe to print: every control, bidi and separator character becomes
 * a visible escape. Backslashes are left alone (Windows paths and regexes in logs stay readable);
 * the escapes are for eyes, not for round-tripping — `--format json` is the lossless view.
 */
export function sanitize(text: unknown): string {
  const s = typeof text === 'string' ? text : text === null || text === undefined ? '' : String(text);
  UNSAFE_RE.lastIndex = 0;
  if (!UNSAFE_RE.test(s)) return s;
  UNSAFE_RE.lastIndex = 0;
  return s.replace(UNSAFE_RE, escapeChar);
}

/** Like `sanitize` but keeps LF and TAB (for wrapped paragraphs we split ourselves); CR is still escaped. */
export function sanitizeMultiline(text: unknown): string {
  const s = typeof text === 'string' ? text : text === null || text === undefined ? '' : String(text);
  return s.replace(UNSAFE_KEEP_NL_RE, escapeChar);
}

/** True when `sanitize` would change the text (for tests and for flagging suspicious lines). */
export function hasUnsafeChars(text: string): boolean {
  UNSAFE_RE.lastIndex = 0;
  return UNSAFE_RE.test(text);
}
