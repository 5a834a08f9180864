// nginx proxying to unix sockets (php-fpm, gunicorn): real logs from lab/unix-socket.sh, made with a missing socket
// file (ENOENT) and a socket file left by an exited process (ECONNREFUSED); truth.json says what was made. Each socket
// is its own upstream (they were all 'unix:' before), and the advice is about socket files, not TCP ports.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { BIN, REPO } from './helpers.js';
import { unixSocket } from '../src/correlate/playbook.js';

const DIR = path.join(REPO, 'test/fixtures/unix-socket');

test('lab unix-socket: one incident per socket, refused, with socket-file advice', () => {
  const truth = JSON.parse(fs.readFileSync(path.join(DIR, 'truth.json'), 'utf8')) as { requests: { upstream: string; errno: number }[]; verdict: { cause: string; upstream: string } };
  const r = spawnSync(process.execPath, [BIN, 'analyze', '-f', 'json', DIR], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const rep = JSON.parse(r.stdout) as { verdict: { cause: string; upstream: string; explanation: string; next_commands: string[]; to_confirm: string[] }; incidents: { upstream: string; cause: string }[] };
  assert.deepEqual([rep.verdict.cause, rep.verdict.upstream], [truth.verdict.cause, truth.verdict.upstream]);
  const sockets = [...new Set(truth.requests.map((q) => q.upstream))].sort();
  assert.deepEqual(rep.incidents.map((i) => i.upstream).sort(), sockets);
  assert.ok(rep.incidents.every((i) => i.cause === 'refused'));
  assert.match(rep.verdict.explanation, /unix socket/);
  assert.ok(rep.verdict.next_commands.includes('ls -l /run/missing.sock'));
  assert.ok(!rep.verdict.next_commands.some((c) => /tcpdump|nc -vz/.test(c)), 'no TCP commands for a socket');
  assert.ok(!rep.verdict.to_confirm.some((c) => c.startsWith('a capture on the proxy host')), 'no capture of packets to ask for');
});

test('unixSocket: the path of unix: upstreams as nginx and Envoy write them, null for anything else', () => {
  assert.equal(unixSocket('unix:/run/php/php8.2-fpm.sock'), '/run/php/php8.2-fpm.sock');
  assert.equal(unixSocket('http://unix:/run/gunicorn.sock:/api'), '/run/gunicorn.sock');
  assert.equal(unixSocket('fastcgi://unix:/run/php.sock:'), '/run/php.sock');
  assert.equal(unixSocket('10.0.0.1:8080'), null);
  assert.equal(unixSocket(null), null);
});
