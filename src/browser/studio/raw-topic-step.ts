import { clear, el, option } from '../dom';
import { problemsOf, unlessNotFound } from './graphql-client';
import { percent, typeShares } from './raw-fields';
import { PROFILE_TOPIC, RAW_TOPIC, RAW_TOPICS, SOURCE_TOPICS, type RawFieldStats } from './operations';
import { request, select, button, node, tbody, plural, emptyState, S, setStatus, reportLoadError, actions } from './page';
import { renderMappingTable } from './mapping-step';

/** Step 1: the raw topics discovery profiled, one topic's inferred fields, and asking to profile another. */

export async function loadTopics(): Promise<void> {
  const data = await request(RAW_TOPICS, {});
  S.topics = [...data.catalog.rawTopics].sort((a, b) => (a.topic < b.topic ? -1 : 1));
  renderTopicSelect();
}

/** Kafka topics neither read by a spec nor profiled yet: what an admin may ask to profile. */
export async function loadSourceTopics(): Promise<void> {
  const data = await request(SOURCE_TOPICS, {});
  const profiled = new Set(S.topics.map((t) => t.topic));
  const list = clear(select('source-topic-select'));
  const candidates = data.catalog.sourceTopics.filter((t) => !t.readBySpecs.length && !t.profiledOnly && !profiled.has(t.topic));
  list.appendChild(option('', candidates.length ? 'Choose a Kafka topic' : 'Every topic is profiled already', true));
  for (const t of candidates) list.appendChild(option(t.topic, t.topic));
}

export function renderTopicSelect(): void {
  const list = clear(select('topic-select'));
  list.appendChild(option('', S.topics.length ? 'Choose a raw topic' : 'No profiled raw topics yet', !S.model.topic));
  let known = false;
  for (const t of S.topics) {
    if (t.topic === S.model.topic) known = true;
    list.appendChild(option(t.topic, `${t.topic} (raw schema v${t.currentVersion ?? 0}, ${t.sampled} records profiled)`, t.topic === S.model.topic));
  }
  if (S.model.topic && !known) list.appendChild(option(S.model.topic, `${S.model.topic} (not profiled yet)`, true));
}

export async function loadRawTopic(topic: string): Promise<void> {
  if (!topic) {
    S.raw = null;
    renderRaw();
    return;
  }
  const section = node('topic-section');
  section.setAttribute('aria-busy', 'true');
  node('topic-summary').textContent = `Loading the fields of ${topic}…`;
  try {
    S.raw = (await unlessNotFound(request(RAW_TOPIC, { topic }), null))?.catalog.rawTopic ?? null;
  } finally {
    section.removeAttribute('aria-busy');
  }
  renderRaw();
  renderMappingTable();
}

function renderRaw(): void {
  const body = clear(tbody('raw-fields'));
  const versions = clear(node('topic-versions'));
  const raw = S.raw;
  if (!raw) {
    emptyState(body, 5, S.model.topic ? 'No fields profiled yet.' : 'Choose a raw topic to see the fields discovery inferred.');
    node('topic-summary').textContent = S.model.topic
      ? `${S.model.topic} has not been profiled yet: no inferred fields or samples until discovery has read it (Reload statistics).`
      : 'Raw topics appear here once discovery has profiled them: an active spec reads them, or an admin asked to profile them (above).';
    return;
  }
  node('topic-summary').textContent =
    `${raw.topic}: ${raw.sampled} records profiled, raw schema version ${raw.currentVersion ?? 0}${raw.lastSeen ? `, last seen ${raw.lastSeen}` : ''}.`;
  for (const v of raw.versions) {
    const parts: string[] = [];
    if (v.changes.added.length) parts.push(`added ${v.changes.added.join(', ')}`);
    if (v.changes.removed.length) parts.push(`removed ${v.changes.removed.join(', ')}`);
    for (const c of v.changes.typeChanged) parts.push(`${c.path} ${c.from.join('|')} → ${c.to.join('|')}`);
    versions.appendChild(el('li', { text: `v${v.version} (${v.recordedAt}): ${parts.join('; ') || 'no change'}` }));
  }
  for (const f of raw.fields) {
    const shares = typeShares(f.types);
    const typeCell = el(
      'td',
      { className: shares.length > 1 ? 'mixed' : '' },
      shares.map((s) => el('span', { className: 'share', text: `${s.type} ${percent(s.share)}` })),
    );
    body.appendChild(
      el('tr', { 'data-path': f.path }, [
        el('th', { scope: 'row' }, [el('code', { text: f.path })]),
        typeCell,
        presenceCell(f),
        el('td', { className: 'num', text: percent(f.nullRate) }),
        el(
          'td',
          { className: 'examples' },
          f.examples.flatMap((x, i) => [i > 0 ? ', ' : null, el('code', { className: 'example', text: JSON.stringify(x) })]),
        ),
      ]),
    );
  }
  emptyState(body, 5, 'No fields profiled yet.');
}

/** Presence counts full row images; a field seen only in partial updates says so instead of 0%. */
function presenceCell(f: RawFieldStats): HTMLTableCellElement {
  if (f.presence === 0 && f.inPartialUpdates > 0) {
    return el('td', { className: 'num', 'data-partial-only': 'true', title: 'No full row image carried it: presence counts full images only' }, [
      el('span', { text: `in ${plural(f.inPartialUpdates, 'partial update')} only` }),
    ]);
  }
  return el('td', { className: 'num', text: percent(f.presence) });
}

/** Wires the controls of this step (once, at start). */
export function wireRawTopicStep(): void {
  button('profile-topic').addEventListener('click', () => {
    const topic = select('source-topic-select').value;
    if (!topic) {
      setStatus('profile-status', 'Choose a Kafka topic first.', true);
      return;
    }
    setStatus('profile-status', `Asking discovery to profile ${topic}…`);
    request(PROFILE_TOPIC, { topic })
      .then(() => {
        setStatus('profile-status', `${topic} is being profiled from its beginning; its fields appear in the list above within seconds (Reload statistics).`);
        S.model.topic = topic;
        renderTopicSelect();
        return loadSourceTopics();
      })
      .catch((error: unknown) => {
        setStatus(
          'profile-status',
          `Not profiled: ${problemsOf(error)
            .map((p) => `${p.code} ${p.text}`)
            .join('; ')}`,
          true,
        );
      });
  });
  select('topic-select').addEventListener('change', () => {
    S.model.topic = select('topic-select').value;
    loadRawTopic(S.model.topic).catch(reportLoadError);
    actions.changed();
  });
  button('reload-topic').addEventListener('click', () => {
    loadTopics()
      .then(() => loadRawTopic(S.model.topic))
      .then(() => actions.changed())
      .catch(reportLoadError);
  });
}
