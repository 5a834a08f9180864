// Writes samples/incidents/<name>/truth.json and README.md from the environment lab/lib.sh sets.
// Not a general tool: lib.sh's finish() is its only caller.
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';

const e = process.env;
const out = e.OUT;
const lines = (s) => (s || '').split('\n').map((l) => l.trimEnd()).filter(Boolean);

/** "1763630000.123456789" -> "2025-11-20T09:13:20.123456Z" (microseconds, like DESIGN.md §2). */
function epochToIso(epoch) {
  const [sec, frac = ''] = epoch.split('.');
  const base = new Date(Number(sec) * 1000).toISOString().slice(0, 19);
  return `${base}.${(frac + '000000').slice(0, 6)}Z`;
}

const first = {};
if (e.FIRST_SOURCE) {
  first.source = e.FIRST_SOURCE;
  first.kind = e.FIRST_KIND;
  if (e.FIRST_FRAME) {
    first.frame = Number(e.FIRST_FRAME);
    first.time = epochToIso(e.FIRST_EPOCH);
    first.filter = e.FIRST_FILTER;
  } else {
    first.line = Number(e.FIRST_LINE);
    first.text = e.FIRST_TEXT;
    first.time = e.FIRST_TIME;
  }
  if (e.FIRST_WHO) first.who = e.FIRST_WHO;
}

const files = fs.readdirSync(out).filter((f) => f !== 'truth.json' && f !== 'README.md').sort();
const nginxVersion = execFileSync('nginx', ['-v'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }) || '';
const truth = {
  name: e.SCEN,
  description: e.DESC,
  how: lines(fs.readFileSync(e.HOW, 'utf8')),
  cause: e.CAUSE || null,
  origin: e.ORIGIN || null,
  upstream: e.UPSTREAM,
  first: e.FIRST_SOURCE ? first : null,
  tz: e.TZ_LAB,
  access_log_format: e.ACCESS_FORMAT === 'combined'
    ? { name: 'combined', format: null }
    : { name: 'lab', format: e.LOGFMT_LAB },
  error_log_level: e.ERROR_LEVEL,
  expected_kinds: lines((e.EXPECTED_KINDS || '').replace(/[ ,]+/g, '\n')),
  tshark_args: e.TSHARK_DECODE || null,
  checked_with: e.CHECK_CMD ? { command: e.CHECK_CMD, output: lines(e.CHECK_OUT) } : null,
  files,
  software: {
    nginx: execFileSync('sh', ['-c', 'nginx -v 2>&1'], { encoding: 'utf8' }).trim().replace(/^nginx version: /, '') || nginxVersion,
    node: process.version,
    openssl: execFileSync('openssl', ['version'], { encoding: 'utf8' }).trim(),
    tshark: execFileSync('sh', ['-c', 'tshark --version 2>/dev/null | head -1'], { encoding: 'utf8' }).trim(),
    kernel: execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim(),
  },
  ...JSON.parse(e.TRUTH_EXTRA || '{}'),
};
fs.writeFileSync(path.join(out, 'truth.json'), JSON.stringify(truth, null, 2) + '\n');
fs.writeFileSync(
  path.join(out, 'README.md'),
  `${e.SCENARIO_TITLE || `**${e.SCEN}** — ${e.DESC}`}\nTruth: cause \`${truth.cause}\`, origin \`${truth.origin}\`${first.source ? `, first at ${first.source} ${first.frame ? `frame ${first.frame}` : `line ${first.line}`}` : ''}. Rebuild: \`bash lab/scenarios/${e.SCEN}.sh\` (see truth.json, lab/README.md).\n`,
);
