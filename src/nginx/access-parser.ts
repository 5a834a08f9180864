// One access line → record: the user's log_format first, then the built-ins (last hit first: a file
// has one format), then JSON by key names.
import { BUILTIN_FORMATS, parseJsonAccess, parseTail } from './access-formats.js';
import { compileLogFormat, type CompiledFormat } from './log-format.js';
import { toRecord, type AccessRecord } from './access-record.js';

export interface ParsedAccess {
  record: AccessRecord;
  format: string;
}

export type AccessLineParser = (line: string) => ParsedAccess | undefined;

export function createAccessLineParser(userFormat?: string): AccessLineParser {
  const formats: CompiledFormat[] = [];
  if (userFormat) formats.push(compileLogFormat(userFormat, { name: 'custom' }));
  formats.push(...BUILTIN_FORMATS);
  let lastHit = 0;
  return (line: string) => {
    for (let k = 0; k < formats.length; k++) {
      const i = k === 0 ? lastHit : k <= lastHit ? k - 1 : k;
      const f = formats[i];
      const vars = f.parse(line);
      if (!vars) continue;
      if (vars.__tail !== undefined) parseTail(vars.__tail, vars);
      const record = toRecord(vars);
      // A status is what makes it an access line; otherwise the format matched by accident.
      if (record.statusText === null || !/^\d{3}$/.test(record.statusText)) continue;
      lastHit = i;
      return { record, format: f.name };
    }
    const json = parseJsonAccess(line);
    if (json) return { record: toRecord(json), format: 'json' };
    return undefined;
  };
}
