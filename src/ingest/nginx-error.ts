// Placeholder: the nginx-error ingester is being written.
import type { TextFormat } from './types.js';

export const nginxErrorFormat: TextFormat = {
  name: 'nginx-error',
  kind: 'text',
  sniff: () => 0,
  open: () => ({ parse: () => undefined }),
};
