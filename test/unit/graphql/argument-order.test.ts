import 'reflect-metadata';
import { GraphQLObjectType, type GraphQLSchema } from 'graphql';
import { Arg, buildSchemaSync, Int, Query, Resolver } from 'type-graphql';
import { buildApiSchema, declareArgumentsInOrder } from '../../../src/graphql/build-api-schema';

function argumentsOf(schema: GraphQLSchema, typeName: string, fieldName: string): string[] {
  const type = schema.getType(typeName);
  if (!(type instanceof GraphQLObjectType)) throw new Error(`${typeName} is not an object type`);
  const field = type.getFields()[fieldName];
  if (!field) throw new Error(`${typeName}.${fieldName} is not in the schema`);
  return field.args.map((arg) => arg.name);
}

describe('arguments are listed in the order their method declares them', () => {
  const schema = buildApiSchema([]);

  it.each([
    ['Catalog', 'mappingSpec', ['id', 'version']],
    ['Query', 'metric', ['name', 'window', 'from', 'to', 'where', 'groupBy']],
    ['Catalog', 'deadLetters', ['filter', 'first', 'after']],
    ['Mutation', 'activateMappingSpec', ['id', 'version', 'expectedActiveVersion']],
    ['Mutation', 'registerCanonicalSchema', ['subject', 'schema', 'expectedVersion']],
  ])('%s.%s(%j)', (typeName, fieldName, expected) => {
    expect(argumentsOf(schema, typeName, fieldName)).toEqual(expected);
  });

  it("holds for any resolver method, not only the API's (a fresh class with three arguments)", () => {
    @Resolver()
    class OrderProbeResolver {
      @Query(() => Int)
      probe(@Arg('zulu', () => Int) zulu: number, @Arg('alpha', () => Int) alpha: number, @Arg('mike', () => Int) mike: number): number {
        return zulu + alpha + mike;
      }
    }
    declareArgumentsInOrder();
    const probe = buildSchemaSync({ resolvers: [OrderProbeResolver], validate: false });
    expect(argumentsOf(probe, 'Query', 'probe')).toEqual(['zulu', 'alpha', 'mike']);
  });
});
