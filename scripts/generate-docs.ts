import fs from 'node:fs';
import path from 'node:path';
import { renderGeneratedPages } from './docs-reference';

/** `npm run docs:generate`: rewrites the tables of docs/ that are generated from the code. */
const root = path.join(__dirname, '..');
for (const page of renderGeneratedPages(root)) {
  if (page.current === page.expected) continue;
  fs.writeFileSync(path.join(root, page.file), page.expected);
  console.log(`wrote ${page.file}`);
}
