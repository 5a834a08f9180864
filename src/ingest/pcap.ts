// Placeholder: the capture ingester is being written.
import type { BinaryFormat } from './types.js';

export const pcapFormat: BinaryFormat = {
  name: 'pcap',
  kind: 'binary',
  sniff: () => 0,
  // eslint-disable-next-line require-yield
  async *open() {},
};
