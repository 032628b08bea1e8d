import { jsonForScriptBlock, pageHead, scriptTags, siteNav, type SiteLinks } from '../html';

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
  /** canonql's other pages, in a bar above GraphiQL; absent: GraphiQL fills the page. */
  readonly links?: SiteLinks;
}

export function renderExplorerPage(input: ExplorerPageInput): string {
  const config = { endpointPath: input.endpointPath, defaultQuery: input.defaultQuery };
  return `${pageHead(input.title, input.stylesheets)}
<style>html, body, #graphiql { height: 100%; margin: 0; } body { overflow: hidden; }${input.links ? NAV_STYLE : ''}</style>
</head>
<body>
${input.links ? siteNav(input.links, 'explorer') : ''}
<div id="graphiql"><noscript>The GraphQL explorer needs JavaScript.</noscript></div>
<script id="canonql-explorer-config" type="application/json">${jsonForScriptBlock(config)}</script>
${scriptTags(input.scripts)}
</body>
</html>
`;
}

/** A slim bar above GraphiQL, which then takes the rest of the height. */
const NAV_STYLE = `
body { display: flex; flex-direction: column; }
.site-nav { flex: none; display: flex; gap: 14px; align-items: center; height: 32px; padding: 0 16px; font: 13px system-ui, sans-serif; border-bottom: 1px solid #d5dae3; background: #f6f7fa; }
.site-nav a { color: #1f5fbf; text-decoration: none; }
.site-nav a:hover, .site-nav a:focus { text-decoration: underline; }
.site-nav a[aria-current="page"] { color: #1d2330; font-weight: 600; }
#graphiql { flex: 1; min-height: 0; height: auto; }`;
