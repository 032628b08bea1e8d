import { compileSpec } from '../mapping/compile-spec';
import type { MappingSpec } from '../mapping/mapping-spec';
import type { PipelineSpec } from './pipeline';

/** A mapping spec compiled once, in the shape the ingestion pipeline consumes. */
export type RoutedSpec = PipelineSpec & { readonly topics: readonly string[] };

export function compileForPipeline(spec: MappingSpec): RoutedSpec {
  const compiled = compileSpec(spec);
  return {
    id: compiled.id,
    version: compiled.version,
    subject: compiled.subject,
    deleteMode: compiled.deleteMode,
    topics: compiled.topics,
    ownedFields: compiled.ownedFields,
    fieldRoots: compiled.fieldRoots,
    precedenceOf: (path) => compiled.precedenceOf(path),
    map: (record) => compiled.map(record),
    mapPartial: (patch, truncated) => compiled.mapPartial(patch, truncated),
    entityKey: (canonical, recordKey) => compiled.entityKey(canonical, recordKey),
  };
}
