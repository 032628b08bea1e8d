import fs from 'node:fs';
import path from 'node:path';
import GithubSlugger from 'github-slugger';
import MarkdownIt from 'markdown-it';

/**
 * The project's Markdown read the way a renderer reads it (markdown-it, CommonMark), for tests that
 * hold the documentation to the code: links that resolve, headings' anchors as GitHub makes them
 * (github-slugger), and fenced code blocks that a test executes.
 */

export const REPO_ROOT = path.join(__dirname, '..', '..');

const markdown = new MarkdownIt();
type Token = ReturnType<MarkdownIt['parse']>[number];

export interface MarkdownLink {
  readonly href: string;
  /** 1-based line of the block holding the link. */
  readonly line: number;
}

export interface FencedBlock {
  /** The info string's first word (`sh`, `graphql`...), empty when none. */
  readonly lang: string;
  readonly content: string;
  readonly line: number;
  /** Text of the nearest `##` heading above the block (empty before the first). */
  readonly section: string;
}

export interface MarkdownDocument {
  /** Path relative to the repository root, with forward slashes. */
  readonly file: string;
  readonly links: readonly MarkdownLink[];
  /** The anchors GitHub gives this file's headings (`## GET /metrics` → `get-metrics`). */
  readonly anchors: ReadonlySet<string>;
  readonly fences: readonly FencedBlock[];
}

export function readMarkdown(file: string): MarkdownDocument {
  const tokens = markdown.parse(fs.readFileSync(path.join(REPO_ROOT, file), 'utf8'), {});
  const links: MarkdownLink[] = [];
  const fences: FencedBlock[] = [];
  const anchors = new Set<string>();
  const slugger = new GithubSlugger();
  let blockLine = 0;
  let section = '';
  tokens.forEach((token, index) => {
    if (token.map) blockLine = token.map[0] + 1;
    if (token.type === 'fence') fences.push({ lang: token.info.trim().split(/\s+/)[0] ?? '', content: token.content, line: blockLine, section });
    if (token.type === 'heading_open') {
      const text = plainText(tokens[index + 1]!);
      anchors.add(slugger.slug(text));
      if (token.tag === 'h2') section = text;
    }
    for (const child of token.children ?? []) {
      const href = child.type === 'link_open' ? child.attrGet('href') : child.type === 'image' ? child.attrGet('src') : null;
      if (href !== null) links.push({ href, line: blockLine });
    }
  });
  return { file: file.split(path.sep).join('/'), links, anchors, fences };
}

/** Every Markdown file of the manual: README.md and docs/, recursively. */
export function documentationFiles(): string[] {
  const docs = fs
    .readdirSync(path.join(REPO_ROOT, 'docs'), { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.md'))
    .map((name) => path.join('docs', name));
  return ['README.md', ...docs.sort()];
}

/** A heading's text as GitHub slugs it: inline code keeps its content, markup is dropped. */
function plainText(inline: Token): string {
  return (inline.children ?? [])
    .filter((child) => child.type === 'text' || child.type === 'code_inline')
    .map((child) => child.content)
    .join('');
}
