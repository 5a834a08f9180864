// Placeholder: the envoy-debug ingester is being written.
import type { TextFormat } from './types.js';

export const envoyDebugFormat: TextFormat = {
  name: 'envoy-debug',
  kind: 'text',
  sniff: () => 0,
  open: () => ({ parse: () => undefined }),
};
