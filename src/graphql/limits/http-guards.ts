import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import express from 'express';
import Negotiator from 'negotiator';
import { AppError, ErrorCode } from '../../errors';
import { createRateLimiter, type RateLimiter } from './rate-limit';
import type { AccessPolicy, Principal } from '../access';
import type { ApiLimits } from './api-limits';
import { BEARER_CHALLENGE, httpStatusOf } from './refusal';

/**
 * The HTTP side of authentication and limits, in front of Apollo: each refusal is answered here,
 * before the body is parsed when it can be (credential, rate), with a GraphQL-shaped body
 * (`errors[0].extensions.code`) and the matching status.
 *
 *   authenticate → rate limit → timeout → JSON body (size) → batch size → Apollo … → errorHandler
 *
 * The checks work on node:http's request and response (`checks`), so the GraphQL path's plain
 * JSON POST runs them without express (graphql-http.ts); `before` and `errorHandler` are the same
 * checks as express middleware, for every other request to the path.
 */
export interface HttpGuards {
  /** Mount in this order on the GraphQL path, before Apollo's middleware. */
  readonly before: RequestHandler[];
  /** Mount after Apollo's middleware: body parser refusals and late writes after a timeout. */
  readonly errorHandler: ErrorRequestHandler;
  /** The same checks on node:http's request and response; each answers its refusal itself. */
  readonly checks: HttpChecks;
}

export interface HttpChecks {
  /** The caller's principal, or null when refused (401 with the challenge, already answered). */
  authenticate(req: IncomingMessage, res: ServerResponse): Promise<Principal | null>;
  /** Takes one operation from the caller's rate bucket; false when refused (429, already answered). */
  takeRate(principal: Principal | undefined, req: IncomingMessage, res: ServerResponse): boolean;
  /** Arms the deadline: OPERATION_TIMEOUT is answered at it unless the response went out before. */
  startDeadline(req: IncomingMessage, res: ServerResponse): void;
  /** Whether OPERATION_TIMEOUT was answered: a later answer is dropped. */
  timedOut(res: ServerResponse): boolean;
  /** A parsed body holding a batch (a JSON array) within the batching rules; false when refused (already answered). */
  admitBatch(body: unknown, principal: Principal | undefined, req: IncomingMessage, res: ServerResponse): boolean;
  /** A body that could not be read or parsed, answered with its coded refusal; false when `error` is not one. */
  refuseBody(error: unknown, req: IncomingMessage, res: ServerResponse): boolean;
}

/** The principal the guards authenticated, for the GraphQL context. */
export function principalOf(res: Response): Principal | undefined {
  return (res.locals as { principal?: Principal }).principal;
}

export function httpGuards(options: { access: AccessPolicy; limits: ApiLimits; rateLimiter?: RateLimiter }): HttpGuards {
  const { limits } = options;
  const checks = httpChecks(options);

  const authenticate: RequestHandler = async (req, res, next) => {
    const principal = await checks.authenticate(req, res);
    if (!principal) return;
    res.locals.principal = principal;
    next();
  };
  const rateLimit: RequestHandler = (req, res, next) => {
    if (checks.takeRate(principalOf(res), req, res)) next();
  };
  const timeout: RequestHandler = (req, res, next) => {
    checks.startDeadline(req, res);
    next();
  };
  const batch: RequestHandler = (req, res, next) => {
    if (checks.admitBatch(req.body, principalOf(res), req, res)) next();
  };
  const errorHandler: ErrorRequestHandler = (error: unknown, req, res, next) => {
    if (res.headersSent) {
      // Apollo finishing after OPERATION_TIMEOUT was sent: nothing more to say to this client.
      if (checks.timedOut(res)) return;
      return next(error);
    }
    if (!checks.refuseBody(error, req, res)) next(error);
  };

  const before: RequestHandler[] = [authenticate];
  if (limits.rateLimitPerMinute > 0) before.push(rateLimit);
  if (limits.operationTimeoutMs > 0) before.push(timeout);
  before.push(express.json({ limit: limits.maxBodyBytes }), batch);
  return { before, errorHandler, checks };
}

function httpChecks(options: { access: AccessPolicy; limits: ApiLimits; rateLimiter?: RateLimiter }): HttpChecks {
  const { access, limits } = options;
  const limiter = options.rateLimiter ?? createRateLimiter({ perMinute: limits.rateLimitPerMinute });
  const timedOut = new WeakSet<ServerResponse>();

  return {
    async authenticate(req, res) {
      try {
        return await access.authenticate(req.headers.authorization);
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        if (error.code === ErrorCode.UNAUTHENTICATED) res.setHeader('www-authenticate', BEARER_CHALLENGE);
        refuse(req, res, error);
        return null;
      }
    },

    takeRate(principal, req, res) {
      const taken = limiter.take(rateKey(principal, req));
      if (taken.allowed) return true;
      const seconds = Math.max(1, Math.ceil(taken.retryAfterMs / 1000));
      res.setHeader('retry-after', String(seconds));
      refuse(
        req,
        res,
        new AppError(ErrorCode.RATE_LIMITED, `too many operations for this credential (${limits.rateLimitPerMinute} per minute); retry after ${seconds} s`, {
          details: { retryAfterSeconds: seconds, perMinute: limits.rateLimitPerMinute },
        }),
      );
      return false;
    },

    // Answers at the deadline; the write Apollo attempts afterwards is dropped.
    // Work already started (a store query) runs on, bounded by page size, cost and scan limits.
    startDeadline(req, res) {
      if (limits.operationTimeoutMs <= 0) return;
      const timer = setTimeout(() => {
        if (res.headersSent) return;
        timedOut.add(res);
        refuse(req, res, new AppError(ErrorCode.OPERATION_TIMEOUT, `the operation did not finish within ${limits.operationTimeoutMs} ms`));
      }, limits.operationTimeoutMs);
      const clear = () => clearTimeout(timer);
      res.once('finish', clear);
      res.once('close', clear);
    },

    timedOut: (res) => timedOut.has(res),

    admitBatch(body, principal, req, res) {
      if (!Array.isArray(body)) return true;
      if (!limits.batching) {
        refuse(
          req,
          res,
          new AppError(ErrorCode.BATCHING_DISABLED, 'batched operations (a JSON array) are disabled on this server: send one operation per request'),
        );
        return false;
      }
      if (body.length > limits.maxBatch) {
        refuse(
          req,
          res,
          new AppError(ErrorCode.BATCH_LIMIT_EXCEEDED, `a batch may hold at most ${limits.maxBatch} operations (got ${body.length})`, {
            details: { operations: body.length, max: limits.maxBatch },
          }),
        );
        return false;
      }
      // Every operation of a batch counts against the rate limit, not only the request.
      const extra = body.length - 1;
      if (extra > 0 && limits.rateLimitPerMinute > 0 && !limiter.take(rateKey(principal, req), extra).allowed) {
        res.setHeader('retry-after', '60');
        refuse(req, res, new AppError(ErrorCode.RATE_LIMITED, `too many operations for this credential (${limits.rateLimitPerMinute} per minute)`));
        return false;
      }
      return true;
    },

    refuseBody(error, req, res) {
      const type = (error as { type?: unknown } | null)?.type;
      if (type === 'entity.too.large') {
        refuse(
          req,
          res,
          new AppError(ErrorCode.PAYLOAD_TOO_LARGE, `the request body is larger than ${limits.maxBodyBytes} bytes`, {
            details: { maxBytes: limits.maxBodyBytes },
          }),
        );
        return true;
      }
      if (type === 'entity.parse.failed') {
        refuse(req, res, new AppError(ErrorCode.INVALID_JSON, 'the request body is not valid JSON'));
        return true;
      }
      const status = (error as { status?: unknown } | null)?.status;
      if (typeof status === 'number' && status >= 400 && status < 500) {
        // Other body parser refusals (unsupported charset or encoding): the client's to fix.
        send(req, res, status, { errors: [{ message: (error as Error).message, extensions: { code: 'BAD_REQUEST' } }] });
        return true;
      }
      return false;
    },
  };
}

/** Whose bucket: the credential's id, else the client address (the socket's; no proxy header is trusted). */
export function rateKey(principal: Principal | undefined, req: Pick<IncomingMessage, 'socket'>): string {
  return principal?.id ?? `ip:${req.socket.remoteAddress ?? 'unknown'}`;
}

function refuse(req: IncomingMessage, res: ServerResponse, error: AppError): void {
  send(req, res, httpStatusOf(error.code), {
    errors: [{ message: error.message, extensions: { code: error.code, ...(error.details !== undefined ? { details: error.details } : {}) } }],
  });
}

/**
 * A refusal in the media type the client asked for, as Apollo Server answers (GraphQL over
 * HTTP): `application/graphql-response+json` when the Accept header prefers it, else
 * `application/json`. The status is the same for both (docs/graphql-api.md#http-status-codes).
 */
function send(req: IncomingMessage, res: ServerResponse, status: number, body: unknown): void {
  const type = new Negotiator(req).mediaType(RESPONSE_TYPES) === GRAPHQL_RESPONSE_JSON ? GRAPHQL_RESPONSE_JSON : 'application/json';
  const json = JSON.stringify(body);
  res.writeHead(status, { 'content-type': `${type}; charset=utf-8`, 'content-length': Buffer.byteLength(json) });
  res.end(json);
}

const GRAPHQL_RESPONSE_JSON = 'application/graphql-response+json';
const RESPONSE_TYPES = ['application/json', GRAPHQL_RESPONSE_JSON];
