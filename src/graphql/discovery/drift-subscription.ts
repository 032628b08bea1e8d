import { GraphQLFloat, GraphQLInt, GraphQLList, GraphQLNonNull, GraphQLObjectType, GraphQLString, type GraphQLFieldConfigMap } from 'graphql';
import type { DiscoveryReader, SchemaVersion } from '../../discovery/discovery-reader';
import type { SubscriptionFieldsFactory } from '../build-api-schema';
import { requireRawRead } from '../access';
import type { ApiContext } from '../context';
import { DateTimeScalar, JSONScalar } from '../scalars';

/**
 * `rawSchemaDrifted(topic, afterVersion)`: each raw schema version of a topic as it is recorded.
 * Ingestion and API may be different processes, so the reader polls the versions collection
 * (no change streams in the store); `afterVersion` resumes after a known version, delivering the
 * versions missed first. Plain graphql-js, like the other subscription fields (build-api-schema.ts
 * composes them), so its payload types have their own names.
 */
const strings = new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(GraphQLString)));

const TypeChange = new GraphQLObjectType({
  name: 'RawSchemaDriftTypeChange',
  fields: { path: { type: new GraphQLNonNull(GraphQLString) }, from: { type: strings }, to: { type: strings } },
});

export const RawSchemaDriftEventType = new GraphQLObjectType<SchemaVersion>({
  name: 'RawSchemaDriftEvent',
  description: 'A new raw schema version of a topic: what was added, removed or changed type.',
  fields: {
    topic: { type: new GraphQLNonNull(GraphQLString) },
    version: { type: new GraphQLNonNull(GraphQLInt) },
    sequence: { type: new GraphQLNonNull(GraphQLFloat), description: 'Order of recording over all topics.' },
    recordedAt: { type: new GraphQLNonNull(DateTimeScalar) },
    added: { type: strings, resolve: (v) => v.changes.added },
    removed: { type: strings, resolve: (v) => v.changes.removed },
    typeChanged: { type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(TypeChange))), resolve: (v) => v.changes.typeChanged },
    schema: { type: JSONScalar, description: 'The inferred JSON Schema of the new version.' },
  },
});

export function rawSchemaDriftFields(reader: DiscoveryReader): GraphQLFieldConfigMap<unknown, ApiContext> {
  return {
    rawSchemaDrifted: {
      type: new GraphQLNonNull(RawSchemaDriftEventType),
      description: 'Raw schema versions of `topic` as they are recorded; `afterVersion` first delivers the later versions already recorded.',
      args: { topic: { type: new GraphQLNonNull(GraphQLString) }, afterVersion: { type: GraphQLInt } },
      subscribe: (_root, args: { topic: string; afterVersion?: number | null }, ctx: ApiContext) => {
        requireRawRead(ctx.principal);
        return reader.watchDrift(args.topic, args.afterVersion ?? null);
      },
      resolve: (payload: unknown) => payload as SchemaVersion,
    },
  };
}

/** Adds `rawSchemaDrifted` to another subscription factory (app.ts: next to the change feed's). */
export function withRawSchemaDrift(base: SubscriptionFieldsFactory | undefined, reader: DiscoveryReader): SubscriptionFieldsFactory {
  return (types, shared) => ({ ...(base?.(types, shared) ?? {}), ...rawSchemaDriftFields(reader) });
}

/** For printing the SDL without a store. */
export const rawSchemaDriftFieldsForSdl = (base?: SubscriptionFieldsFactory): SubscriptionFieldsFactory =>
  withRawSchemaDrift(base, {
    watchDrift: () => {
      throw new Error('no discovery reader in SDL mode');
    },
  } as unknown as DiscoveryReader);
