import crypto from 'node:crypto';
import { AppError, ErrorCode } from '../errors';

/**
 * Who is calling, from the bearer credential of the request (HTTP `Authorization` header, or
 * `authorization` in the graphql-ws `connection_init` payload). Anyone may read; every mutation
 * asks `requireAdmin` first, so an unauthenticated or non-admin call changes nothing.
 */
export type Role = 'admin' | 'reader';

export interface Principal {
  readonly role: Role;
  /** False when no credential was sent: reads are open, but there is nobody to authorize. */
  readonly authenticated: boolean;
}

export interface AccessPolicy {
  principalFor(authorization: string | undefined): Principal;
}

const ANONYMOUS: Principal = { role: 'reader', authenticated: false };

export function createAccessPolicy(adminKeys: readonly string[]): AccessPolicy {
  const keys = adminKeys.map((key) => crypto.createHash('sha256').update(key).digest());
  return {
    principalFor(authorization) {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
      if (!match) return ANONYMOUS;
      // Hash then compare in constant time: no timing hint about how much of a key matched.
      const presented = crypto.createHash('sha256').update(match[1]!).digest();
      const isAdmin = keys.some((key) => crypto.timingSafeEqual(key, presented));
      return isAdmin ? { role: 'admin', authenticated: true } : { role: 'reader', authenticated: false };
    },
  };
}

export function requireAdmin(principal: Principal): void {
  if (!principal.authenticated) {
    throw new AppError(ErrorCode.UNAUTHENTICATED, 'this operation needs an admin credential (Authorization: Bearer <admin key>)');
  }
  if (principal.role !== 'admin') throw new AppError(ErrorCode.FORBIDDEN, 'this operation needs the admin role');
}
