import { printSchema, type GraphQLSchema } from 'graphql';
import type { GatewayInterface, GatewaySchemaLoadOrUpdateCallback } from '@apollo/server-gateway-interface';

/**
 * Lets Apollo Server serve a schema that changes at run time. Apollo's `gateway` option is the
 * supported way to swap the schema of a running server (it re-derives everything from the new
 * schema on the callback); graphql-ws reads the same `current()` for each subscription.
 */
export class SchemaGateway implements GatewayInterface {
  private schema: GraphQLSchema;
  private readonly listeners = new Set<GatewaySchemaLoadOrUpdateCallback>();

  constructor(initial: GraphQLSchema) {
    this.schema = initial;
  }

  current(): GraphQLSchema {
    return this.schema;
  }

  update(schema: GraphQLSchema): void {
    this.schema = schema;
    const context = { apiSchema: schema, coreSupergraphSdl: printSchema(schema) };
    for (const listener of this.listeners) listener(context);
  }

  async load() {
    // null executor: Apollo executes operations itself against the current schema.
    return { executor: null };
  }

  onSchemaLoadOrUpdate(callback: GatewaySchemaLoadOrUpdateCallback) {
    this.listeners.add(callback);
    callback({ apiSchema: this.schema, coreSupergraphSdl: printSchema(this.schema) });
    return () => {
      this.listeners.delete(callback);
    };
  }

  async stop() {
    this.listeners.clear();
  }
}
