import express, { type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import { AppError, ErrorCode } from '../../errors';
import { createRateLimiter, type RateLimiter } from './rate-limit';
import type { AccessPolicy, Principal } from '../access';
import type { ApiLimits } from './api-limits';
import { BEARER_CHALLENGE, httpStatusOf } from './refusal';

/**
 * The HTTP side of authentication and limits, as express middleware in front of Apollo: each
 * refusal is answered here, before the body is parsed when it can be (credential, rate), with a
 * GraphQL-shaped body (`errors[0].extensions.code`) and the matching status.
 *
 *   authenticate → rate limit → timeout → JSON body (size) → batch size → Apollo … → errorHandler
 */
export interface HttpGuards {
  /** Mount in this order on the GraphQL path, before Apollo's middleware. */
  readonly before: RequestHandler[];
  /** Mount after Apollo's middleware: body parser refusals and late writes after a timeout. */
  readonly errorHandler: ErrorRequestHandler;
}

/** The principal the guards authenticated, for the GraphQL context. */
export function principalOf(res: Response): Principal | undefined {
  return (res.locals as { principal?: Principal }).principal;
}

export function httpGuards(options: { access: AccessPolicy; limits: ApiLimits; rateLimiter?: RateLimiter }): HttpGuards {
  const { access, limits } = options;
  const limiter = options.rateLimiter ?? createRateLimiter({ perMinute: limits.rateLimitPerMinute });

  const authenticate: RequestHandler = async (req, res, next) => {
    try {
      res.locals.principal = await access.authenticate(req.headers.authorization);
      next();
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      if (error.code === ErrorCode.UNAUTHENTICATED) res.setHeader('www-authenticate', BEARER_CHALLENGE);
      refuse(req, res, error);
    }
  };

  const rateLimit: RequestHandler = (req, res, next) => {
    const principal = principalOf(res);
    const taken = limiter.take(rateKey(principal, req));
    if (taken.allowed) return next();
    const seconds = Math.max(1, Math.ceil(taken.retryAfterMs / 1000));
    res.setHeader('retry-after', String(seconds));
    refuse(
      req,
      res,
      new AppError(ErrorCode.RATE_LIMITED, `too many operations for this credential (${limits.rateLimitPerMinute} per minute); retry after ${seconds} s`, {
        details: { retryAfterSeconds: seconds, perMinute: limits.rateLimitPerMinute },
      }),
    );
  };

  // Answers at the deadline; the write Apollo attempts afterwards is dropped by errorHandler.
  // Work already started (a store query) runs on, bounded by page size, cost and scan limits.
  const timeout: RequestHandler = (req, res, next) => {
    const timer = setTimeout(() => {
      if (res.headersSent) return;
      res.locals.timedOut = true;
      refuse(req, res, new AppError(ErrorCode.OPERATION_TIMEOUT, `the operation did not finish within ${limits.operationTimeoutMs} ms`));
    }, limits.operationTimeoutMs);
    const clear = () => clearTimeout(timer);
    res.once('finish', clear);
    res.once('close', clear);
    next();
  };

  const batch: RequestHandler = (req, res, next) => {
    const body: unknown = req.body;
    if (!Array.isArray(body)) return next();
    if (!limits.batching) {
      return refuse(
        req,
        res,
        new AppError(ErrorCode.BATCHING_DISABLED, 'batched operations (a JSON array) are disabled on this server: send one operation per request'),
      );
    }
    if (body.length > limits.maxBatch) {
      return refuse(
        req,
        res,
        new AppError(ErrorCode.BATCH_LIMIT_EXCEEDED, `a batch may hold at most ${limits.maxBatch} operations (got ${body.length})`, {
          details: { operations: body.length, max: limits.maxBatch },
        }),
      );
    }
    // Every operation of a batch counts against the rate limit, not only the request.
    const extra = body.length - 1;
    if (extra > 0 && limits.rateLimitPerMinute > 0 && !limiter.take(rateKey(principalOf(res), req), extra).allowed) {
      res.setHeader('retry-after', '60');
      return refuse(req, res, new AppError(ErrorCode.RATE_LIMITED, `too many operations for this credential (${limits.rateLimitPerMinute} per minute)`));
    }
    next();
  };

  const errorHandler: ErrorRequestHandler = (error: unknown, req, res, next) => {
    if (res.headersSent) {
      // Apollo finishing after OPERATION_TIMEOUT was sent: nothing more to say to this client.
      if ((res.locals as { timedOut?: boolean }).timedOut) return;
      return next(error);
    }
    const type = (error as { type?: unknown }).type;
    if (type === 'entity.too.large') {
      return refuse(
        req,
        res,
        new AppError(ErrorCode.PAYLOAD_TOO_LARGE, `the request body is larger than ${limits.maxBodyBytes} bytes`, {
          details: { maxBytes: limits.maxBodyBytes },
        }),
      );
    }
    if (type === 'entity.parse.failed') return refuse(req, res, new AppError(ErrorCode.INVALID_JSON, 'the request body is not valid JSON'));
    const status = (error as { status?: unknown }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      // Other body parser refusals (unsupported charset or encoding): the client's to fix.
      send(req, res, status, { errors: [{ message: (error as Error).message, extensions: { code: 'BAD_REQUEST' } }] });
      return;
    }
    next(error);
  };

  const before: RequestHandler[] = [authenticate];
  if (limits.rateLimitPerMinute > 0) before.push(rateLimit);
  if (limits.operationTimeoutMs > 0) before.push(timeout);
  before.push(express.json({ limit: limits.maxBodyBytes }), batch);
  return { before, errorHandler };
}

/** Whose bucket: the credential's id, else the client address (the socket's; no proxy header is trusted). */
export function rateKey(principal: Principal | undefined, req: Pick<Request, 'socket'>): string {
  return principal?.id ?? `ip:${req.socket.remoteAddress ?? 'unknown'}`;
}

function refuse(req: Request, res: Response, error: AppError): void {
  send(req, res, httpStatusOf(error.code), {
    errors: [{ message: error.message, extensions: { code: error.code, ...(error.details !== undefined ? { details: error.details } : {}) } }],
  });
}

/**
 * A refusal in the media type the client asked for, as Apollo Server answers (GraphQL over
 * HTTP): `application/graphql-response+json` when the Accept header prefers it, else
 * `application/json`. The status is the same for both (docs/graphql-api.md#http-status-codes).
 */
function send(req: Request, res: Response, status: number, body: unknown): void {
  const type = req.accepts(['application/json', GRAPHQL_RESPONSE_JSON]) === GRAPHQL_RESPONSE_JSON ? GRAPHQL_RESPONSE_JSON : 'application/json';
  res.status(status).type(`${type}; charset=utf-8`).send(JSON.stringify(body));
}

const GRAPHQL_RESPONSE_JSON = 'application/graphql-response+json';
