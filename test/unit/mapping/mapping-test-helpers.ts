import { AppError } from '../../../src/errors';
import { compileSpec, type CompiledSpec } from '../../../src/mapping/compile-spec';
import type { FieldMapping, MappingSpec, TransformRef } from '../../../src/mapping/mapping-spec';

/** A minimal valid spec around the given field mappings. */
export function specWith(fieldMappings: FieldMapping[], extra: Partial<MappingSpec> = {}): MappingSpec {
  return {
    mappingId: 'test-spec',
    source: { type: 'kafka', topic: 'raw.test' },
    target: { subject: 'thing' },
    fieldMappings,
    ...extra,
  };
}

export function compile(fieldMappings: FieldMapping[], extra: Partial<MappingSpec> = {}): CompiledSpec {
  return compileSpec(specWith(fieldMappings, extra));
}

/** Runs one value through a transform the way a spec does: `$.v` → `$.out`. */
export function transformValue(transform: TransformRef, value: unknown): unknown {
  return compile([{ src: '$.v', dst: '$.out', transform }]).map(value === undefined ? {} : { v: value }).out;
}

/** The AppError a call throws (fails the test when it does not throw one). */
export function appErrorOf(run: () => unknown): AppError {
  try {
    run();
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected an AppError, nothing was thrown');
}

/** The "Mapping Specification Format" example of the platform design, verbatim. */
export const SEED_ORDER_SPEC = {
  mappingId: 'order-canonicalization-v1',
  source: { type: 'kafka', topic: 'raw.mongo.orders', schemaId: 1234 },
  target: { subject: 'canonical.order.v1', schemaId: 5678 },
  fieldMappings: [
    { src: '$.orderId', dst: '$.order_id', transform: 'string' },
    { src: '$.customer.email', dst: '$.customer.email', transform: 'lowercase' },
    { src: '$.items[*].sku', dst: '$.line_items[*].sku', transform: 'identity' },
  ],
  defaults: { currency: 'USD', created_by: 'system' },
};
