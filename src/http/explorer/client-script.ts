/**
 * The explorer's own browser script, run after the React, ReactDOM, graphql-ws and GraphiQL UMD
 * bundles (globals `React`, `ReactDOM`, `graphqlWs`, `GraphiQL`). It is kept as a string (plain
 * ES2017, no build step) so it ships inside the compiled service as is.
 *
 * Queries and mutations: JSON POST to the endpoint (Apollo Server's CSRF prevention accepts
 * `content-type: application/json`). Subscriptions: graphql-ws on the same URL, ws: or wss:
 * following the page's own scheme, so it works behind a TLS-terminating proxy too.
 */
export const EXPLORER_CLIENT_SCRIPT = String.raw`(function () {
  'use strict';
  var config = JSON.parse(document.getElementById('canonql-explorer-config').textContent);
  var endpoint = new URL(config.endpointPath, window.location.href);
  endpoint.search = '';
  endpoint.hash = '';
  var subscriptionUrl = new URL(endpoint.href);
  subscriptionUrl.protocol = endpoint.protocol === 'https:' ? 'wss:' : 'ws:';

  var wsClient = graphqlWs.createClient({
    url: subscriptionUrl.href,
    lazy: true,
    retryAttempts: 5,
    on: {
      error: function (error) { console.warn('explorer: websocket error', error); }
    }
  });
  var fetcher = GraphiQL.createFetcher({
    url: endpoint.href,
    wsClient: wsClient,
    enableIncrementalDelivery: false
  });

  var root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(React.createElement(GraphiQL, {
    fetcher: fetcher,
    defaultQuery: config.defaultQuery,
    defaultEditorToolsVisibility: false,
    isHeadersEditorEnabled: true,
    shouldPersistHeaders: false
  }));
  window.canonqlExplorer = { endpoint: endpoint.href, subscriptionUrl: subscriptionUrl.href };
})();
`;
