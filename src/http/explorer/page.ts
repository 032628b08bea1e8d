import { escapeHtml, jsonForScriptBlock, scriptTags } from '../html';

/**
 * The explorer's HTML page: only same-origin asset URLs (absolute paths below the endpoint), the
 * settings in a JSON data block (no templating inside script code), nothing loaded from elsewhere.
 */
export interface ExplorerPageInput {
  readonly title: string;
  readonly endpointPath: string;
  readonly defaultQuery: string;
  readonly stylesheets: readonly string[];
  /** In execution order. */
  readonly scripts: readonly string[];
}

export function renderExplorerPage(input: ExplorerPageInput): string {
  const config = { endpointPath: input.endpointPath, defaultQuery: input.defaultQuery };
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>${escapeHtml(input.title)}</title>
${input.stylesheets.map((href) => `<link rel="stylesheet" href="${escapeHtml(href)}">`).join('\n')}
<style>html, body, #graphiql { height: 100%; margin: 0; } body { overflow: hidden; }</style>
</head>
<body>
<div id="graphiql"><noscript>The GraphQL explorer needs JavaScript.</noscript></div>
<script id="canonql-explorer-config" type="application/json">${jsonForScriptBlock(config)}</script>
${scriptTags(input.scripts)}
</body>
</html>
`;
}
