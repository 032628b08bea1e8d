import crypto from 'node:crypto';
import os from 'node:os';

/**
 * Consumer group of one API process's change feed. Unique per process (host, pid and a random
 * part, so a restarted process never inherits an old member's state): every API replica must
 * receive every canonical event, which sharing a group would prevent.
 */
export function feedGroupId(prefix = 'canonql-api'): string {
  const host = os.hostname().replace(/[^A-Za-z0-9._-]/g, '_');
  return `${prefix}-${host}-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
}
