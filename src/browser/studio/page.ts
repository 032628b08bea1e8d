import { byId, clear, el, pageConfig, within } from '../dom';
import { createClient, problemsOf, type Problem } from './graphql-client';
import * as M from './model';
import type { CanonicalField } from './canonical-fields';
import type { JsonObject } from './json-value';
import type { MappingTransform, RawTopicDetail, RawTopicSummary, SchemaSubject, SpecActivation, SpecPreview, SpecVersion } from './operations';

/**
 * What every step of the studio shares: the client of the page's GraphQL endpoint, the page's
 * state, DOM shortcuts, status lines and problem lists, and the two actions a step starts in a
 * step above it (see `actions`).
 */
const config = pageConfig<{ endpointPath: string }>('canonql-studio-config');
const endpoint = new URL(config.endpointPath, window.location.href).href;
export const request = createClient(endpoint);

export const input = (id: string) => byId(id, HTMLInputElement);
export const select = (id: string) => byId(id, HTMLSelectElement);
export const button = (id: string) => byId(id, HTMLButtonElement);
export const textarea = (id: string) => byId(id, HTMLTextAreaElement);
export const node = (id: string) => byId(id, HTMLElement);
export const tbody = (tableId: string) => within(node(tableId), 'tbody', HTMLTableSectionElement);
export const plural = (n: number, word: string, many = `${word}s`) => `${n} ${n === 1 ? word : many}`;

/** A table body with one row saying why it is empty (or nothing when it has rows). */
export function emptyState(body: HTMLTableSectionElement, columns: number, text: string): void {
  if (body.rows.length === 0) body.appendChild(el('tr', { className: 'empty' }, [el('td', { colspan: columns, text })]));
}

/** Where a step's outcome shows: its status line and its problem list. */
interface Panel {
  readonly status: string;
  readonly problems: string;
}
export const SUBJECT_PANEL: Panel = { status: 'subject-status', problems: 'subject-problems' };
const LIFECYCLE_PANEL: Panel = { status: 'lifecycle-status', problems: 'problems' };

// ---- the page's state -------------------------------------------------------------------------

interface PageState {
  transforms: MappingTransform[];
  topics: RawTopicSummary[];
  /** rawTopic(topic) of the selected topic. */
  raw: RawTopicDetail | null;
  subjects: SchemaSubject[];
  canonicalSchema: JsonObject | null;
  fields: CanonicalField[];
  /** Every registered spec version. */
  specs: SpecVersion[];
  /** The versions of the spec being edited. */
  versions: SpecVersion[];
  history: SpecActivation[];
  model: M.StudioState;
  preview: SpecPreview | null;
  previewSeq: number;
  timer: number | null;
  /** Validation problems of the spec as built now (from the last dry run). */
  problems: string[];
  /** A canonical schema drafted in step 2 and not registered (yet): mapped and previewed against. */
  draft: { subject: string; schema: JsonObject } | null;
  /** The subject name whose schema was last drafted from the raw topic: its fields are auto-mapped once it is in use. */
  draftedFromTopic: string | null;
}

export const S: PageState = {
  transforms: [],
  topics: [],
  raw: null,
  subjects: [],
  canonicalSchema: null,
  fields: [],
  specs: [],
  versions: [],
  history: [],
  model: M.newState({}),
  preview: null,
  previewSeq: 0,
  timer: null,
  problems: [],
  draft: null,
  draftedFromTopic: null,
};

export function showProblems(container: HTMLElement, title: string | null, problems: readonly Problem[]): void {
  const list = clear(within(container, 'ul', HTMLUListElement));
  if (title !== null) within(container, 'h3', HTMLHeadingElement).textContent = title;
  for (const p of problems) list.appendChild(el('li', { 'data-code': p.code }, [el('code', { text: p.code }), ' ', p.text]));
  container.hidden = problems.length === 0;
}

export function setStatus(id: string, text: string, isError = false): void {
  const status = node(id);
  status.textContent = text;
  status.className = isError ? 'status-error' : '';
}

/** Runs a mutation: status while it runs, every problem on failure (resolves to undefined then). */
export async function runAction<T>(pending: string, call: () => Promise<T>, rejectedTitle: string, panel: Panel = LIFECYCLE_PANEL): Promise<T | undefined> {
  setStatus(panel.status, pending);
  showProblems(node(panel.problems), null, []);
  try {
    return await call();
  } catch (error) {
    const problems = problemsOf(error);
    showProblems(node(panel.problems), `${rejectedTitle} (${plural(problems.length, 'problem')})`, problems);
    setStatus(panel.status, `${rejectedTitle}.`, true);
    node(panel.problems).focus();
    return undefined;
  }
}

/** A load that failed: shown at the top of the page, whichever step asked. */
export function reportLoadError(error: unknown): void {
  const problems = problemsOf(error);
  showProblems(node('page-problems'), `A request failed (${plural(problems.length, 'problem')}): the page may show stale data`, problems);
}

/** Options of an edit: `keepVersion` when the edit is of the version number itself. */
export interface EditOptions {
  keepVersion?: boolean;
}

/**
 * The two actions a step starts in a step built on top of it: an edit of the spec (the debounced
 * update of preview-step.ts) and loading a registered spec version (spec-loader.ts, from the
 * versions table). Steps import only the steps below them; main.ts supplies these two once at
 * start, so no import points upward.
 */
export const actions: {
  changed: (options?: EditOptions) => void;
  loadSpecVersion: (version: SpecVersion) => Promise<void>;
} = {
  changed: () => {
    throw new Error('studio: actions.changed used before main.ts supplied it');
  },
  loadSpecVersion: () => Promise.reject(new Error('studio: actions.loadSpecVersion used before main.ts supplied it')),
};
