import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer, type HTTPGraphQLResponse } from '@apollo/server';
import type { Logger } from '../logger';
import { REQUEST_ID_HEADER, requestIdOf } from '../observability/request-id';
import type { Principal } from './access';
import type { AcceptedQueries } from './accepted-queries';
import type { ApiContext } from './context';
import type { HttpChecks } from './limits/http-guards';

/**
 * GraphQL over HTTP on node:http, ahead of express: the request listener of the HTTP server. A
 * plain JSON POST to the endpoint's path (the form clients send nearly always) is answered here,
 * through the same checks as the express middleware (limits/http-guards.ts) and Apollo Server's
 * integration entry point (`executeHTTPGraphQLRequest`); every other request, including every
 * other form of a request to the path (GET, the explorer page, another media type, charset or
 * content encoding, no body), goes on to the express app, which answers it as before.
 *
 *   request id → authenticate → rate limit → timeout → JSON body (size) → batch size → Apollo
 *
 * Why not through express: its routing, request decoration and body parsing cost the API process
 * about as much CPU per `order(id)` as graphql's execution (docs/design-notes.md).
 */
export function graphqlHttpListener(options: {
  /** The endpoint's path, e.g. `/graphql`: matched exactly, with or without a query string. */
  readonly path: string;
  readonly apollo: ApolloServer<ApiContext>;
  readonly checks: HttpChecks;
  readonly maxBodyBytes: number;
  readonly context: (req: IncomingMessage, principal: Principal) => Promise<ApiContext>;
  /** Queries Apollo accepted before, answered without its pipeline when they succeed (accepted-queries.ts); absent: all go to Apollo. */
  readonly accepted?: AcceptedQueries;
  /** Every request this listener does not answer (the express app). */
  readonly next: RequestListener;
  readonly logger: Logger;
}): RequestListener {
  const { path, apollo, checks, maxBodyBytes } = options;

  const serve = async (req: IncomingMessage, res: ServerResponse) => {
    res.setHeader(REQUEST_ID_HEADER, requestIdOf(req));
    const principal = await checks.authenticate(req, res);
    if (!principal || !checks.takeRate(principal, req, res)) return;
    checks.startDeadline(req, res);
    let body: unknown;
    try {
      body = await readJsonBody(req, maxBodyBytes);
    } catch (error) {
      if (checks.timedOut(res)) return;
      if (checks.refuseBody(error, req, res)) return;
      throw error;
    }
    // OPERATION_TIMEOUT answered while the body was arriving: nothing left to run.
    if (checks.timedOut(res) || !checks.admitBatch(body, principal, req, res)) return;
    const context = () => options.context(req, principal);
    let response = options.accepted ? await options.accepted.answer(body, req, context) : null;
    // OPERATION_TIMEOUT answered while the accepted-query path ran: nothing left to run.
    if (!response && checks.timedOut(res)) return;
    response ??= await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: 'POST', headers: headerMapOf(req), search: searchOf(req.url ?? ''), body },
      context,
    });
    // After OPERATION_TIMEOUT was answered there is nothing more to say to this client.
    if (checks.timedOut(res)) return;
    await write(res, response);
  };

  return (req, res) => {
    if (!isPlainJsonPost(req, path)) return options.next(req, res);
    serve(req, res).catch((error: unknown) => {
      options.logger.error({ err: error, requestId: requestIdOf(req) }, 'GraphQL over HTTP failed');
      if (res.headersSent) res.destroy();
      else {
        res.writeHead(500, { 'content-type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify({ errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] }));
      }
    });
  };
}

/**
 * The requests answered here: POST to exactly the path, with a body, `application/json` in UTF-8
 * (the only charset given or none), no content encoding. These are the ones express's JSON body
 * parser reads as UTF-8 text without a decoder; for every other one its behaviour (charsets,
 * inflating, refusals) stays the reference.
 */
function isPlainJsonPost(req: IncomingMessage, path: string): boolean {
  if (req.method !== 'POST') return false;
  const url = req.url ?? '';
  if (url !== path && !(url.startsWith(path) && url.charCodeAt(path.length) === QUESTION_MARK)) return false;
  const { headers } = req;
  if (headers['content-encoding'] !== undefined) return false;
  if (headers['content-length'] === undefined && headers['transfer-encoding'] === undefined) return false;
  const type = headers['content-type'];
  return type !== undefined && PLAIN_JSON.test(type);
}

const QUESTION_MARK = 0x3f;
const PLAIN_JSON = /^application\/json[ \t]*(;[ \t]*charset=("?)utf-8\2[ \t]*)?$/i;

/**
 * The body as express's JSON parser reads it in strict mode: at most `maxBytes` (refused with
 * `type: 'entity.too.large'`, by Content-Length before reading when it says so), empty as `{}`,
 * an object or array else (`type: 'entity.parse.failed'`), a leading byte order mark ignored.
 */
function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > maxBytes) return reject(bodyError('entity.too.large', 413));
    const chunks: Buffer[] = [];
    let length = 0;
    const onData = (chunk: Buffer) => {
      length += chunk.length;
      if (length <= maxBytes) return void chunks.push(chunk);
      req.off('data', onData);
      req.off('end', onEnd);
      reject(bodyError('entity.too.large', 413));
    };
    const onEnd = () => {
      let text = chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks, length).toString('utf8');
      if (text.charCodeAt(0) === BYTE_ORDER_MARK) text = text.slice(1);
      if (text.length === 0) return resolve({});
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        return reject(bodyError('entity.parse.failed', 400));
      }
      // Strict: valid JSON that is not an object or an array (`42`, `"x"`, `null`) is refused as well.
      if (typeof value === 'object' && value !== null) resolve(value);
      else reject(bodyError('entity.parse.failed', 400));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    // The client went away mid-body: refused like express's body parser does (nobody reads it).
    req.once('error', () => reject(bodyError('request.aborted', 400)));
  });
}

const BYTE_ORDER_MARK = 0xfeff;

function bodyError(type: string, status: number): Error {
  return Object.assign(new Error(type), { type, status });
}

/** Apollo's view of the request headers: names lower case, repeated values joined (as its express integration builds it). */
function headerMapOf(req: IncomingMessage): HeaderMap {
  const headers = new HeaderMap();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  return headers;
}

function searchOf(url: string): string {
  const at = url.indexOf('?');
  return at < 0 ? '' : url.slice(at);
}

async function write(res: ServerResponse, response: HTTPGraphQLResponse): Promise<void> {
  for (const [name, value] of response.headers) res.setHeader(name, value);
  res.statusCode = response.status ?? 200;
  if (response.body.kind === 'complete') {
    res.setHeader('content-length', Buffer.byteLength(response.body.string));
    res.end(response.body.string);
    return;
  }
  for await (const chunk of response.body.asyncIterator) res.write(chunk);
  res.end();
}
