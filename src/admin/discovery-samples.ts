import type { DiscoveryReader } from '../discovery/discovery-reader';
import type { RawSampleSource } from './admin-services';

/**
 * Spec previews read discovery: the latest sampled raw records of a topic, and the inferred
 * source fields with the JSON types seen (fields discovery considers removed are left out).
 */
export function discoverySamples(discovery: DiscoveryReader): RawSampleSource {
  return {
    samples: (topic, last) => discovery.samples(topic, last),
    async fieldTypes(topic) {
      const profile = await discovery.profile(topic);
      if (!profile) return null;
      return profile.fields
        .filter((field) => !discovery.isRemoved(profile, field.path))
        .map((field) => ({
          path: field.path,
          types: Object.entries(field.types)
            .filter(([, n]) => n > 0)
            .map(([type]) => type)
            .sort(),
        }));
    },
  };
}
