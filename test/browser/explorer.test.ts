import { describeExplorer } from './support/explorer-suite';
import { startCanonqlTarget } from './support/canonql-target';
import { startTinyGraphqlServer } from './support/tiny-graphql-server';

// Headless Debian chromium: start-up, GraphiQL's first render and a few seconds of subscription.
jest.setTimeout(120_000);

describeExplorer('the explorer on a minimal GraphQL server', startTinyGraphqlServer, 'explorer-minimal');
describeExplorer('the explorer on canonql (real ingestion, queries, live subscription)', startCanonqlTarget, 'explorer-canonql');
