import crypto from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { RequestHandler } from 'express';

/**
 * Correlation ids. Every HTTP request gets one: the caller's `x-request-id` when it is sane (a
 * proxy or client already named the request, so its logs and ours join), else a fresh UUID. It is
 * echoed in the response and carried by the request's child logger. A websocket connection gets
 * one the same way from its upgrade request, and every log line of the connection carries it.
 */
export const REQUEST_ID_HEADER = 'x-request-id';

/** Printable, no spaces or quotes, short: safe to echo in a header and to index in logs. */
const SANE = /^[A-Za-z0-9][A-Za-z0-9._:@/+=-]{0,127}$/;

/** The id to use for a request carrying `header` (pure but for the random fallback). */
export function requestIdFrom(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value !== undefined && SANE.test(value) ? value : crypto.randomUUID();
}

const ids = new WeakMap<IncomingMessage, string>();

/** The request's id: the one the middleware assigned, else derived from its header now. */
export function requestIdOf(req: IncomingMessage): string {
  let id = ids.get(req);
  if (id === undefined) {
    id = requestIdFrom(req.headers[REQUEST_ID_HEADER]);
    ids.set(req, id);
  }
  return id;
}

/** First middleware of the app: assigns the id and echoes it before any route can answer. */
export function requestIdMiddleware(): RequestHandler {
  return (req, res, next) => {
    res.setHeader(REQUEST_ID_HEADER, requestIdOf(req));
    next();
  };
}
