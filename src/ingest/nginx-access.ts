// Placeholder: the nginx-access ingester is being written.
import type { TextFormat } from './types.js';

export const nginxAccessFormat: TextFormat = {
  name: 'nginx-access',
  kind: 'text',
  sniff: () => 0,
  open: () => ({ parse: () => undefined }),
};
