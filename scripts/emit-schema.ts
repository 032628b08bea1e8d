import fs from 'node:fs';
import path from 'node:path';
import { SDL_FILE, seedSchemaSdl } from '../src/graphql/seed-schema-sdl';
import { servedSubscriptionFieldsForSdl } from '../src/graphql/sdl-subscriptions';

/** `npm run schema:emit`: writes the GraphQL contract of the seed catalog to schema/graphql/. */
const root = path.join(__dirname, '..');
const file = path.join(root, SDL_FILE);
fs.mkdirSync(path.dirname(file), { recursive: true });
fs.writeFileSync(file, seedSchemaSdl(root, servedSubscriptionFieldsForSdl));
console.log(`wrote ${SDL_FILE}`);
