import express, { Router, type NextFunction, type Request, type Response } from 'express';
import { RegistryErrorCode, registryError, type RegistryService } from '../catalog/registry-service';
import { AppError, ErrorCode, isAppError } from '../errors';
import { canReadSubject, isScoped, requireAdmin, type AccessPolicy, type Principal } from '../graphql/access';
import type { Logger } from '../logger';

/**
 * The schema registry over the Confluent registry's REST protocol (a documented subset, see
 * docs/schema-registry.md), so stock serializers, deserializers and tools read canonical schemas
 * and keep raw writer schemas here. Same credentials as the GraphQL API: readers read (a reader
 * limited to some subjects reads only those, and no raw subject), admins write. A Basic credential
 * (what registry clients send) is read as its password being the API key or token.
 *
 * Errors are the protocol's: `{"error_code": 40401, "message": "..."}` with the status of the
 * code's first three digits.
 */
export const REGISTRY_PATH = '/registry';
export const REGISTRY_CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';

const MAX_BODY_BYTES = 1024 * 1024;
const MAX_VERSION = 2 ** 31 - 1;

type Handler = (req: Request, principal: Principal) => Promise<unknown>;

export function registryRoutes(options: { registry: RegistryService; access: AccessPolicy; logger: Logger; path?: string }): Router {
  const { registry, access } = options;
  const router = Router();
  const base = options.path ?? REGISTRY_PATH;
  const log = options.logger.child({ component: 'registry-api' });
  const mayRead = (principal: Principal, subject: string) =>
    registry.kindOf(subject) === 'canonical' ? canReadSubject(principal, subject) : !isScoped(principal);
  const requireRead = (principal: Principal, subject: string) => {
    if (!mayRead(principal, subject)) throw new AppError(ErrorCode.FORBIDDEN, `this credential may not read subject "${subject}"`);
  };

  const route = (method: 'get' | 'post' | 'put' | 'delete', path: string, write: boolean, handler: Handler) => {
    router[method](`${base}${path}`, async (req: Request, res: Response) => {
      try {
        const principal = await access.authenticate(bearerOf(req.headers.authorization));
        if (write) requireAdmin(principal, `${method.toUpperCase()} ${base}${path}`);
        const body = await handler(req, principal);
        res.status(200).type(REGISTRY_CONTENT_TYPE).send(JSON.stringify(body));
      } catch (error) {
        sendError(res, error, log);
      }
    });
  };
  router.use(
    base,
    express.json({ limit: MAX_BODY_BYTES, type: ['application/json', 'application/vnd.schemaregistry.v1+json', 'application/vnd.schemaregistry+json'] }),
  );
  const subjectOf = (req: Request) => String(req.params.subject);
  const bodyOf = (req: Request) => (req.body !== null && typeof req.body === 'object' ? (req.body as Record<string, unknown>) : {});

  route('get', '/schemas/types', false, async () => ['AVRO', 'JSON']);
  route('get', '/subjects', false, async (_req, principal) => (await registry.subjects()).filter((s) => mayRead(principal, s)));
  route('get', '/subjects/:subject/versions', false, async (req, principal) => {
    requireRead(principal, subjectOf(req));
    return registry.versions(subjectOf(req));
  });
  route('get', '/subjects/:subject/versions/:version', false, async (req, principal) => {
    requireRead(principal, subjectOf(req));
    return served(await registry.version(subjectOf(req), versionOf(req.params.version)));
  });
  route('get', '/subjects/:subject/versions/:version/schema', false, async (req, principal) => {
    requireRead(principal, subjectOf(req));
    return JSON.parse((await registry.version(subjectOf(req), versionOf(req.params.version))).schema) as unknown;
  });
  route('get', '/schemas/ids/:id', false, async (req, principal) => {
    const found = await registry.schemaById(idOf(req.params.id));
    if (!found.subjects.some((s) => mayRead(principal, s))) throw new AppError(ErrorCode.FORBIDDEN, `this credential may not read schema ${found.id}`);
    return { schema: found.schema, ...(found.schemaType === 'AVRO' ? {} : { schemaType: found.schemaType }) };
  });
  route('post', '/subjects/:subject', false, async (req, principal) => {
    requireRead(principal, subjectOf(req));
    return served(await registry.lookup(subjectOf(req), bodyOf(req)));
  });
  route('post', '/subjects/:subject/versions', true, async (req) => ({ id: (await registry.register(subjectOf(req), bodyOf(req))).id }));
  route('post', '/compatibility/subjects/:subject/versions/:version', false, async (req, principal) => {
    requireRead(principal, subjectOf(req));
    const answer = await registry.checkCompatibility(subjectOf(req), versionOf(req.params.version), bodyOf(req));
    return { is_compatible: answer.compatible, ...(req.query.verbose === 'true' ? { messages: answer.messages } : {}) };
  });
  route('get', '/config', false, async () => ({ compatibilityLevel: await registry.globalCompatibility() }));
  route('put', '/config', true, async (req) => ({ compatibility: await registry.setGlobalCompatibility(bodyOf(req).compatibility) }));
  route('get', '/config/:subject', false, async (req, principal) => {
    const subject = subjectOf(req);
    requireRead(principal, subject);
    const own = await registry.subjectCompatibility(subject);
    if (own !== null) return { compatibilityLevel: own };
    if (req.query.defaultToGlobal === 'true') return { compatibilityLevel: await registry.globalCompatibility() };
    throw registryError(
      RegistryErrorCode.SUBJECT_LEVEL_COMPATIBILITY_NOT_CONFIGURED,
      `Subject '${subject}' does not have subject-level compatibility configured`,
    );
  });
  route('put', '/config/:subject', true, async (req) => {
    const level = bodyOf(req).compatibility;
    await registry.setSubjectCompatibility(subjectOf(req), level);
    return { compatibility: level };
  });
  route('delete', '/config/:subject', true, async (req) => {
    const previous = await registry.setSubjectCompatibility(subjectOf(req), null);
    return { compatibilityLevel: previous ?? (await registry.globalCompatibility()) };
  });
  // Anything else under the registry's path is the protocol's 404, not the HTML of the site.
  router.use(base, (_req: Request, res: Response) => {
    res
      .status(404)
      .type(REGISTRY_CONTENT_TYPE)
      .send(JSON.stringify({ error_code: 404, message: 'HTTP 404 Not Found' }));
  });
  // A body that is not JSON (express.json's refusal) answers in the protocol too.
  router.use(base, (error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const status = (error as { status?: unknown }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      res
        .status(status === 413 ? 413 : 400)
        .type(REGISTRY_CONTENT_TYPE)
        .send(JSON.stringify({ error_code: status === 413 ? 413 : 400, message: `Unprocessable request body: ${(error as Error).message}` }));
      return;
    }
    sendError(res, error, log);
  });
  return router;
}

function served(schema: { subject: string; version: number; id: number; schemaType: string; schema: string }) {
  return {
    subject: schema.subject,
    version: schema.version,
    id: schema.id,
    ...(schema.schemaType === 'AVRO' ? {} : { schemaType: schema.schemaType }),
    schema: schema.schema,
  };
}

/** `latest`, -1 (the protocol's other spelling of latest) or a version from 1 to 2^31-1. */
function versionOf(text: string | string[] | undefined): number | 'latest' {
  if (text === 'latest' || text === '-1') return 'latest';
  const version = Number(text);
  if (typeof text !== 'string' || !/^\d+$/.test(text) || version < 1 || version > MAX_VERSION) {
    throw registryError(
      RegistryErrorCode.INVALID_VERSION,
      `The specified version '${String(text)}' is not a valid version id. Allowed values are between [1, 2^31-1] and the string "latest"`,
    );
  }
  return version;
}

function idOf(text: string | string[] | undefined): number {
  const id = Number(text);
  if (typeof text !== 'string' || !/^\d+$/.test(text) || id < 1 || id > MAX_VERSION)
    throw registryError(RegistryErrorCode.SCHEMA_NOT_FOUND, `Schema ${String(text)} not found`);
  return id;
}

/** Registry clients send `Basic base64(user:secret)`; the secret is the credential (the user name is not used). */
function bearerOf(authorization: string | undefined): string | undefined {
  const basic = /^Basic\s+(\S+)\s*$/i.exec(authorization ?? '');
  if (!basic) return authorization;
  const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return `Bearer ${colon >= 0 ? decoded.slice(colon + 1) : decoded}`;
}

function sendError(res: Response, error: unknown, log: Logger): void {
  const send = (status: number, errorCode: number, message: string) =>
    res
      .status(status)
      .type(REGISTRY_CONTENT_TYPE)
      .send(JSON.stringify({ error_code: errorCode, message }));
  if (isAppError(error)) {
    const registryCode = (error.details as { registryErrorCode?: unknown } | undefined)?.registryErrorCode;
    if (typeof registryCode === 'number') {
      send(registryCode < 1000 ? registryCode : Math.floor(registryCode / 100), registryCode, error.message);
      return;
    }
    if (error.code === ErrorCode.UNAUTHENTICATED) return void send(401, 401, error.message);
    if (error.code === ErrorCode.FORBIDDEN) return void send(403, 40301, error.message);
  }
  log.error({ err: error }, 'schema registry request failed');
  send(500, RegistryErrorCode.STORE_ERROR, 'Error in the backend data store');
}
