import { SETTINGS } from '../../../src/config';
import { listTransforms } from '../../../src/mapping/transforms/transform-registry';
import { renderGeneratedPages, renderSettingsTable, renderTransformTable, replaceGeneratedBlock } from '../../../scripts/docs-reference';
import { REPO_ROOT } from '../../support/markdown';

describe('the generated parts of docs/', () => {
  it.each(renderGeneratedPages(REPO_ROOT).map((page) => [page.file, page] as const))(
    '%s is what the code renders (run `npm run docs:generate` after changing SETTINGS or a transform)',
    (_file, page) => {
      expect(page.current).toBe(page.expected);
    },
  );

  it('lists every setting once, with its default', () => {
    const table = renderSettingsTable(SETTINGS);
    for (const setting of SETTINGS) {
      const rows = table.split('\n').filter((row) => row.startsWith(`| \`${setting.name}\` |`));
      expect(rows).toHaveLength(1);
      if (setting.documentedDefault === undefined && setting.default !== '') expect(rows[0]).toContain(`| \`${setting.default}\` |`);
    }
  });

  it('lists every transform with its arguments, optional ones marked', () => {
    const table = renderTransformTable(listTransforms());
    expect(table).toContain('| `enum` |');
    expect(table).toMatch(/\| `enum` \|.*\| `map`, `default`\?, `caseInsensitive`\? \|$/m);
    expect(table.split('\n')).toHaveLength(listTransforms().length + 2);
  });

  it('keeps a pipe inside a description from splitting the cell', () => {
    const table = renderSettingsTable([{ name: 'X', default: '', description: 'a|b' }]);
    expect(table).toContain('| `X` | (none) | a\\|b |');
  });

  it('refuses a page whose markers are missing', () => {
    expect(() => replaceGeneratedBlock('no markers here', { name: 'settings', source: 's', file: 'f.md' }, 'x')).toThrow(/markers/);
  });

  it('replaces only what lies between the markers', () => {
    const page = 'before\n<!-- BEGIN generated:t -->\nold\n<!-- END generated:t -->\nafter\n';
    const out = replaceGeneratedBlock(page, { name: 't', source: 'the code', file: 'f.md' }, 'new');
    expect(out.startsWith('before\n<!-- BEGIN generated:t -->\n')).toBe(true);
    expect(out).toContain('\nnew\n');
    expect(out).not.toContain('old');
    expect(out.endsWith('<!-- END generated:t -->\nafter\n')).toBe(true);
  });
});
