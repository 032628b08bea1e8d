/** Small, safe builders for the pages canonql serves itself (the explorer, the studio). */

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** JSON that cannot close the surrounding <script> element nor start an HTML comment. */
export function jsonForScriptBlock(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** `<script src>` elements, one per line, URLs escaped. */
export function scriptTags(sources: readonly string[]): string {
  return sources.map((src) => `<script src="${escapeHtml(src)}"></script>`).join('\n');
}

/** The start of every page canonql serves: charset, viewport, no referrer, no favicon request, title, stylesheets. */
export function pageHead(title: string, stylesheets: readonly string[]): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>${escapeHtml(title)}</title>
${stylesheets.map((href) => `<link rel="stylesheet" href="${escapeHtml(href)}">`).join('\n')}`;
}
