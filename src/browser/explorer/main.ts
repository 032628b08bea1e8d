import type { Client, ClientOptions } from 'graphql-ws';
import { pageConfig } from '../dom';

/**
 * The explorer's own browser script, run after the React, ReactDOM, graphql-ws and GraphiQL UMD
 * bundles served from the installed npm packages (globals `React`, `ReactDOM`, `graphqlWs`,
 * `GraphiQL`; only the parts used here are typed below).
 *
 * Queries and mutations: JSON POST to the endpoint (Apollo Server's CSRF prevention accepts
 * `content-type: application/json`). Subscriptions: graphql-ws on the same URL, ws: or wss:
 * following the page's own scheme, so it works behind a TLS-terminating proxy too.
 */
interface ReactElement {
  readonly type: unknown;
}
type Fetcher = (params: unknown) => unknown;

interface GraphiqlProps {
  readonly fetcher: Fetcher;
  readonly defaultQuery: string;
  readonly defaultEditorToolsVisibility: boolean;
  readonly isHeadersEditorEnabled: boolean;
  readonly shouldPersistHeaders: boolean;
}

interface GraphiqlGlobal {
  createFetcher(options: { url: string; wsClient: Client; enableIncrementalDelivery: boolean }): Fetcher;
}

declare const React: { createElement(component: GraphiqlGlobal, props: GraphiqlProps): ReactElement };
declare const ReactDOM: { createRoot(container: Element): { render(element: ReactElement): void } };
declare const graphqlWs: { createClient(options: ClientOptions): Client };
declare const GraphiQL: GraphiqlGlobal;

const config = pageConfig<{ endpointPath: string; defaultQuery: string }>('canonql-explorer-config');
const endpoint = new URL(config.endpointPath, window.location.href);
endpoint.search = '';
endpoint.hash = '';
const subscriptionUrl = new URL(endpoint.href);
subscriptionUrl.protocol = endpoint.protocol === 'https:' ? 'wss:' : 'ws:';

const wsClient = graphqlWs.createClient({
  url: subscriptionUrl.href,
  lazy: true,
  retryAttempts: 5,
  on: { error: (error) => console.warn('explorer: websocket error', error) },
});
const fetcher = GraphiQL.createFetcher({ url: endpoint.href, wsClient, enableIncrementalDelivery: false });

const container = document.getElementById('graphiql');
if (!container) throw new Error('explorer: #graphiql is missing');
ReactDOM.createRoot(container).render(
  React.createElement(GraphiQL, {
    fetcher,
    defaultQuery: config.defaultQuery,
    defaultEditorToolsVisibility: false,
    isHeadersEditorEnabled: true,
    shouldPersistHeaders: false,
  }),
);

declare global {
  interface Window {
    canonqlExplorer?: { readonly endpoint: string; readonly subscriptionUrl: string };
  }
}
window.canonqlExplorer = { endpoint: endpoint.href, subscriptionUrl: subscriptionUrl.href };
