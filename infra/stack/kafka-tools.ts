import path from 'node:path';
import { run } from './processes';
import { REPO_ROOT, stackPaths } from './stack-config';

export interface BrokerVersion {
  /** The finalized KRaft metadata.version, e.g. "4.3-IV0". */
  readonly metadataVersion: string;
  /** The Kafka release line the broker runs, e.g. "4.3". */
  readonly release: string;
}

/**
 * Asks a broker which Kafka release it runs. Kafka exposes no version string over its protocol;
 * the finalized `metadata.version` feature (DescribeFeatures admin call, via Kafka's own
 * FeatureCommand) names the release line, so this is the admin-level answer.
 */
export function describeBrokerVersion(bootstrap: string): BrokerVersion {
  const paths = stackPaths();
  const output = run('java', [
    '-cp',
    path.join(paths.kafkaLibs, '*'),
    `-Dlog4j2.configurationFile=${path.join(REPO_ROOT, 'infra', 'config', 'log4j2-quiet.properties')}`,
    'org.apache.kafka.tools.FeatureCommand',
    '--bootstrap-server',
    bootstrap,
    'describe',
  ]);
  const match = /Feature: metadata\.version\s+.*FinalizedVersionLevel: (\S+)/.exec(output);
  if (!match) throw new Error(`unexpected FeatureCommand output:\n${output}`);
  const metadataVersion = match[1]!;
  return { metadataVersion, release: metadataVersion.split('-')[0]! };
}
