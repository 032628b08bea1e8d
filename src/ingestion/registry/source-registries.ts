import { isTopicPattern } from './record-format';

/**
 * Which schema registry holds the writer schemas of which raw topics. A process reads topics
 * written through several registries (one per region, per team, per Kafka Connect cluster): the
 * default registry (CANONQL_SOURCE_REGISTRY_*) serves every topic that CANONQL_SOURCE_REGISTRIES
 * does not name, and each entry of that setting names the topics (a topic or a `prefix*`, matched
 * as record formats are: the exact topic, else the longest prefix) of a registry of its own, with
 * its own credentials and CA. Schema ids are a registry's own, so the same id in two registries
 * names two different schemas: each registry has its own client and cache.
 */
export interface RegistryAccess {
  /** Base URL of the registry API, http(s). */
  readonly url: string;
  /** HTTP Basic `user:password` (never logged). */
  readonly userInfo: string | null;
  /** Bearer token (never logged); never together with `userInfo`. */
  readonly bearerToken: string | null;
  /** PEM file of the CA(s) that signed the registry's certificate (a private CA). */
  readonly caFile: string | null;
}

/** A registry and the topic patterns it serves (an entry of CANONQL_SOURCE_REGISTRIES). */
export interface TopicRegistry<R extends RegistryAccess = RegistryAccess> {
  readonly topics: readonly string[];
  readonly registry: R;
}

const SETTING = 'CANONQL_SOURCE_REGISTRIES';
const ENTRY_KEYS = ['topics', 'url', 'userInfo', 'bearerToken', 'caFile'] as const;
const SHAPE = `${SETTING} must be a JSON array of {"topics": ["<topic>" or "<prefix>*", ...], "url": "http(s)://...", "userInfo"?: "user:password", "bearerToken"?: "...", "caFile"?: "<PEM file>"}`;

/**
 * Reads CANONQL_SOURCE_REGISTRIES (empty: none); every problem is listed. `readableFile` checks a
 * CA file (null, and a problem added to the list, when it is not a readable file).
 */
export function parseSourceRegistries(
  text: string,
  readableFile: (label: string, file: string, problems: string[]) => string | null,
): { registries: TopicRegistry[]; problems: string[] } {
  if (text.trim() === '') return { registries: [], problems: [] };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return { registries: [], problems: [`${SHAPE} (not JSON: ${(error as Error).message})`] };
  }
  if (!Array.isArray(parsed)) return { registries: [], problems: [SHAPE] };
  const registries: TopicRegistry[] = [];
  const problems: string[] = [];
  const namedBy = new Map<string, number>();
  parsed.forEach((entry: unknown, index) => {
    const where = `${SETTING} entry ${index + 1}`;
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
      problems.push(`${where} must be an object (${SHAPE})`);
      return;
    }
    const fields = entry as Record<string, unknown>;
    const before = problems.length;
    for (const key of Object.keys(fields)) {
      if (!(ENTRY_KEYS as readonly string[]).includes(key)) problems.push(`${where}: unknown key "${key}" (known: ${ENTRY_KEYS.join(', ')})`);
    }
    const topics = fields.topics;
    if (!Array.isArray(topics) || topics.length === 0 || !topics.every((t) => typeof t === 'string' && isTopicPattern(t))) {
      problems.push(`${where}: topics must be a non-empty array of topics or prefixes ending in *`);
    } else {
      for (const topic of topics as string[]) {
        const other = namedBy.get(topic);
        if (other !== undefined) problems.push(`${where}: topic "${topic}" is already named by entry ${other}`);
        else namedBy.set(topic, index + 1);
      }
    }
    const text = (key: 'url' | 'userInfo' | 'bearerToken' | 'caFile'): string => {
      const value = fields[key];
      if (value === undefined) return '';
      if (typeof value !== 'string' || value === '') problems.push(`${where}: ${key} must be a non-empty string`);
      return typeof value === 'string' ? value : '';
    };
    const access = { url: text('url'), userInfo: text('userInfo'), bearerToken: text('bearerToken'), caFile: text('caFile') };
    if (access.url === '' && fields.url === undefined) problems.push(`${where}: url is required`);
    problems.push(...registryAccessProblems(access, { url: `${where}: url`, userInfo: `${where}: userInfo`, bearerToken: `${where}: bearerToken` }));
    const caFile = access.caFile === '' ? null : readableFile(`${where}: caFile`, access.caFile, problems);
    if (problems.length > before) return;
    registries.push({
      topics: topics as string[],
      registry: { url: access.url, userInfo: access.userInfo || null, bearerToken: access.bearerToken || null, caFile },
    });
  });
  return { registries, problems };
}

/** What is wrong with a registry's URL (when given) and credentials, each named by its label (a setting, or an entry's key). */
export function registryAccessProblems(
  access: { readonly url: string; readonly userInfo: string; readonly bearerToken: string },
  label: { readonly url: string; readonly userInfo: string; readonly bearerToken: string },
): string[] {
  const problems: string[] = [];
  if (access.url !== '' && !/^https?:\/\//.test(access.url)) problems.push(`${label.url} must be an http(s) URL`);
  if (access.userInfo !== '' && !access.userInfo.includes(':')) problems.push(`${label.userInfo} must be user:password`);
  if (access.userInfo !== '' && access.bearerToken !== '') problems.push(`${label.userInfo} and ${label.bearerToken} cannot both be set`);
  return problems;
}

/**
 * The record-format patterns (a topic, or a prefix ending in `*`) that no registry serves: not
 * every topic they match is named by an entry, and there is no default registry. A prefix is
 * served only by an entry whose prefix is the same or shorter (`*` serves every topic).
 */
export function topicsWithoutRegistry(patterns: readonly string[], registries: readonly TopicRegistry[]): string[] {
  const named = registries.flatMap((entry) => entry.topics);
  const serves = (entry: string, pattern: string) => {
    if (!entry.endsWith('*')) return entry === pattern;
    return pattern.startsWith(entry.slice(0, -1));
  };
  return patterns.filter((pattern) => !named.some((entry) => serves(entry, pattern)));
}
