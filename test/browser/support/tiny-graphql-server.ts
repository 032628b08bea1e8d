import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import { GraphQLInt, GraphQLNonNull, GraphQLObjectType, GraphQLSchema, GraphQLString } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { explorerRoutes } from '../../../src/http/explorer-routes';
import type { ExplorerTarget } from './explorer-suite';

/**
 * A stand-in for the canonql API in the explorer's browser test: express + Apollo Server 5 over
 * HTTP and graphql-ws on the same server and path, with `Query.hello` and a `Subscription.ticked`
 * that counts up, and the explorer router mounted in front exactly as the service mounts it.
 */
export const TINY_DEFAULT_QUERY = `# Welcome to the canonql explorer
query Hello {
  hello
}
`;

export function tinySchema(): GraphQLSchema {
  return new GraphQLSchema({
    query: new GraphQLObjectType({
      name: 'Query',
      fields: {
        hello: { type: new GraphQLNonNull(GraphQLString), resolve: () => 'Hello from canonql' },
      },
    }),
    subscription: new GraphQLObjectType({
      name: 'Subscription',
      fields: {
        ticked: {
          type: new GraphQLNonNull(GraphQLInt),
          args: {
            count: { type: new GraphQLNonNull(GraphQLInt), defaultValue: 5 },
            intervalMs: { type: new GraphQLNonNull(GraphQLInt), defaultValue: 400 },
          },
          subscribe: (_source: unknown, args: { count: number; intervalMs: number }) => ticks(args.count, args.intervalMs),
          resolve: (tick: unknown) => tick,
        },
      },
    }),
  });
}

async function* ticks(count: number, intervalMs: number): AsyncGenerator<number> {
  for (let tick = 1; tick <= count; tick += 1) {
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
    yield tick;
  }
}

export async function startTinyGraphqlServer(): Promise<ExplorerTarget> {
  const endpointPath = '/graphql';
  const schema = tinySchema();
  const app = express();
  app.disable('x-powered-by');
  const httpServer = http.createServer(app);

  const wsServer = new WebSocketServer({ server: httpServer, path: endpointPath });
  const wsCleanup = useServer({ schema }, wsServer);

  const apollo = new ApolloServer({
    schema,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      {
        serverWillStart: async () => ({
          drainServer: async () => {
            await wsCleanup.dispose();
          },
        }),
      },
    ],
  });
  await apollo.start();

  app.use(explorerRoutes({ endpointPath, defaultQuery: TINY_DEFAULT_QUERY, title: 'canonql explorer (test)' }));
  app.use(endpointPath, express.json(), expressMiddleware(apollo));

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = httpServer.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    endpointPath,
    defaultQuery: TINY_DEFAULT_QUERY,
    isExpectedQueryData: (data) => (data as { hello?: unknown } | undefined)?.hello === 'Hello from canonql',
    subscription: {
      document: 'subscription Ticks {\n  ticked(count: 5, intervalMs: 400)\n}\n',
      isExpectedEventData: (data) => typeof (data as { ticked?: unknown } | undefined)?.ticked === 'number',
    },
    stop: async () => {
      await apollo.stop(); // drains HTTP, then the websocket server
      await new Promise<void>((resolve) => wsServer.close(() => resolve()));
    },
  };
}
