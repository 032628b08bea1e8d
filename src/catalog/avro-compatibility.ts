import avro from 'avsc';
import { levelRules, type CompatibilityLevel } from './compatibility';

/**
 * Compatibility of Avro writer schemas between versions, by Avro's own schema resolution as avsc
 * implements it: BACKWARD asks that the new schema, as a reader, resolves data written with the
 * old one (`new.createResolver(old)`), FORWARD the reverse, FULL both; the transitive levels ask it
 * of every earlier version. Pure: no I/O.
 */
export interface AvroCompatibility {
  readonly compatible: boolean;
  /** One line per failed resolution, naming the version and the direction. */
  readonly messages: string[];
}

/** Parses an Avro schema text; the problem in words when it is not one. */
export function parseAvroSchema(text: string): { type: avro.Type } | { problem: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return { problem: `not valid JSON: ${(error as Error).message}` };
  }
  try {
    return { type: avro.Type.forSchema(parsed as avro.Schema) };
  } catch (error) {
    return { problem: `not a valid Avro schema: ${(error as Error).message}` };
  }
}

/** `history`: the subject's versions oldest first, as [version, type]. */
export function checkAvroCompatibility(history: readonly (readonly [number, avro.Type])[], candidate: avro.Type, level: CompatibilityLevel): AvroCompatibility {
  const { directions, transitive } = levelRules(level);
  const messages: string[] = [];
  const against = transitive ? history : history.slice(-1);
  for (const [version, previous] of against) {
    for (const direction of directions) {
      const [reader, writer] = direction === 'backward' ? [candidate, previous] : [previous, candidate];
      try {
        reader.createResolver(writer);
      } catch (error) {
        const who =
          direction === 'backward'
            ? `the new schema cannot read data written with version ${version}`
            : `version ${version} cannot read data written with the new schema`;
        messages.push(`${who} (${direction}): ${(error as Error).message}`);
      }
    }
  }
  return { compatible: messages.length === 0, messages };
}
