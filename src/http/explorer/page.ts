import { jsonForScriptBlock, pageHead, scriptTags } from '../html';

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
  return `${pageHead(input.title, input.stylesheets)}
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
