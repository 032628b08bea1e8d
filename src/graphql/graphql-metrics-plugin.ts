import type { ApolloServerPlugin } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import { isAppError } from '../errors';
import { createOperationLabels } from '../observability/operation-label';
import type { ServiceMetrics } from '../observability/service-metrics';
import type { ApiContext } from './context';

/**
 * Apollo Server plugin: times every GraphQL operation over HTTP into the latency histogram (by
 * operation name, type and outcome), counts store and Kafka failures behind resolver errors, and
 * logs through the request's child logger, so each line carries the request id: one debug line per
 * operation, one warn line with the error codes when it failed. `finished` records an operation
 * the same way (the accepted-query path, accepted-queries.ts, answers successful queries without
 * the plugin's hooks); both share the bounded set of operation labels.
 */
export interface GraphqlMetrics {
  readonly plugin: ApolloServerPlugin<ApiContext>;
  finished(context: ApiContext, name: string | undefined, type: string, failed: boolean, seconds: number): void;
}

export function graphqlMetrics(metrics: ServiceMetrics): GraphqlMetrics {
  const label = createOperationLabels();
  const finished: GraphqlMetrics['finished'] = (contextValue, name, type, failed, seconds) => {
    metrics.operationFinished(label(name), type, failed ? 'error' : 'ok', seconds);
    contextValue.logger?.debug({ operation: name ?? null, type, ok: !failed, durationMs: Math.round(seconds * 1e6) / 1e3 }, 'graphql operation');
  };
  const plugin: ApolloServerPlugin<ApiContext> = {
    async requestDidStart({ request }) {
      const started = process.hrtime.bigint();
      let failed = false;
      return {
        async didEncounterErrors({ errors, operationName, operation, contextValue }) {
          failed = true;
          const codes = errors.map((error) => {
            const original = unwrapResolverError(error);
            metrics.recordFailure('graphql', original);
            return isAppError(original) ? original.code : String(error.extensions?.code ?? 'INTERNAL_SERVER_ERROR');
          });
          contextValue.logger?.warn(
            {
              operation: operationName ?? request.operationName ?? null,
              type: operation?.operation ?? null,
              codes,
              messages: errors.slice(0, 5).map((error) => error.message),
            },
            'graphql operation failed',
          );
        },
        async willSendResponse({ operationName, operation, contextValue }) {
          const seconds = Number(process.hrtime.bigint() - started) / 1e9;
          finished(contextValue, operationName ?? request.operationName, operation?.operation ?? 'unknown', failed, seconds);
        },
      };
    },
  };
  return { plugin, finished };
}
