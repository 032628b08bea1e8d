import { clear, el, option } from '../dom';
import { adminKey, unlessNotFound } from './graphql-client';
import { ACTIVATE_SPEC, DEACTIVATE_SPEC, REGISTER_SPEC, ROLLBACK_SPEC, SPEC_HISTORY, SPEC_VERSIONS, SPECS } from './operations';
import * as M from './model';
import { request, input, select, button, node, tbody, emptyState, S, showProblems, setStatus, runAction, reportLoadError, actions } from './page';
import { renderMetaForm, renderVersionHint, renderMappingTable } from './mapping-step';
import { loadTopics, renderTopicSelect } from './raw-topic-step';

/** Step 5: the registered versions of the mapping id, and saving, activating, rolling back and deactivating them. */

export async function loadSpecs(): Promise<void> {
  const data = await request(SPECS, {});
  S.specs = data.catalog.mappingSpecs;
  const list = clear(select('spec-load'));
  list.appendChild(option('', S.specs.length ? 'Choose a registered spec version' : 'No registered specs', true));
  const sorted = [...S.specs].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : a.version - b.version));
  for (const s of sorted) {
    list.appendChild(option(`${s.id}@${s.version}`, `${s.id} v${s.version}${s.active ? ' (active)' : ''} → ${s.subject} from ${s.topics.join(', ')}`));
  }
}

export async function loadVersions(): Promise<void> {
  const id = S.model.mappingId;
  if (!id) {
    S.versions = [];
    renderVersions();
    return;
  }
  // A spec id not registered yet has no versions and no history.
  const [versions, history] = await Promise.all([
    unlessNotFound(request(SPEC_VERSIONS, { id }), { catalog: { mappingSpecs: [] } }),
    unlessNotFound(request(SPEC_HISTORY, { id }), { catalog: { mappingSpecHistory: [] } }),
  ]);
  if (id !== S.model.mappingId) return;
  S.versions = [...versions.catalog.mappingSpecs].sort((a, b) => a.version - b.version);
  S.history = history.catalog.mappingSpecHistory;
  renderVersions();
  renderVersionHint();
}

function activeVersion(): number | null {
  return S.versions.find((v) => v.active)?.version ?? null;
}

function renderVersions(): void {
  const body = clear(tbody('versions-table'));
  for (const v of S.versions) {
    body.appendChild(
      el('tr', { 'data-version': String(v.version), 'data-active': v.active ? 'true' : 'false' }, [
        el('th', { scope: 'row', text: `v${v.version}` }),
        el('td', { text: v.active ? 'active' : 'inactive' }),
        el('td', { text: v.registeredAt }),
        el('td', { text: v.origin }),
        el('td', null, [
          el('button', { type: 'button', id: `load-version-${v.version}`, text: `Load v${v.version}`, onclick: () => void actions.loadSpecVersion(v) }),
          ' ',
          el('button', {
            type: 'button',
            id: `activate-version-${v.version}`,
            className: 'admin-only',
            'aria-describedby': 'admin-hint',
            'data-active': v.active ? 'true' : 'false',
            text: `Activate v${v.version}`,
            disabled: v.active || !adminKey(),
            onclick: () => activate(v.version),
          }),
        ]),
      ]),
    );
  }
  emptyState(body, 5, S.model.mappingId ? `No version of ${S.model.mappingId} is registered yet.` : 'Give the mapping an id to see its versions.');
  node('spec-history').textContent = S.history.length
    ? `History: ${S.history.map((h) => h.action + (h.version === null ? '' : ` v${h.version}`)).join(' → ')}`
    : '';
}

async function afterLifecycle(message: string): Promise<void> {
  setStatus('lifecycle-status', message);
  await Promise.all([loadVersions(), loadSpecs(), loadTopics()]);
  renderTopicSelect();
}

function activate(version: number | null): void {
  const id = S.model.mappingId;
  if (version === null) {
    showProblems(node('problems'), 'Nothing to activate', [{ code: 'BAD_USER_INPUT', text: 'version: give the version to activate' }]);
    return;
  }
  const expected = activeVersion();
  runAction(`Activating ${id} v${String(version)}…`, () => request(ACTIVATE_SPEC, { id, version, expected }), 'Activation rejected')
    .then(async (data) => {
      if (data) await afterLifecycle(`Activated ${id} v${data.activateMappingSpec.version}: ingestion now maps ${S.model.topic} with it.`);
    })
    .catch(reportLoadError);
}

/** Wires the controls of this step (once, at start). */
export function wireVersionsStep(): void {
  button('save-spec').addEventListener('click', () => {
    const spec = M.buildSpec(S.model);
    runAction(`Saving ${String(spec.mappingId)} v${String(spec.version)}…`, () => request(REGISTER_SPEC, { spec }), 'Spec rejected')
      .then(async (data) => {
        if (!data) return;
        const saved = data.registerMappingSpec;
        S.model = M.stateFromSpec(saved.spec, S.fields);
        renderMetaForm();
        renderMappingTable();
        await afterLifecycle(`Saved ${saved.id} v${saved.version} (inactive until activated).`);
        actions.changed();
      })
      .catch(reportLoadError);
  });
  button('activate-spec').addEventListener('click', () => activate(S.model.version));
  button('rollback-spec').addEventListener('click', () => {
    const id = S.model.mappingId;
    runAction(`Rolling back ${id}…`, () => request(ROLLBACK_SPEC, { id }), 'Rollback rejected')
      .then(async (data) => {
        if (data) await afterLifecycle(`Rolled back ${id}: v${data.rollbackMappingSpec.version} is active again.`);
      })
      .catch(reportLoadError);
  });
  button('deactivate-spec').addEventListener('click', () => {
    const id = S.model.mappingId;
    runAction(`Deactivating ${id}…`, () => request(DEACTIVATE_SPEC, { id }), 'Deactivation rejected')
      .then(async (data) => {
        if (data) await afterLifecycle(`Deactivated ${id}: its topic waits until a version is active again.`);
      })
      .catch(reportLoadError);
  });
  input('mapping-id').addEventListener('change', () => {
    loadVersions()
      .then(() => actions.changed())
      .catch(reportLoadError);
  });
}
