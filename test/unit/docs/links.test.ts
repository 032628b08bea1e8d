import fs from 'node:fs';
import path from 'node:path';
import { documentationFiles, readMarkdown, REPO_ROOT } from '../../support/markdown';

/** Every relative link of README.md and docs/ names a file that exists, and an anchor a heading of it. */
describe('documentation links', () => {
  const files = documentationFiles();

  it('reads the README and the docs index', () => {
    expect(files).toEqual(expect.arrayContaining(['README.md', 'docs/README.md']));
  });

  it.each(files)('every relative link of %s resolves', (file) => {
    const doc = readMarkdown(file);
    const broken: string[] = [];
    for (const { href, line } of doc.links) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(href)) continue; // http:, https:, mailto: — not part of the repository
      const [target = '', anchor] = href.split('#', 2);
      const resolved = target === '' ? path.join(REPO_ROOT, file) : path.join(REPO_ROOT, path.dirname(file), decodeURI(target));
      if (!fs.existsSync(resolved)) {
        broken.push(`${file}:${line} ${href}: no such file`);
        continue;
      }
      if (anchor !== undefined && resolved.endsWith('.md')) {
        const anchors = readMarkdown(path.relative(REPO_ROOT, resolved)).anchors;
        if (!anchors.has(anchor)) broken.push(`${file}:${line} ${href}: no heading with anchor #${anchor}`);
      }
    }
    expect(broken).toEqual([]);
  });
});
