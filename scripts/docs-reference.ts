import fs from 'node:fs';
import path from 'node:path';
import { SETTINGS, type SettingSpec } from '../src/config';
import { listTransforms, type TransformDescription } from '../src/mapping/transforms/transform-registry';

/**
 * The parts of docs/ that are generated from the code, so the manual cannot drift from it: the
 * settings table (SETTINGS in src/config.ts) and the transform table (the mapping engine's
 * registry). Each lives between two markers in its page; `npm run docs:generate` rewrites them
 * and a unit test fails when a page differs from what the code renders.
 */

export interface GeneratedBlock {
  /** Page, relative to the repository root. */
  readonly file: string;
  /** Marker name: `<!-- BEGIN generated:NAME -->` … `<!-- END generated:NAME -->`. */
  readonly name: string;
  /** Where the content comes from, said in the page so readers edit the source, not the table. */
  readonly source: string;
  readonly render: () => string;
}

export const GENERATED_BLOCKS: readonly GeneratedBlock[] = [
  { file: 'docs/configuration.md', name: 'settings', source: 'SETTINGS in src/config.ts', render: () => renderSettingsTable(SETTINGS) },
  {
    file: 'docs/ingestion.md',
    name: 'transforms',
    source: 'the transform registry in src/mapping/transforms/',
    render: () => renderTransformTable(listTransforms()),
  },
];

export function renderSettingsTable(settings: readonly SettingSpec[]): string {
  const rows = settings.map((s) => {
    const shown = s.documentedDefault ?? (s.default === '' ? '(none)' : code(s.default));
    return `| ${code(s.name)} | ${cell(shown)} | ${cell(s.description)} |`;
  });
  return ['| variable | default | meaning |', '|---|---|---|', ...rows].join('\n');
}

export function renderTransformTable(transforms: readonly TransformDescription[]): string {
  const rows = transforms.map((t) => {
    const args = t.args.length === 0 ? '-' : t.args.map((a) => `${code(a.name)}${a.required ? '' : '?'}`).join(', ');
    return `| ${code(t.name)} | ${cell(t.description)} | ${args} |`;
  });
  return ['| transform | what it does | arguments |', '|---|---|---|', ...rows].join('\n');
}

/** `page` with the block's content replaced; throws when the markers are missing or out of order. */
export function replaceGeneratedBlock(page: string, block: Pick<GeneratedBlock, 'name' | 'source' | 'file'>, content: string): string {
  const begin = `<!-- BEGIN generated:${block.name} -->`;
  const end = `<!-- END generated:${block.name} -->`;
  const from = page.indexOf(begin);
  const to = page.indexOf(end);
  if (from < 0 || to < from) throw new Error(`${block.file}: markers ${begin} … ${end} are missing or out of order`);
  const note = `<!-- generated from ${block.source} by \`npm run docs:generate\`; edit the code, not this table -->`;
  return `${page.slice(0, from)}${begin}\n${note}\n\n${content}\n\n${page.slice(to)}`;
}

/** Each generated page as it is on disk and as the code renders it. */
export function renderGeneratedPages(root: string): { file: string; current: string; expected: string }[] {
  const pages = new Map<string, { current: string; expected: string }>();
  for (const block of GENERATED_BLOCKS) {
    const page =
      pages.get(block.file) ??
      (() => {
        const current = fs.readFileSync(path.join(root, block.file), 'utf8');
        return { current, expected: current };
      })();
    page.expected = replaceGeneratedBlock(page.expected, block, block.render());
    pages.set(block.file, page);
  }
  return [...pages].map(([file, page]) => ({ file, ...page }));
}

const code = (text: string): string => (text.includes('`') ? `\`\` ${text} \`\`` : `\`${text}\``);
/** A table cell: a pipe would end the cell, a line break the row. */
const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');
