// End to end on every lab incident: spawn the real binary (`analyze -f json FOLDER`) and hold its
// verdict against the folder's truth.json (made by how the incident was produced, not by us):
// cause, origin, upstream, and the first event's source + frame/line. `healthy` must say null.
// New scenarios are picked up as the lab adds them.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { BIN, REPO } from './helpers.js';

interface Truth {
  name: string; cause: string | null; origin: string | null; upstream: string | null;
  first: { source: string; kind?: string; frame?: number; line?: number; time?: string } | null;
}

const dir = path.join(REPO, 'samples/incidents');
const names = fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => fs.existsSync(path.join(dir, n, 'truth.json'))).sort() : [];
const rows: string[][] = [];

after(() => {
  const head = ['incident', 'truth', 'verdict', 'first (truth)', 'first (ours)', 'ok'];
  const all = [head, ...rows];
  const w = head.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  process.stdout.write('\n' + all.map((r) => r.map((c, i) => c.padEnd(w[i])).join('  ')).join('\n') + '\n');
});

for (const name of names) {
  const truth = JSON.parse(fs.readFileSync(path.join(dir, name, 'truth.json'), 'utf8')) as Truth;
  const r = spawnSync(process.execPath, [BIN, 'analyze', '-q', '-f', 'json', path.join(dir, name)], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const report = r.status === 0 ? JSON.parse(r.stdout) : null;
  const v = report?.verdict ?? null;
  const tf = truth.first;
  const ourFirst = v ? `${path.basename(v.first.source)}${v.first.frame !== undefined ? '#' + v.first.frame : ':' + v.first.line}` : '-';
  const truthFirst = tf ? `${tf.source}${tf.frame !== undefined ? '#' + tf.frame : ':' + tf.line}` : '-';
  const verdictOk = truth.cause === null ? v === null : !!v && v.cause === truth.cause && v.origin === truth.origin && v.upstream === truth.upstream;
  const firstOk = truth.cause === null || ourFirst === truthFirst;
  rows.push([name, truth.cause === null ? 'none' : `${truth.cause}/${truth.origin}`, v ? `${v.cause}/${v.origin}` : 'none', truthFirst, ourFirst,
    verdictOk && firstOk ? 'yes' : verdictOk ? 'verdict' : 'NO']);

  test(`${name}: verdict matches truth.json`, () => {
    assert.equal(r.status, 0, r.stderr);
    if (truth.cause === null) {
      assert.equal(v, null, `expected no incident, got ${v?.cause}`);
      assert.deepEqual(report.incidents, []);
      return;
    }
    assert.ok(v, 'a verdict');
    assert.deepEqual({ cause: v.cause, origin: v.origin, upstream: v.upstream }, { cause: truth.cause, origin: truth.origin, upstream: truth.upstream });
    // The report says what it assumed about every input's clock.
    for (const inp of report.inputs) assert.ok(['given', 'estimated', 'none'].includes(inp.skew_source));
    assert.ok(report.timeline && report.timeline.lanes.length > 0, 'a timeline for the HTML report');
  });

  if (truth.cause !== null && tf) {
    // A truth `tcp.fin` first (client-abort, idle-race, premature-close, read-timeout) is the
    // tcp.flow's orig_fin_frame/resp_fin_frame, picked by the side the cause blames.
    test(`${name}: first event is ${truthFirst}`, () => {
      assert.ok(v);
      assert.equal(path.basename(v.first.source), tf.source);
      if (tf.frame !== undefined) assert.equal(v.first.frame, tf.frame);
      if (tf.line !== undefined) assert.equal(v.first.line, tf.line);
      if (tf.time !== undefined) assert.equal(v.first.time, tf.time);
    });
  }
}
