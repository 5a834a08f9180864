// Renderers are a plain `name -> function` map (STYLE.md §10): each turns one aggregated Report
// into a string. NDJSON is the odd one out: it streams events as they arrive (ndjsonWriter).
import type { Report } from '../report.js';
import type { RenderOptions } from './common.js';
import { renderTable } from './table.js';
import { renderJson } from './json.js';
import { renderMarkdown } from './markdown.js';
import { renderHtml } from './html.js';

export type { RenderOptions, Renderer } from './common.js';
export { ndjsonWriter, isClosedPipe, type NdjsonWriter, type NdjsonWriterOptions } from './ndjson.js';
export { createTimelineCollector, type TimelineCollector } from './timeline.js';

export const RENDERERS: Record<'table' | 'json' | 'markdown' | 'html', (report: Report, opts: RenderOptions) => string> = {
  table: renderTable,
  json: renderJson,
  markdown: renderMarkdown,
  html: renderHtml,
};

export type ReportFormat = keyof typeof RENDERERS;

/** Every format the CLI accepts for `--format` (ndjson streams; the rest render a Report). */
export const FORMATS = ['table', 'ndjson', 'json', 'markdown', 'html'] as const;
