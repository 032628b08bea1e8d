/**
 * What every test's GraphQL client shares: the shape of a response as a test reads it, and the
 * admin key of the APIs tests start (each test's API has its own database; one key serves all).
 */

/** The admin key the APIs started by tests accept: `Authorization: Bearer ${TEST_ADMIN_KEY}`. */
export const TEST_ADMIN_KEY = 'test-admin-key';

export interface GqlError {
  message: string;
  extensions?: { code?: string; details?: string[] };
}

// biome-ignore lint/suspicious/noExplicitAny: without a type argument, a test reads the fields its own query selected
export interface GqlResult<T = Record<string, any>> {
  data?: T;
  errors?: GqlError[];
}
