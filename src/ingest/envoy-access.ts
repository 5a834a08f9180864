// Placeholder: the envoy-access ingester is being written.
import type { TextFormat } from './types.js';

export const envoyAccessFormat: TextFormat = {
  name: 'envoy-access',
  kind: 'text',
  sniff: () => 0,
  open: () => ({ parse: () => undefined }),
};
