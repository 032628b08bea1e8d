import type { Pool } from 'pg';
import { AppError, ErrorCode } from '../errors';
import { DEMO_EMAIL_SUFFIX, demoEmail, randomPerson } from './demo-catalog';
import type { DemoBuyer } from './demo-orders';
import { chance, formatCents, intBetween, weighted, type Random } from './demo-random';

/**
 * Real changes to the demo customers table of the source PostgreSQL database, which Debezium
 * captures: new customers sign up (INSERT), change tier, balance or e-mail (UPDATE), and rarely
 * leave (DELETE). Only rows this feed wrote are changed or deleted: they are recognised by their
 * e-mail domain (`*.demo.example`), so rows a developer inserts by hand are left alone.
 */

export type CustomerAction = 'insert' | 'update-tier' | 'update-balance' | 'update-email' | 'delete';

export interface DemoCustomersOptions {
  readonly pool: Pool;
  /** `schema.table` or `table` (schema public): lower-case letters, digits and `_`. */
  readonly table: string;
  readonly random: Random;
  /** Demo rows kept at most; at the limit a sign-up is replaced by a departure. */
  readonly maxCustomers?: number;
}

export interface DemoCustomers {
  /** The table, as quoted SQL (`"public"."customers"`). */
  readonly tableSql: string;
  /**
   * Creates the table when it is missing, with the DDL of `infra/demo-source.ts`, and gives it
   * REPLICA IDENTITY FULL (complete before-images for Debezium).
   */
  ensureTable(): Promise<void>;
  /** Performs `count` changes, one statement each; returns the actions that changed a row. */
  next(count: number): Promise<CustomerAction[]>;
  /** Up to `count` demo customers (a random run of rows), as buyers for the demo orders. */
  buyers(count: number): Promise<DemoBuyer[]>;
}

const WEIGHTS: Readonly<Record<CustomerAction, number>> = {
  insert: 0.35,
  'update-tier': 0.2,
  'update-balance': 0.3,
  'update-email': 0.1,
  delete: 0.05,
};

/** Source tiers; `platinum` and NULL are unknown to the customer spec and become STANDARD. */
const TIERS = { gold: 0.12, silver: 0.25, bronze: 0.38, platinum: 0.05, none: 0.2 } as const;

const DEMO_ROW = `lower(btrim(email)) LIKE '%' || $1`;

export function createDemoCustomers(options: DemoCustomersOptions): DemoCustomers {
  const { pool, random } = options;
  const maxCustomers = options.maxCustomers ?? 200;
  const table = quoteTable(options.table);

  const demoRowCount = async (): Promise<number> => {
    const result = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE ${DEMO_ROW}`, [DEMO_EMAIL_SUFFIX]);
    return result.rows[0]?.n ?? 0;
  };
  /** A random demo row, or null when there is none (any more). */
  const randomDemoRow = async (count: number): Promise<{ id: number; name: string | null } | null> => {
    const result = await pool.query<{ id: number; name: string | null }>(`SELECT id, name FROM ${table} WHERE ${DEMO_ROW} ORDER BY id OFFSET $2 LIMIT 1`, [
      DEMO_EMAIL_SUFFIX,
      Math.floor(random() * count),
    ]);
    return result.rows[0] ?? null;
  };
  /** Runs an UPDATE or DELETE on one demo row; true when the row was still there. */
  const changeRow = async (sql: string, id: number, params: unknown[] = []): Promise<boolean> => {
    const result = await pool.query(`${sql} WHERE id = $2 AND ${DEMO_ROW}`, [DEMO_EMAIL_SUFFIX, id, ...params]);
    return (result.rowCount ?? 0) > 0;
  };

  const insert = async (): Promise<boolean> => {
    const person = randomPerson(random);
    const tier = weighted(random, TIERS);
    await pool.query(`INSERT INTO ${table} (email, name, balance, tier) VALUES ($1, $2, $3::numeric, $4)`, [
      demoEmail(random, person, 'messy'),
      person.name,
      formatCents(intBetween(random, 0, 50000)),
      tier === 'none' ? null : tier,
    ]);
    return true;
  };

  const perform = async (action: CustomerAction, id: number, name: string | null): Promise<boolean> => {
    switch (action) {
      case 'update-tier': {
        const tier = weighted(random, TIERS);
        return changeRow(`UPDATE ${table} SET tier = $3, updated_at = now()`, id, [tier === 'none' ? null : tier]);
      }
      case 'update-balance': {
        // A purchase (debit) or a top-up (credit), in exact cents; never below zero.
        const delta = chance(random, 0.6) ? -intBetween(random, 100, 15000) : intBetween(random, 500, 20000);
        return changeRow(`UPDATE ${table} SET balance = GREATEST(COALESCE(balance, 0) + $3::numeric, 0), updated_at = now()`, id, [formatCents(delta)]);
      }
      case 'update-email': {
        const [first = 'demo', ...rest] = (name ?? 'demo customer').split(' ');
        const email = demoEmail(random, { first, last: rest.join(' ') || 'customer' }, 'messy');
        return changeRow(`UPDATE ${table} SET email = $3, updated_at = now()`, id, [email]);
      }
      case 'delete':
        return changeRow(`DELETE FROM ${table}`, id);
      case 'insert':
        return insert();
    }
  };

  return {
    tableSql: table,
    async ensureTable() {
      await pool.query(`CREATE TABLE IF NOT EXISTS ${table} (
        id serial PRIMARY KEY, email text, name text, balance numeric(12,2), tier text,
        created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now())`);
      const identity = await pool.query<{ relreplident: string }>('SELECT relreplident FROM pg_class WHERE oid = $1::regclass', [table]);
      // ALTER TABLE takes an exclusive lock: only when needed.
      if (identity.rows[0]?.relreplident !== 'f') await pool.query(`ALTER TABLE ${table} REPLICA IDENTITY FULL`);
    },
    async next(count) {
      const done: CustomerAction[] = [];
      for (let i = 0; i < count; i += 1) {
        const rows = await demoRowCount();
        let action: CustomerAction = rows === 0 ? 'insert' : weighted(random, WEIGHTS);
        if (action === 'insert' && rows >= maxCustomers) action = 'delete';
        if (action === 'insert') {
          if (await insert()) done.push(action);
          continue;
        }
        const row = await randomDemoRow(rows);
        if (row !== null && (await perform(action, row.id, row.name))) done.push(action);
      }
      return done;
    },
    async buyers(count) {
      const rows = await demoRowCount();
      if (rows === 0) return [];
      const result = await pool.query<{ email: string; name: string | null }>(
        `SELECT btrim(email) AS email, name FROM ${table} WHERE ${DEMO_ROW} ORDER BY id OFFSET $2 LIMIT $3`,
        [DEMO_EMAIL_SUFFIX, Math.floor(random() * rows), count],
      );
      return result.rows.map((row) => ({ email: row.email, name: row.name ?? row.email.split('@')[0]! }));
    },
  };
}

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

/** `schema.table` or `table` → `"schema"."table"`; anything else is refused (it is spliced into SQL). */
export function quoteTable(name: string): string {
  const parts = name.split('.');
  if (parts.length === 1) parts.unshift('public');
  if (parts.length !== 2 || !parts.every((part) => IDENTIFIER.test(part) && part.length <= 63)) {
    throw new AppError(ErrorCode.CONFIG_INVALID, `demo customers table "${name}" must be "schema.table" or "table" of lower-case letters, digits and _`);
  }
  return parts.map((part) => `"${part}"`).join('.');
}
