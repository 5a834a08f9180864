// isoTime (src/time.ts) for the capture path: packets come in time order, so the date-and-second
// part ("2023-11-14T22:13:24") is the same for runs of them and is formatted once per second, not
// once per event (with its eight intermediate strings). Same output as isoTime, byte for byte
// (test/iso-time.test.ts compares the two).
//
// The result is flat. isoTime's `a + '-' + b ...` leaves a rope (a ConsString per `+` past 12
// characters): ~285 heap bytes per time against ~50 flat, and an event lives on in the correlator's
// context and incidents with up to five of them (a flow's time, start, end, FIN times).
import { isoTime } from '../time.js';

let lastSec = NaN;
let lastPrefix = '';

export function isoTimeFast(us: number, digits: number, nanos = 0): string {
  const sec = Math.floor(us / 1_000_000);
  if (!Number.isSafeInteger(us)) return isoTime(us, digits, nanos);
  if (sec !== lastSec) {
    const full = isoTime(sec * 1_000_000, 0);
    lastPrefix = full.slice(0, -1); // without the 'Z'
    lastSec = sec;
  }
  if (digits <= 0) return flatten(lastPrefix + 'Z');
  const subUs = us - sec * 1_000_000; // 0..999999
  let frac: string;
  if (digits <= 6) {
    frac = String(subUs);
    if (frac.length < 6) frac = ZEROS[6 - frac.length] + frac;
    if (digits < 6) frac = frac.slice(0, digits);
  } else {
    frac = (String(subUs).padStart(6, '0') + String(nanos).padStart(3, '0')).slice(0, digits);
  }
  return flatten(lastPrefix + '.' + frac + 'Z');
}

/**
 * `s` made flat (one sequential string, not a rope of ConsStrings): reading a character makes V8
 * flatten it in place, and the next GC drops the rope. Worth it for strings that are kept.
 */
export function flatten(s: string): string {
  if (s.length > 12) s.charCodeAt(0);
  return s;
}

const ZEROS = ['', '0', '00', '000', '0000', '00000', '000000'];
