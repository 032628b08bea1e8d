import vm from 'node:vm';
import { STUDIO_MODEL_SCRIPT } from '../../../src/http/studio/model-script';

/** Row of the studio model (the fields the tests touch). */
export interface StudioRow {
  id: string;
  dst: string;
  src: string;
  steps: { name: string; args: Record<string, unknown> }[];
  hasDefault: boolean;
  defaultValue: unknown;
}

export interface StudioState {
  mappingId: string;
  version: number | null;
  description: string;
  topic: string;
  subject: string;
  key: unknown;
  deleteMode: string;
  rows: StudioRow[];
}

export interface CanonicalField { path: string; types: string[]; required: boolean }

/** The model's functions as the browser gets them (the served script text, run in a fresh context). */
export interface StudioModel {
  canonicalFields(schema: unknown): CanonicalField[];
  newState(options: { mappingId?: string; topic?: string; subject?: string; fields?: CanonicalField[]; version?: number }): StudioState;
  stateFromSpec(spec: unknown, fields?: CanonicalField[]): StudioState;
  buildSpec(state: StudioState): Record<string, unknown>;
  specJson(spec: unknown): string;
  parseValueText(text: string): { has: boolean; value?: unknown };
  formatValueText(value: unknown): string;
  parseArgText(text: string, type: string): { has: boolean; value?: unknown };
  formatArgText(value: unknown, type: string): string;
  problemsByRow(rows: StudioRow[], problems: string[]): Record<string, string[]>;
  draftSchema(fields: unknown[], title?: string): Record<string, unknown>;
  typeShares(types: Record<string, number>): { type: string; share: number }[];
  normalizePath(path: string): string;
}

export function loadStudioModel(): StudioModel {
  const context: Record<string, unknown> = {};
  context.globalThis = context;
  vm.runInNewContext(STUDIO_MODEL_SCRIPT, context, { filename: 'studio-model.js' });
  return context.CanonqlStudioModel as StudioModel;
}
