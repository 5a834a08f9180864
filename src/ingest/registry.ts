// Every input format, in one table. Adding a format is adding a file and a line here.
import type { Format } from './types.js';
import { envoyAccessFormat } from './envoy-access.js';
import { envoyDebugFormat } from './envoy-debug.js';
import { nginxErrorFormat } from './nginx-error.js';
import { nginxAccessFormat } from './nginx-access.js';
import { pcapFormat } from './pcap.js';
import { envoyBodyFormat } from '../envoy/body.js';

export const FORMATS: readonly Format[] = [pcapFormat, envoyAccessFormat, envoyDebugFormat, envoyBodyFormat, nginxErrorFormat, nginxAccessFormat];

export function formatByName(name: string): Format | undefined {
  return FORMATS.find((f) => f.name === name);
}
