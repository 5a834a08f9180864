// Usage, config and I/O problems: one clear line for the user, a stable code, exit status 2.
// Problems in the data are events (anomaly.*), never exceptions. Anything else is a bug.
export class UserError extends Error {
  constructor(readonly code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UserError';
  }
}
export const EXIT = { OK: 0, FINDINGS: 1, ERROR: 2 } as const;
