// JSON log lines (Envoy json_format, NGINX escape=json): parsed without throwing on data.

/** The line as a JSON object, or undefined when it is not valid JSON or not an object. */
export function parseJsonObject(line: string): Record<string, unknown> | undefined {
  let obj: unknown;
  try {
    obj = JSON.parse(line);
  } catch {
    return undefined;
  }
  return obj && typeof obj === 'object' && !Array.isArray(obj) ? (obj as Record<string, unknown>) : undefined;
}
