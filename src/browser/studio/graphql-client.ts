import type { Operation } from './operations';

/**
 * The studio's GraphQL client: JSON POST to the page's own origin (Apollo Server's CSRF
 * prevention accepts `content-type: application/json`), `Authorization: Bearer <key>` when an
 * admin key was given. The key lives in sessionStorage only, so it leaves with the tab.
 */
const KEY_STORAGE = 'canonql.studio.adminKey';

export interface GraphqlError {
  readonly message: string;
  readonly extensions?: { readonly code?: string; readonly details?: unknown };
}

/** A call the API refused: every error it answered with. */
export class GraphqlProblem extends Error {
  constructor(readonly errors: readonly GraphqlError[]) {
    super(errors.map((e) => e.message).join('; '));
  }
}

/** One problem to list: the error code and a line of text. */
export interface Problem {
  readonly code: string;
  readonly text: string;
}

export function adminKey(): string {
  return window.sessionStorage.getItem(KEY_STORAGE) ?? '';
}

export function setAdminKey(key: string): void {
  if (key) window.sessionStorage.setItem(KEY_STORAGE, key);
  else window.sessionStorage.removeItem(KEY_STORAGE);
}

export function createClient(endpoint: string) {
  return async function request<TData, TVariables>(op: Operation<TData, TVariables>, variables: TVariables): Promise<TData> {
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    const key = adminKey();
    if (key) headers.authorization = `Bearer ${key}`;
    let result: { data?: TData | null; errors?: GraphqlError[] };
    try {
      const response = await fetch(endpoint, {
        method: 'POST',
        headers,
        body: JSON.stringify({ query: op.document, variables }),
        credentials: 'same-origin',
      });
      try {
        result = (await response.json()) as typeof result;
      } catch {
        result = { errors: [{ message: `HTTP ${response.status} from ${endpoint}`, extensions: { code: `HTTP_${response.status}` } }] };
      }
    } catch (error) {
      result = {
        errors: [{ message: `cannot reach ${endpoint}: ${error instanceof Error ? error.message : String(error)}`, extensions: { code: 'NETWORK' } }],
      };
    }
    if (result.errors?.length) throw new GraphqlProblem(result.errors);
    if (result.data === undefined || result.data === null) throw new GraphqlProblem([{ message: 'the answer has no data', extensions: { code: 'NO_DATA' } }]);
    return result.data;
  };
}

/** Every problem of a failed call: the details of each error when it has them, else its message. */
export function problemsOf(error: unknown): Problem[] {
  if (!(error instanceof GraphqlProblem)) return [{ code: 'CLIENT', text: error instanceof Error ? error.message : String(error) }];
  const out: Problem[] = [];
  for (const e of error.errors) {
    const code = e.extensions?.code ?? 'ERROR';
    const details = e.extensions?.details;
    if (Array.isArray(details) && details.length) {
      for (const d of details) out.push({ code, text: formatDetail(d) });
    } else if (isDetailObject(details) && (Array.isArray(details.problems) || Array.isArray(details.violations))) {
      for (const d of [...(details.problems ?? []), ...(details.violations ?? [])]) out.push({ code, text: formatDetail(d) });
    } else {
      out.push({ code, text: e.message });
    }
  }
  return out;
}

function isDetailObject(value: unknown): value is { problems?: unknown[]; violations?: unknown[] } {
  return typeof value === 'object' && value !== null;
}

function formatDetail(detail: unknown): string {
  if (typeof detail === 'string') return detail;
  if (typeof detail === 'object' && detail !== null && 'message' in detail && typeof detail.message === 'string') {
    const d = detail as { message: string; path?: unknown; rule?: unknown };
    return (d.path ? `${String(d.path)}: ` : '') + d.message + (d.rule ? ` (${String(d.rule)})` : '');
  }
  return JSON.stringify(detail);
}

/**
 * `fallback` when the API answered only NOT_FOUND (a topic not profiled yet, a subject or spec not
 * registered yet: the API names an unknown name as an error), else what `call` gave or threw.
 */
export async function unlessNotFound<T>(call: Promise<T>, fallback: T): Promise<T> {
  try {
    return await call;
  } catch (error) {
    if (error instanceof GraphqlProblem && error.errors.length > 0 && error.errors.every((e) => e.extensions?.code === 'NOT_FOUND')) return fallback;
    throw error;
  }
}
