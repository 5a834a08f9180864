// `--format json`: the Report as is, for jq and for machines. Stable key order: top-level keys in
// the contract's order, nested objects as the correlator built them (events keep their contract
// order; sorting would scramble `time, source, line, kind`).
import type { Report } from '../report.js';
import type { RenderOptions } from './common.js';

const TOP_ORDER = ['tool', 'verdict', 'incidents', 'inputs', 'stats', 'assumptions', 'anomalies', 'timeline'] as const;

/**
 * JSON.stringify leaves C1 controls, bidi overrides and U+2028/9 raw inside strings: valid JSON,
 * but hostile to a terminal `cat`-ing it. Escaping them as \uXXXX parses back to the same value.
 * They can only occur inside strings (JSON's own syntax is ASCII), so the replacement is safe.
 */
const JSON_UNSAFE_RE = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g;
export function safeJsonStringify(value: unknown, indent?: number): string {
  return escapeJsonUnsafe(JSON.stringify(value, null, indent));
}
/** safeJsonStringify's escaping alone, for JSON text JSON.stringify made (any number of lines at once). */
export function escapeJsonUnsafe(json: string): string {
  return json.replace(JSON_UNSAFE_RE, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

export function renderJson(report: Report, _opts: RenderOptions): string {
  const ordered: Record<string, unknown> = {};
  const src = report as unknown as Record<string, unknown>;
  for (const k of TOP_ORDER) if (src[k] !== undefined) ordered[k] = src[k];
  for (const k of Object.keys(src).sort()) if (!(k in ordered) && src[k] !== undefined) ordered[k] = src[k];
  return safeJsonStringify(ordered, 2) + '\n';
}
