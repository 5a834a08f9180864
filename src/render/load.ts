// The CLI loads the one renderer it needs (render/index.ts's RENDERERS imports all four): a JSON
// report must not pay at start-up for the table's cli-table3 or the HTML renderer.
import type { Report } from '../report.js';
import type { RenderOptions } from './common.js';

type Render = (report: Report, opts: RenderOptions) => string;

export const LOAD_RENDERER: Record<'table' | 'json' | 'markdown' | 'html', () => Promise<Render>> = {
  table: async () => (await import('./table.js')).renderTable,
  json: async () => (await import('./json.js')).renderJson,
  markdown: async () => (await import('./markdown.js')).renderMarkdown,
  html: async () => (await import('./html.js')).renderHtml,
};
