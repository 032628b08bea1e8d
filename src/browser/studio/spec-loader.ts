import { isObject } from './json-value';
import type { SpecVersion } from './operations';
import * as M from './model';
import { select, button, node, S, showProblems, setStatus, reportLoadError, actions } from './page';
import { renderMetaForm, renderMappingTable } from './mapping-step';
import { renderTopicSelect, loadRawTopic } from './raw-topic-step';
import { loadVersions } from './versions-step';
import { renderSubjectSelect, loadSubject } from './subject-step';

/** Loading a registered spec version into the page, or starting a new spec. */

export async function loadSpecVersion(version: SpecVersion): Promise<void> {
  const spec = version.spec;
  const subject = M.subjectName(isObject(spec.target) ? spec.target.subject : undefined);
  S.model = M.stateFromSpec(spec, []);
  S.preview = null;
  setStatus('lifecycle-status', `Loaded ${version.id} v${version.version}${version.active ? ' (active)' : ''}.`);
  showProblems(node('problems'), null, []);
  renderMetaForm();
  renderTopicSelect();
  renderSubjectSelect();
  // Busy until the topic, the subject and the versions are in: an edit made before the versions
  // are known could not tell that it makes the next version.
  document.body.setAttribute('aria-busy', 'true');
  try {
    await Promise.all([loadRawTopic(S.model.topic), loadSubject(subject), loadVersions()]);
    renderMetaForm();
    renderMappingTable();
    actions.changed();
  } catch (error) {
    reportLoadError(error);
  } finally {
    document.body.removeAttribute('aria-busy');
  }
}

/** Wires the controls of this step (once, at start). */
export function wireSpecLoader(): void {
  button('load-spec').addEventListener('click', () => {
    const value = select('spec-load').value;
    if (!value) return;
    const at = value.lastIndexOf('@');
    const id = value.slice(0, at);
    const version = Number(value.slice(at + 1));
    const found = S.specs.find((s) => s.id === id && s.version === version);
    if (found) void loadSpecVersion(found);
  });
  button('new-spec').addEventListener('click', () => {
    S.model = M.newState({
      topic: S.model.topic,
      subject: S.model.subject,
      fields: S.fields,
      mappingId: S.model.subject ? `${S.model.subject}-canonicalization` : '',
    });
    S.preview = null;
    renderMetaForm();
    renderMappingTable();
    loadVersions()
      .then(() => {
        // A new spec under an id that exists starts as its next version.
        if (S.versions.length) S.model.version = Math.max(...S.versions.map((v) => v.version)) + 1;
        renderMetaForm();
        actions.changed({ keepVersion: true });
      })
      .catch(reportLoadError);
  });
}
