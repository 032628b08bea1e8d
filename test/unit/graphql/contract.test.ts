import fs from 'node:fs';
import path from 'node:path';
import { buildSchema, findBreakingChanges } from 'graphql';
import { buildApiSchema } from '../../../src/graphql/build-api-schema';
import { SDL_FILE, seedSchemaSdl } from '../../../src/graphql/seed-schema-sdl';
import { servedSubscriptionFieldsForSdl } from '../../../src/graphql/sdl-subscriptions';

const ROOT = path.join(__dirname, '..', '..', '..');

describe('the GraphQL contract (schema/graphql/canonql.graphql)', () => {
  const committed = fs.readFileSync(path.join(ROOT, SDL_FILE), 'utf8');
  const current = seedSchemaSdl(ROOT, servedSubscriptionFieldsForSdl);

  it('has no breaking change against the committed contract', () => {
    const breaking = findBreakingChanges(buildSchema(committed), buildSchema(current));
    expect(breaking.map((change) => `${change.type}: ${change.description}`)).toEqual([]);
  });

  it('is committed up to date (run `npm run schema:emit` after an intended change)', () => {
    expect(current).toBe(committed);
  });
});

describe('the breaking-change check itself', () => {
  it('flags a removed canonical field, and accepts an added one', () => {
    const base = { type: 'object', properties: { a: { type: 'string' }, b: { type: 'integer' } } };
    const before = buildApiSchema([{ subject: 'thing', version: 1, schema: base }]);
    const removed = buildApiSchema([{ subject: 'thing', version: 2, schema: { ...base, properties: { a: { type: 'string' } } } }]);
    const added = buildApiSchema([{ subject: 'thing', version: 2, schema: { ...base, properties: { ...base.properties, c: { type: 'boolean' } } } }]);
    expect(findBreakingChanges(before, removed).map((c) => c.description)).toEqual(expect.arrayContaining(['Thing.b was removed.']));
    expect(findBreakingChanges(before, added)).toEqual([]);
  });
});
