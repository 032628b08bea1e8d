import crypto from 'node:crypto';
import { createLocalJWKSet, decodeProtectedHeader, errors as joseErrors, jwtVerify, type JSONWebKeySet, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { AppError, ErrorCode } from '../errors';

/**
 * Who is calling, from the bearer credential of the request (HTTP `Authorization` header, or
 * `authorization` in the graphql-ws `connection_init` payload): an API key from the settings, or a
 * JWT verified offline (HS256 secret or a JWKS file; nothing is fetched at request time, so an
 * identity provider outage cannot take the API down). Roles: `reader` (queries, subscriptions)
 * and `admin` (mutations and everything a reader does); a reader may be limited to some subjects.
 * A credential that is sent but wrong is always refused (401), never downgraded to anonymous:
 * a typo in a key must not silently run with fewer rights.
 */
export type Role = 'admin' | 'reader';

export interface Principal {
  readonly role: Role;
  /** False when no credential was sent: reads are open (unless auth is required), nobody to authorize. */
  readonly authenticated: boolean;
  /** Stable, non-secret id of the credential (`key:<hash prefix>`, `jwt:<iss>/<sub>`), for rate limits and logs. */
  readonly id?: string;
  /** Subjects this principal may read; absent or null: every subject. */
  readonly subjects?: ReadonlySet<string> | null;
}

/** One configured API key (`CANONQL_API_KEYS`, `CANONQL_ADMIN_KEYS`). */
export interface ApiKeyGrant {
  readonly key: string;
  readonly role: Role;
  /** null: every subject. */
  readonly subjects: readonly string[] | null;
}

export interface JwtSettings {
  /** HS256 shared secret. */
  readonly secret: string | null;
  /** Public keys (RS256, ES256) of the issuer, read from CANONQL_JWT_JWKS_FILE at start. */
  readonly jwks: JSONWebKeySet | null;
  readonly issuer: string | null;
  readonly audience: string | null;
}

export interface AccessSettings {
  readonly apiKeys: readonly ApiKeyGrant[];
  readonly jwt?: JwtSettings | null;
  /** True: a request or connection without a credential is refused (401 / close 4401). */
  readonly requireAuth?: boolean;
}

export interface AccessPolicy {
  /** Verifies a credential (API key or JWT); throws UNAUTHENTICATED (missing when required, or bad) or FORBIDDEN (a token with no canonql role). */
  authenticate(authorization: string | undefined): Promise<Principal>;
  /** API keys only, never throws (unknown or absent: anonymous). For callers that built no request. */
  principalFor(authorization: string | undefined): Principal;
  /** Whether any credential is configured at all. */
  readonly hasCredentials: boolean;
}

export const ANONYMOUS: Principal = { role: 'reader', authenticated: false };

/** JWT claims canonql reads: `role` ("admin" | "reader"; absent: reader) and `subjects` (list, or a space-separated string; absent: all). */
export const JWT_ROLE_CLAIM = 'role';
export const JWT_SUBJECTS_CLAIM = 'subjects';

const JWKS_ALGORITHMS = ['RS256', 'ES256'];

export function createAccessPolicy(settings: readonly string[] | AccessSettings): AccessPolicy {
  const resolved: AccessSettings = isKeyList(settings) ? { apiKeys: settings.map((key) => ({ key, role: 'admin' as const, subjects: null })) } : settings;
  const keys = resolved.apiKeys.map((grant) => {
    const digest = sha256(grant.key);
    const principal: Principal = {
      role: grant.role,
      authenticated: true,
      id: `key:${digest.toString('hex').slice(0, 12)}`,
      subjects: grant.role === 'admin' || grant.subjects === null ? null : new Set(grant.subjects),
    };
    return { digest, principal };
  });
  const jwt = resolved.jwt ?? null;
  const jwks: JWTVerifyGetKey | null = jwt?.jwks ? createLocalJWKSet(jwt.jwks) : null;
  const secret = jwt?.secret ? new TextEncoder().encode(jwt.secret) : null;
  const requireAuth = resolved.requireAuth ?? false;

  const keyPrincipal = (token: string): Principal | null => {
    // Hash then compare in constant time: no timing hint about how much of a key matched.
    // Every key is compared (no early exit), so the time does not tell which one matched either.
    const presented = sha256(token);
    let found: Principal | null = null;
    for (const key of keys) if (crypto.timingSafeEqual(key.digest, presented)) found = key.principal;
    return found;
  };

  const verifyJwt = async (token: string): Promise<Principal> => {
    let payload: JWTPayload;
    try {
      const header = decodeHeader(token);
      const options = {
        requiredClaims: ['exp'],
        ...(jwt?.issuer ? { issuer: jwt.issuer } : {}),
        ...(jwt?.audience ? { audience: jwt.audience } : {}),
      };
      if (header.alg === 'HS256' && secret) {
        ({ payload } = await jwtVerify(token, secret, { ...options, algorithms: ['HS256'] }));
      } else if (jwks && JWKS_ALGORITHMS.includes(String(header.alg))) {
        ({ payload } = await jwtVerify(token, jwks, { ...options, algorithms: JWKS_ALGORITHMS }));
      } else {
        throw new AppError(ErrorCode.UNAUTHENTICATED, `JWT algorithm "${String(header.alg)}" is not accepted by this server`);
      }
    } catch (error) {
      if (error instanceof AppError) throw error;
      throw new AppError(ErrorCode.UNAUTHENTICATED, `invalid JWT: ${jwtProblem(error)}`);
    }
    return principalOfClaims(payload);
  };

  return {
    hasCredentials: keys.length > 0 || secret !== null || jwks !== null,
    async authenticate(authorization) {
      if (authorization === undefined || authorization.trim() === '') {
        if (requireAuth) throw new AppError(ErrorCode.UNAUTHENTICATED, 'this server needs a credential: Authorization: Bearer <API key or JWT>');
        return ANONYMOUS;
      }
      const token = bearerToken(authorization);
      if (token === null) throw new AppError(ErrorCode.UNAUTHENTICATED, 'the Authorization header must be "Bearer <API key or JWT>"');
      const key = keyPrincipal(token);
      if (key) return key;
      if (looksLikeJwt(token) && (secret || jwks)) return verifyJwt(token);
      throw new AppError(ErrorCode.UNAUTHENTICATED, 'unknown credential');
    },
    principalFor(authorization) {
      const token = bearerToken(authorization ?? '');
      return (token !== null && keyPrincipal(token)) || ANONYMOUS;
    },
  };
}

/** The role and read scope a verified token grants (claims documented at JWT_ROLE_CLAIM). */
export function principalOfClaims(payload: JWTPayload): Principal {
  const role = payload[JWT_ROLE_CLAIM] ?? 'reader';
  if (role !== 'admin' && role !== 'reader') {
    throw new AppError(ErrorCode.FORBIDDEN, `the token's "${JWT_ROLE_CLAIM}" claim (${JSON.stringify(role)}) is not a canonql role (admin, reader)`);
  }
  const claim = payload[JWT_SUBJECTS_CLAIM];
  let subjects: ReadonlySet<string> | null = null;
  if (typeof claim === 'string') subjects = new Set(claim.split(/\s+/).filter(Boolean));
  else if (Array.isArray(claim)) subjects = new Set(claim.filter((s): s is string => typeof s === 'string'));
  else if (claim !== undefined && claim !== null) {
    throw new AppError(ErrorCode.FORBIDDEN, `the token's "${JWT_SUBJECTS_CLAIM}" claim must be a list of subjects or a space-separated string`);
  }
  const who = `${payload.iss ?? ''}/${payload.sub ?? '?'}`;
  return { role, authenticated: true, id: `jwt:${who}`, subjects: role === 'admin' ? null : subjects };
}

/**
 * `CANONQL_API_KEYS`: comma-separated `key=role`, role `admin`, `reader`, or `reader:subj|subj`
 * (a reader of those subjects only). Returns every problem, never a key (they are secrets).
 */
export function parseApiKeys(text: string): { grants: ApiKeyGrant[]; problems: string[] } {
  const grants: ApiKeyGrant[] = [];
  const problems: string[] = [];
  const entries = text
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  entries.forEach((entry, index) => {
    const at = entry.lastIndexOf('=');
    const key = at > 0 ? entry.slice(0, at).trim() : '';
    const grant = at > 0 ? entry.slice(at + 1).trim() : '';
    const [role, scope, ...rest] = grant.split(':');
    if (key === '' || (role !== 'admin' && role !== 'reader') || rest.length > 0) {
      problems.push(`CANONQL_API_KEYS entry ${index + 1} must be key=admin, key=reader or key=reader:subject|subject`);
      return;
    }
    if (role === 'admin' && scope !== undefined) {
      problems.push(`CANONQL_API_KEYS entry ${index + 1}: an admin key reads every subject (no :subjects)`);
      return;
    }
    const subjects =
      scope === undefined
        ? null
        : scope
            .split('|')
            .map((s) => s.trim())
            .filter(Boolean);
    if (subjects !== null && subjects.length === 0) {
      problems.push(`CANONQL_API_KEYS entry ${index + 1}: reader: needs at least one subject`);
      return;
    }
    if (key.length < 16) problems.push(`CANONQL_API_KEYS entry ${index + 1}: keys must be at least 16 characters`);
    grants.push({ key, role, subjects });
  });
  return { grants, problems };
}

/** `what` names what needs the role in the message (`this operation`, `Catalog.deadLetters`). */
export function requireAdmin(principal: Principal, what = 'this operation'): void {
  if (!principal.authenticated) {
    throw new AppError(ErrorCode.UNAUTHENTICATED, `${what} needs an admin credential (Authorization: Bearer <admin key>)`);
  }
  if (principal.role !== 'admin') throw new AppError(ErrorCode.FORBIDDEN, `${what} needs the admin role`);
}

/**
 * A query field only admins may select, as a field extension (`@Extensions(ADMIN_ONLY)` on a
 * resolver, or `{ whenArgument }` when only a Boolean argument set to true makes it so). The
 * operation check refuses such a selection before execution (src/graphql/limits/operation-limits.ts).
 */
export type AdminOnly = true | { readonly whenArgument: string };

export const ADMIN_ONLY_EXTENSION = 'canonqlAdminOnly';

/** Extensions marking a field admin-only. */
export function adminOnly(rule: AdminOnly = true): Record<string, AdminOnly> {
  return { [ADMIN_ONLY_EXTENSION]: rule };
}

/** The admin-only rule of a field, if it has one. */
export function adminOnlyOf(field: { readonly extensions?: Readonly<Record<string, unknown>> | null }): AdminOnly | undefined {
  return field.extensions?.[ADMIN_ONLY_EXTENSION] as AdminOnly | undefined;
}

export function canReadSubject(principal: Principal, subject: string): boolean {
  return !principal.subjects || principal.subjects.has(subject);
}

/** Per-subject read scope: a reader limited to some subjects gets FORBIDDEN for any other. */
export function requireSubjectRead(principal: Principal, subject: string): void {
  if (!canReadSubject(principal, subject)) {
    throw new AppError(ErrorCode.FORBIDDEN, `this credential may not read subject "${subject}"`);
  }
}

/** True when the principal may read only some subjects (its results depend on who asks). */
export function isScoped(principal: Principal): boolean {
  return Boolean(principal.subjects);
}

/**
 * Raw topics hold every column of their records, whichever subject maps them (and some no subject
 * does): a scoped principal may not read them, their samples, profiles and drift, nor previews on
 * their records (nor the schema registry's raw subjects).
 */
export function requireRawRead(principal: Principal, what = 'raw topics'): void {
  if (isScoped(principal)) throw new AppError(ErrorCode.FORBIDDEN, `a credential limited to some subjects may not read ${what}`);
}

function isKeyList(settings: readonly string[] | AccessSettings): settings is readonly string[] {
  return Array.isArray(settings);
}

function sha256(text: string): Buffer {
  return crypto.createHash('sha256').update(text).digest();
}

function bearerToken(authorization: string): string | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  return match ? match[1]! : null;
}

function looksLikeJwt(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token);
}

function decodeHeader(token: string): { alg?: unknown } {
  try {
    return decodeProtectedHeader(token);
  } catch {
    throw new AppError(ErrorCode.UNAUTHENTICATED, 'invalid JWT: unreadable header');
  }
}

/** What was wrong with a token, in words a client can act on (never the token itself). */
function jwtProblem(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return 'expired';
  if (error instanceof joseErrors.JWTClaimValidationFailed) return `claim "${error.claim}" ${error.reason === 'missing' ? 'is missing' : 'is not accepted'}`;
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'signature does not verify';
  if (error instanceof joseErrors.JWKSNoMatchingKey) return 'no key of the JWKS matches';
  if (error instanceof joseErrors.JOSEError) return error.code;
  return 'malformed';
}
