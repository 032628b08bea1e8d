import type http from 'node:http';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type Express } from 'express';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { Logger } from '../logger';
import { createContext, type ApiContext, type ApiServices } from './context';
import { createFormatError } from './format-error';
import type { SchemaGateway } from './schema-gateway';

/**
 * The GraphQL endpoint on one HTTP server and path: Apollo Server for queries and mutations over
 * HTTP, graphql-ws for subscriptions over websockets, both reading the gateway's current schema,
 * both drained on stop (in-flight requests finish, sockets close with 1001 "going away").
 */
export interface GraphqlEndpoint {
  stop(): Promise<void>;
}

export async function mountGraphqlEndpoint(options: {
  readonly app: Express;
  readonly httpServer: http.Server;
  readonly path: string;
  readonly gateway: SchemaGateway;
  readonly services: ApiServices;
  readonly logger: Logger;
}): Promise<GraphqlEndpoint> {
  const log = options.logger.child({ component: 'graphql' });
  const wsServer = new WebSocketServer({ server: options.httpServer, path: options.path });
  const wsCleanup = useServer<Record<string, unknown>, { context?: ApiContext }>({
    schema: () => options.gateway.current(),
    context: () => createContext(options.services),
  }, wsServer);

  const apollo = new ApolloServer<ApiContext>({
    gateway: options.gateway,
    formatError: createFormatError(log),
    includeStacktraceInErrorResponses: false,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer: options.httpServer }),
      { async serverWillStart() { return { async drainServer() { await wsCleanup.dispose(); } }; } },
    ],
  });
  await apollo.start();
  options.app.use(options.path, express.json({ limit: '1mb' }), expressMiddleware(apollo, {
    context: async () => createContext(options.services),
  }));
  log.info({ path: options.path }, 'GraphQL endpoint mounted (HTTP + graphql-ws)');
  return {
    async stop() {
      await apollo.stop();
      wsServer.close();
    },
  };
}
