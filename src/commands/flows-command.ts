// `resetscope flows CAPTURE`: the connection table (Zeek's conn_state / history) of captures.
import { UserError, EXIT } from '../errors.js';
import type { Event } from '../events.js';
import { openPipeline } from '../pipeline.js';
import { pipelineOptions, type CommonArgs } from '../cli.js';
import { renderFlows } from './flows.js';
import { writeOutputAtomic } from '../output.js';

export async function runFlowsCommand(argv: CommonArgs): Promise<number> {
  const format = (argv.format ?? 'table') as 'table' | 'ndjson';
  const options = pipelineOptions(argv, false);
  const pipe = await openPipeline(argv.inputs ?? [], options);
  for (const r of pipe.runs) {
    if (r.format?.kind !== 'binary') throw new UserError('NOT_A_CAPTURE', `${r.input.name}: not a pcap/pcapng capture (read as ${r.stats.format})`);
  }
  const flows: Event[] = [];
  for await (const ev of pipe.events) if (ev.kind === 'tcp.flow') flows.push(ev);
  const text = renderFlows(flows, format, { width: process.stdout.columns ?? 160 });
  if (argv.output) await writeOutputAtomic(argv.output, text);
  else process.stdout.write(text.endsWith('\n') ? text : text + '\n');
  return EXIT.OK;
}
