import { renderKeyStatus, wireAdminKey } from './admin-key';
import { renderMappingTable, renderMetaForm, wireMappingStep } from './mapping-step';
import { TRANSFORMS } from './operations';
import { actions, node, reportLoadError, request, S } from './page';
import { changed, renderPreview } from './preview-step';
import { loadSourceTopics, loadTopics, wireRawTopicStep } from './raw-topic-step';
import { loadSpecVersion, wireSpecLoader } from './spec-loader';
import { loadSubjects, wireSubjectStep } from './subject-step';
import { loadSpecs, wireVersionsStep } from './versions-step';

/**
 * The studio's page script (DOM code, no framework). Everything it knows comes from the public
 * GraphQL API of the page's own origin.
 *
 * One module per step of the page, each importing only the steps below it: page.ts (state, DOM
 * shortcuts, status lines) ← mapping-step (3) ← raw-topic-step (1) and preview-step (4) ←
 * versions-step (5) ← subject-step (2) ← spec-loader; admin-key stands alone. This file wires
 * them and loads the page.
 *
 * Rendering: lists and tables are rebuilt from the state; text fields update the state as typed
 * (without a rebuild, so focus and caret stay), selects and buttons rebuild the mapping table and
 * put focus back on the control with the same id. Every change schedules one debounced update:
 * the JSON panel, then a dry run (previewMappingSpec) whose answer is dropped if a newer one was
 * asked for meanwhile.
 */
actions.changed = changed;
actions.loadSpecVersion = loadSpecVersion;
wireAdminKey();
wireRawTopicStep();
wireSubjectStep();
wireMappingStep();
wireVersionsStep();
wireSpecLoader();

node('problems').setAttribute('tabindex', '-1');
renderKeyStatus();
renderMetaForm();
Promise.all([
  request(TRANSFORMS, {}).then((data) => {
    S.transforms = data.catalog.mappingTransforms;
  }),
  loadTopics().then(loadSourceTopics),
  loadSubjects(),
  loadSpecs(),
]).then(
  () => {
    renderMappingTable();
    renderPreview();
    changed();
    document.body.setAttribute('data-ready', 'true');
  },
  (error: unknown) => {
    reportLoadError(error);
    document.body.setAttribute('data-ready', 'error');
  },
);
