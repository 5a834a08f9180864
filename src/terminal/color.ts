// Colour is decided once, by the caller, from the stream and the environment; renderers only
// receive `color: boolean`. We emit SGR codes ourselves (no colour library guessing behind our back).

export interface ColorStreamLike {
  isTTY?: boolean;
}

/**
 * Colour on stdout/stderr? Order: an explicit `--color` / `--no-color` wins; then NO_COLOR
 * (https://no-color.org: present and non-empty disables); then FORCE_COLOR (non-empty, not "0"
 * and not "false" enables, as in Node and chalk); then TERM=dumb disables; else only on a TTY.
 */
export function shouldUseColor(
  stream: ColorStreamLike,
  env: Record<string, string | undefined> = process.env,
  flag?: boolean,
): boolean {
  if (flag !== undefined) return flag;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== '' && force !== '0' && force !== 'false') return true;
  if (env.TERM === 'dumb') return false;
  return stream.isTTY === true;
}

export interface Palette {
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  yellow(s: string): string;
  green(s: string): string;
  cyan(s: string): string;
  magenta(s: string): string;
}

const sgr = (open: number, close: number) => (s: string) => (s === '' ? s : `\x1b[${open}m${s}\x1b[${close}m`);
const plain = (s: string) => s;

const COLOR: Palette = {
  bold: sgr(1, 22),
  dim: sgr(2, 22),
  red: sgr(31, 39),
  yellow: sgr(33, 39),
  green: sgr(32, 39),
  cyan: sgr(36, 39),
  magenta: sgr(35, 39),
};
const NO_COLOR: Palette = { bold: plain, dim: plain, red: plain, yellow: plain, green: plain, cyan: plain, magenta: plain };

/** Apply only to text that is already sanitized: the palette adds escapes, it never vets them. */
export function palette(color: boolean): Palette {
  return color ? COLOR : NO_COLOR;
}

/** Our own SGR sequences, to measure and strip (input ESC bytes never survive `sanitize`). */
export const SGR_RE = /\x1b\[[0-9;]*m/g;

export function stripSgr(s: string): string {
  return s.replace(SGR_RE, '');
}
