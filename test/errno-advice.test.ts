// A failure without a cause of its own still gets advice from its errno: nginx's `connect() ... failed (13:
// Permission denied)` (a real corpus line) is the proxy host's policy (SELinux), not an upstream problem.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BIN, CORPUS, readJsonl } from './helpers.js';
import { errnoAdvice } from '../src/correlate/playbook.js';

test('EACCES on connect (real nginx line): origin proxy, SELinux advice with the real port', () => {
  const line = readJsonl<{ line: string }>(path.join(CORPUS, 'logs/nginx-real.jsonl')).map((l) => l.line).find((l) => l.includes('(13: Permission denied)'));
  assert.ok(line, 'the corpus has an EACCES line');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rs-eacces-'));
  try {
    const f = path.join(dir, 'error.log');
    fs.writeFileSync(f, line + '\n');
    const r = spawnSync(process.execPath, [BIN, 'analyze', '-f', 'json', f], { encoding: 'utf8' });
    const v = (JSON.parse(r.stdout) as { verdict: { cause: string; origin: string; explanation: string; fix: string[]; next_commands: string[] } }).verdict;
    assert.equal(v.cause, 'unknown');
    assert.equal(v.origin, 'proxy');
    assert.match(v.explanation, /EACCES/);
    assert.match(v.fix[0], /httpd_can_network_connect.*-p tcp 3000/);
    assert.ok(v.next_commands.includes('getsebool httpd_can_network_connect'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('errnoAdvice only speaks for EACCES on a failure with no cause of its own', () => {
  const t = { host: '10.0.0.1', port: '80', sni: null, alpn: null, socket: null };
  assert.equal(errnoAdvice('refused', 13, t), null);
  assert.equal(errnoAdvice('unknown', 111, t), null);
  assert.equal(errnoAdvice('unknown', 13, { ...t, socket: '/run/a.sock' })?.next[0], 'ls -l /run/a.sock');
});
