// The command line: `resetscope analyze|events|flows [inputs..]`. Exit codes: 0 ran, 1 a
// --fail-on cause was found, 2 usage or I/O error (one clear line; the stack only with --debug).
// Start-up: yargs (~90 ms to load) and the renderers are imported only when needed; the common
// command lines (analyze/events with known options) are read by fastArgs without yargs.
import type yargsType from 'yargs';
import { UserError, EXIT } from './errors.js';
import { CAUSES, type Cause, type Event } from './events.js';
import { parseZone, UTC, parseIso, parseEpochSeconds, isoTime, type Zone } from './time.js';
import { openPipeline, type PipelineOptions } from './pipeline.js';
import { analyzeEvents } from './correlate/analyze.js';
import fs from 'node:fs';
import { buildReport } from './correlate/report.js';
import { ndjsonWriter } from './render/ndjson.js';
import { LOAD_RENDERER } from './render/load.js';
import { shouldUseColor } from './terminal/color.js';
import { createProgress } from './terminal/progress.js';
import { writeOutputAtomic } from './output.js';
import { VERSION } from './version.js';
import type { Report } from './report.js';

const REPORT_FORMATS = ['table', 'ndjson', 'json', 'markdown', 'html'] as const;
type ReportFormat = (typeof REPORT_FORMATS)[number];

export interface CommonArgs {
  inputs?: string[];
  'input-format'?: string;
  format?: string;
  tz?: string;
  from?: string;
  to?: string;
  'envoy-format'?: string;
  'nginx-format'?: string;
  keylog?: string;
  skew?: string[];
  output?: string;
  quiet?: boolean;
  color?: boolean;
  'fail-on'?: string;
  debug?: boolean;
}

function parseTimeArg(name: string, text: string | undefined, zone: Zone): number | undefined {
  if (text === undefined) return undefined;
  const t = parseIso(text.replace(' ', 'T'), zone) ?? parseEpochSeconds(text);
  if (!t) throw new UserError('BAD_TIME', `--${name} ${text}: expected an ISO time (2026-11-20T10:00:00Z) or epoch seconds`);
  return t.us;
}

/** `--skew SOURCE=±seconds` (repeatable). */
export function parseSkews(list: string[] | undefined): Map<string, number> {
  const out = new Map<string, number>();
  for (const item of list ?? []) {
    const m = /^(.+)=([+-]?\d+(?:\.\d+)?)(ms|s)?$/.exec(item);
    if (!m) throw new UserError('BAD_SKEW', `--skew ${item}: expected SOURCE=±SECONDS (e.g. proxy.pcap=+1.250)`);
    const us = Math.round(Number(m[2]) * (m[3] === 'ms' ? 1000 : 1_000_000));
    out.set(m[1], us);
  }
  return out;
}

export function pipelineOptions(argv: CommonArgs, failuresOnly: boolean): PipelineOptions {
  const tz = argv.tz ? parseZone(argv.tz) : UTC;
  return {
    tz,
    tzGiven: argv.tz !== undefined,
    envoyFormat: argv['envoy-format'],
    nginxFormat: argv['nginx-format'],
    keylog: argv.keylog,
    failuresOnly,
    inputFormat: argv['input-format'],
    fromUs: parseTimeArg('from', argv.from, tz),
    toUs: parseTimeArg('to', argv.to, tz),
    skews: parseSkews(argv.skew),
  };
}

function parseFailOn(text: string | undefined): Set<Cause> | 'any' | null {
  if (!text) return null;
  if (text === 'any') return 'any';
  const set = new Set<Cause>();
  for (const c of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    if (!(CAUSES as readonly string[]).includes(c)) throw new UserError('BAD_CAUSE', `--fail-on ${c}: unknown cause (one of ${CAUSES.join(', ')}, or any)`);
    set.add(c as Cause);
  }
  return set;
}

async function emit(text: string, output: string | undefined) {
  if (output) await writeOutputAtomic(output, text);
  else await writeStdout(text.endsWith('\n') ? text : text + '\n');
}

function writeStdout(text: string): Promise<void> {
  return new Promise((resolve) => {
    process.stdout.write(text, () => resolve());
  });
}

export async function runAnalyze(argv: CommonArgs): Promise<number> {
  const format = (argv.format ?? 'table') as ReportFormat;
  if (!REPORT_FORMATS.includes(format)) throw new UserError('BAD_FORMAT', `--format ${format}: one of ${REPORT_FORMATS.join(', ')}`);
  if (format === 'html' && !argv.output) throw new UserError('NEED_OUTPUT', '--format html needs -o FILE (the report is one self-contained file)');
  const failOn = parseFailOn(argv['fail-on']);
  const options = { ...pipelineOptions(argv, true), captureAllFlows: true };
  const pipe = await openPipeline(argv.inputs ?? [], options);
  const live = format === 'ndjson' && !argv.output ? ndjsonWriter(process.stdout) : null;
  const progress = createProgress({ total: pipe.totalBytes ?? 0, stream: process.stderr, quiet: argv.quiet });
  // A pipe that stays open (kubectl logs -f | resetscope analyze -f ndjson -): incidents print as
  // they close instead of waiting for the end of input to estimate clocks.
  const result = await analyzeEvents(pipe, options, {
    live: live !== null && stdinIsLive(pipe.runs.map((r) => r.input.name)),
    onIncident: live ? (inc) => { live.write({ type: 'incident', ...inc }); } : undefined,
    onProgress: (p) => progress.update(p.bytesRead()),
    // Files can be read twice (analyze.ts: a multi-input run over its buffer budget).
    reopen: (skews) => openPipeline(argv.inputs ?? [], { ...options, skews }),
  });
  progress.done();
  const report = buildReport(result.pipe.runs, result.corr, result.incidents, options, result.skews, pipe.ignored, [
    ...pipe.keyLogs.map((k) => `${k}: found in the directory and used as the TLS key log (NSS / SSLKEYLOGFILE format).`),
    ...result.assumptions,
  ]);
  warnSkipped(report, argv.quiet);
  if (format === 'ndjson') {
    const line = { type: 'summary', verdict: report.verdict?.id ?? null, stats: report.stats, inputs: report.inputs, assumptions: report.assumptions };
    if (live) { live.write(line); await live.end(); }
    else await emit([...report.incidents.map((i) => JSON.stringify({ type: 'incident', ...i })), JSON.stringify(line)].join('\n'), argv.output);
  } else {
    const color = !argv.output && shouldUseColor(process.stdout, process.env, argv.color);
    const width = process.stdout.columns ?? Number(process.env.COLUMNS ?? 120);
    const render = await LOAD_RENDERER[format]();
    await emit(render(report, { color, width }), argv.output);
  }
  return exitFor(report, failOn);
}

/** stdin is one of the inputs and is a pipe, FIFO or terminal (not a redirected file). */
function stdinIsLive(names: string[]): boolean {
  if (!names.includes('-')) return false;
  try {
    return !fs.fstatSync(0).isFile();
  } catch {
    return false;
  }
}

export function exitFor(report: Report, failOn: Set<Cause> | 'any' | null): number {
  if (!failOn) return EXIT.OK;
  const hit = report.incidents.some((i) => failOn === 'any' || failOn.has(i.cause));
  return hit ? EXIT.FINDINGS : EXIT.OK;
}

/** Skipped lines are never silent: one line per input on stderr (the report has the details). */
function warnSkipped(report: Report, quiet: boolean | undefined) {
  if (quiet) return;
  for (const inp of report.inputs) {
    if (!inp.skipped) continue;
    const reasons = Object.entries(inp.skipped_by_reason).map(([r, c]) => `${c} ${r}`).join(', ');
    const ex = inp.skipped_examples[0];
    const where = ex ? ` (first: ${inp.name}:${ex.line ?? `offset ${ex.offset}`})` : '';
    process.stderr.write(`resetscope: ${inp.name}: skipped ${inp.skipped} of ${inp.lines || inp.frames} ${inp.lines ? 'lines' : 'records'} — ${reasons}${where}\n`);
  }
  for (const inp of report.inputs) for (const note of inp.notes) process.stderr.write(`resetscope: ${inp.name}: ${note}\n`);
}

export async function runEvents(argv: CommonArgs): Promise<number> {
  const format = argv.format ?? 'ndjson';
  if (format !== 'ndjson' && format !== 'json') throw new UserError('BAD_FORMAT', `--format ${format}: events are written as ndjson or json`);
  const options = pipelineOptions(argv, false);
  const pipe = await openPipeline(argv.inputs ?? [], options);
  if (format === 'json') {
    const all: Event[] = [];
    for await (const ev of pipe.events) all.push(ev);
    await emit(JSON.stringify(all, null, 2), argv.output);
  } else if (argv.output) {
    const lines: string[] = [];
    for await (const ev of pipe.events) lines.push(JSON.stringify(ev));
    await emit(lines.join('\n'), argv.output);
  } else {
    const w = ndjsonWriter(process.stdout);
    // A batch per write: events arrive in batches (as an input yields them), so a live pipe still
    // prints as it reads.
    for await (const batch of pipe.batches) {
      if (w.closed) break;
      if (!w.writeAll(batch)) await w.ready();
    }
    await w.end();
  }
  const report = { inputs: pipe.runs.map((r) => r.stats) } as unknown as Report;
  warnSkipped(report, argv.quiet);
  return EXIT.OK;
}

export async function buildParser(args: string[]) {
  const yargs = (await import('yargs')).default;
  const common = (y: ReturnType<typeof yargsType>) =>
    y
      .positional('inputs', { type: 'string', array: true, describe: 'files, directories, .gz, or - for stdin (default: stdin)' })
      .option('input-format', { type: 'string', describe: 'skip sniffing: envoy-access, envoy-debug, envoy-body, nginx-error, nginx-access, pcap' })
      .option('tz', { type: 'string', describe: 'zone for times without one (NGINX error logs): IANA name or ±HH:MM (default UTC, stated as an assumption)' })
      .option('from', { type: 'string', describe: 'only events at or after this time (ISO or epoch seconds)' })
      .option('to', { type: 'string', describe: 'only events at or before this time' })
      .option('envoy-format', { type: 'string', describe: "Envoy access-log format string from your config ('[%START_TIME%] \"%REQ(:METHOD)%\" ...')" })
      .option('nginx-format', { type: 'string', describe: 'NGINX log_format string for the access log' })
      .option('keylog', { type: 'string', describe: 'TLS key log file (SSLKEYLOGFILE, NSS format) to decrypt captured TLS' })
      .option('skew', { type: 'string', array: true, describe: 'clock offset of an input: SOURCE=±SECONDS (added to its times), repeatable' })
      .option('output', { alias: 'o', type: 'string', describe: 'write to FILE (atomically) instead of stdout' })
      .option('quiet', { alias: 'q', type: 'boolean', describe: 'no progress bar, no skipped-line warnings on stderr' })
      .option('color', { type: 'boolean', describe: 'force colour on or off (default: on a TTY unless NO_COLOR is set)' })
      .option('debug', { type: 'boolean', describe: 'print stack traces on errors' });
  return yargs(args)
    .scriptName('resetscope')
    .usage('$0 <command> [inputs..]\n\nWhich hop reset the connection first, when, why, and what to run next — from Envoy/Istio/NGINX logs and pcap/pcapng captures.')
    .command('analyze [inputs..]', 'correlate every input and print the verdict and incidents', (y) =>
      common(y)
        .option('format', { alias: 'f', type: 'string', choices: REPORT_FORMATS as unknown as string[], default: 'table', describe: 'report format' })
        .option('fail-on', { type: 'string', describe: 'exit 1 when an incident with one of these causes is found: CAUSE[,CAUSE] or any' })
        .example('$0 analyze envoy.log proxy.pcap', 'correlate a log and a capture')
        .example('kubectl logs -f deploy/gw -c istio-proxy | $0 analyze -', 'live: incidents print as they close')
        .example('$0 analyze --tz Europe/Berlin error.log.1.gz access.log', 'NGINX logs written in local time')
        .example('$0 analyze -f markdown -o ticket.md samples/incidents/refused/', 'a ticket-ready report')
        .example('$0 analyze -f html -o report.html logs/ caps/', 'a self-contained HTML report with a timeline'),
    )
    .command('events [inputs..]', 'print every normalized event, merged by time (NDJSON)', (y) =>
      common(y)
        .option('format', { alias: 'f', type: 'string', choices: ['ndjson', 'json'], default: 'ndjson' })
        .example('$0 events access.log | jq -c "select(.cause != null)"', 'failures only'),
    )
    .command('flows <inputs..>', 'print the TCP connection table of captures (Zeek conn_state/history)', (y) =>
      common(y)
        .option('format', { alias: 'f', type: 'string', choices: ['table', 'ndjson'], default: 'table' })
        .example('$0 flows proxy.pcap', 'who sent the RST, per connection'),
    )
    .demandCommand(1, 'name a command: analyze, events or flows')
    .strict()
    .version(VERSION)
    .help()
    .alias('h', 'help')
    .wrap(Math.min(110, process.stdout.columns ?? 100))
    .epilogue('Exit codes: 0 ran (findings or not), 1 --fail-on matched, 2 usage or I/O error.\nDocs: README.md');
}

export async function main(args: string[]): Promise<number> {
  const debug = args.includes('--debug');
  let exitCode: number = EXIT.OK;
  try {
    let usageError: string | null = null;
    const parsed = fastArgs(args) ?? await (await buildParser(args))
      .fail((msg, err) => {
        if (err) throw err;
        usageError = msg;
      })
      .parseAsync();
    if (usageError) throw new UserError('USAGE', `${usageError} (see resetscope --help)`);
    const argv = parsed as unknown as CommonArgs & { _: (string | number)[]; help?: boolean };
    const cmd = String(argv._[0] ?? '');
    if (cmd === 'analyze') exitCode = await runAnalyze(argv);
    else if (cmd === 'events') exitCode = await runEvents(argv);
    // Loaded on use: it brings cli-table3, which analyze -f json never needs (~10 ms of start-up).
    else if (cmd === 'flows') exitCode = await (await import('./commands/flows-command.js')).runFlowsCommand(argv);
  } catch (err) {
    if (err instanceof UserError) {
      process.stderr.write(`resetscope: ${err.message}\n`);
      if (debug) process.stderr.write(`${err.stack}\n`);
      return EXIT.ERROR;
    }
    process.stderr.write(`resetscope: internal error: ${(err as Error)?.message ?? err}\n`);
    if (debug) process.stderr.write(`${(err as Error)?.stack}\n`);
    else process.stderr.write('resetscope: this is a bug; rerun with --debug and report the stack\n');
    return EXIT.ERROR;
  }
  return exitCode;
}

/** Options fastArgs reads (anything else, --help included, goes to yargs). */
const STRING_OPTS: Record<string, string> = {
  'input-format': 'input-format', tz: 'tz', from: 'from', to: 'to', 'envoy-format': 'envoy-format', 'nginx-format': 'nginx-format',
  keylog: 'keylog', skew: 'skew', output: 'output', o: 'output', format: 'format', f: 'format', 'fail-on': 'fail-on',
};
const BOOL_OPTS: Record<string, [string, boolean]> = {
  quiet: ['quiet', true], q: ['quiet', true], color: ['color', true], 'no-color': ['color', false], debug: ['debug', true],
};

/**
 * `analyze`/`events` with plain, valid options, read as yargs would read them (same keys, same
 * defaults); null for anything else — help, version, unknown or repeated options, values that
 * start with '-', `-` (stdin) and `--`, bundled short flags, a --format outside the choices — which yargs then
 * parses (and reports) as before.
 */
export function fastArgs(args: string[]): (CommonArgs & { _: string[] }) | null {
  const cmd = args[0];
  if (cmd !== 'analyze' && cmd !== 'events') return null;
  const out: Record<string, unknown> = { _: [cmd] };
  const inputs: string[] = [];
  for (let i = 1; i < args.length; i++) {
    const a = args[i];
    if (!a.startsWith('-')) { inputs.push(a); continue; }
    const eq = a.indexOf('=');
    const name = a.slice(a.startsWith('--') ? 2 : 1, eq >= 0 ? eq : undefined);
    if (!a.startsWith('--') && name.length !== 1) return null;
    if (a.startsWith('--') && name.length < 2) return null;
    const key = STRING_OPTS[name];
    if (key !== undefined) {
      if (key === 'fail-on' && cmd !== 'analyze') return null;
      let v: string | undefined;
      if (eq >= 0) v = a.slice(eq + 1);
      else v = args[++i];
      if (v === undefined || (v.startsWith('-') && v !== '-') || (eq >= 0 && !a.startsWith('--'))) return null;
      if (key === 'skew') { const l = (out.skew as string[] | undefined) ?? []; l.push(v); out.skew = l; }
      else if (out[key] !== undefined) return null;
      else out[key] = v;
      continue;
    }
    const b = BOOL_OPTS[name];
    if (b === undefined || eq >= 0 || out[b[0]] !== undefined) return null;
    out[b[0]] = b[1];
  }
  const choices: readonly string[] = cmd === 'analyze' ? REPORT_FORMATS : ['ndjson', 'json'];
  if (out.format === undefined) out.format = choices[0];
  else if (!choices.includes(out.format as string)) return null;
  if (inputs.length) out.inputs = inputs;
  return out as unknown as CommonArgs & { _: string[] };
}

export { isoTime };
