// isoTimeFast (the capture path's cached formatter) against isoTime: the same string, every case.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isoTime } from '../src/time.js';
import { isoTimeFast } from '../src/capture/iso-time.js';

test('isoTimeFast matches isoTime for every precision, across seconds, days and years', () => {
  const starts = [0, 1_700_000_004_375_132, 1_699_999_999_999_999, 946_684_799_999_999, 1_000, 1_709_164_799_999_000];
  let seed = 7;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (const start of starts) {
    let us = start;
    for (let i = 0; i < 3000; i++) {
      // Mostly in order (the cache's case), sometimes back in time or a jump.
      us += i % 97 === 0 ? -Math.floor(rnd() * 5_000_000) : i % 211 === 0 ? Math.floor(rnd() * 90_000_000_000) : Math.floor(rnd() * 400_000);
      for (const digits of [0, 3, 6, 9]) {
        const nanos = Math.floor(rnd() * 1000);
        assert.equal(isoTimeFast(us, digits, nanos), isoTime(us, digits, nanos), `${us} ${digits} ${nanos}`);
        assert.equal(isoTimeFast(us, digits), isoTime(us, digits), `${us} ${digits}`);
      }
    }
  }
  // Negative (before 1970) and non-integer times fall back to isoTime itself.
  for (const us of [-1, -1_000_001, -86_400_000_000, 1_700_000_004_375_132.5]) {
    for (const digits of [0, 3, 6, 9]) assert.equal(isoTimeFast(us, digits, 5), isoTime(us, digits, 5));
  }
});
