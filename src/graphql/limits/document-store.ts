import { InMemoryLRUCache, type KeyValueCache } from '@apollo/utils.keyvaluecache';
import type { DocumentNode } from 'graphql';

/**
 * Apollo Server's cache of parsed and validated documents, bounded by the heap they take. Apollo
 * stores a document after validation and before the operation limits run, so a refused document
 * is cached too; its default cache counts a document by the length of its JSON and held over
 * 100 MB of parsed syntax trees after 1,000 distinct large refused documents. Here a document
 * counts as an estimate of its heap (100 bytes per source character: measured 43 for large
 * documents, 101 for small ones), the cache holds at most {@link DOCUMENT_CACHE_BYTES} of that,
 * and a document longer than {@link MAX_CACHED_DOCUMENT_CHARS} is not cached at all (parsing it
 * again is linear and bounded by the body limit; keeping it would cost megabytes).
 */
export const DOCUMENT_CACHE_BYTES = 32 * 1024 * 1024;
export const MAX_CACHED_DOCUMENT_CHARS = 16 * 1024;
const HEAP_BYTES_PER_CHAR = 100;

export function createDocumentStore(): KeyValueCache<DocumentNode> {
  const sourceLength = (document: DocumentNode) => document.loc?.end ?? MAX_CACHED_DOCUMENT_CHARS;
  const cache = new InMemoryLRUCache<DocumentNode>({
    maxSize: DOCUMENT_CACHE_BYTES,
    sizeCalculation: (document) => Math.max(1, sourceLength(document) * HEAP_BYTES_PER_CHAR),
  });
  return {
    get: (key) => cache.get(key),
    delete: (key) => cache.delete(key),
    async set(key, document, options) {
      if (sourceLength(document) > MAX_CACHED_DOCUMENT_CHARS) return;
      await cache.set(key, document, options);
    },
  };
}
