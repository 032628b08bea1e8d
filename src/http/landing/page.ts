import { escapeHtml, pageHead, siteNav, type SiteLinks } from '../html';

/**
 * The landing page at `/`: what this process runs, read at request time and rendered on the
 * server (no script), with links to everything else canonql serves. The figures per subject are
 * those of `subjectStatus`, so the page and the API never disagree.
 */

export interface LandingSubject {
  readonly subject: string;
  readonly liveEntities: number;
  readonly deletedEntities: number;
  readonly events: number;
  readonly openDeadLetters: number;
  /** ISO instants; null before the first event (or when the source gave no time). */
  readonly lastIngestedAt: string | null;
  readonly lastSourceTime: string | null;
  /** Raw messages not yet ingested; null when Kafka did not answer. */
  readonly lag: number | null;
}

export interface LandingSpec {
  readonly id: string;
  readonly version: number;
  readonly subject: string;
  readonly topics: readonly string[];
}

export interface LandingMetric {
  readonly name: string;
  readonly version: number;
  readonly subject: string;
  readonly windows: readonly string[];
}

export interface LandingSnapshot {
  readonly roles: readonly string[];
  /** One entry per served subject; `error` when its status could not be read. */
  readonly subjects: readonly (LandingSubject | { readonly subject: string; readonly error: string })[];
  readonly specs: readonly LandingSpec[];
  readonly metrics: readonly LandingMetric[];
  readonly takenAt: Date;
}

export interface LandingPageInput {
  readonly links: SiteLinks;
  readonly stylesheets: readonly string[];
  /**
   * The snapshot, or why there is none (the page then says so and keeps its links): `error` when
   * it could not be read, `restricted` when reads need a credential and a page has none.
   */
  readonly snapshot: LandingSnapshot | LandingUnavailable;
}

export interface LandingUnavailable {
  readonly unavailable: 'error' | 'restricted';
}

export function renderLandingPage(input: LandingPageInput): string {
  const { links, snapshot } = input;
  const body = !('unavailable' in snapshot)
    ? renderSnapshot(snapshot, links)
    : snapshot.unavailable === 'error'
      ? `<p class="problem" role="alert">The service status could not be read: the store or Kafka did not answer (the log has the reason). Check <a href="${escapeHtml(links.readiness)}">readiness</a>.</p>`
      : `<p class="notice" id="restricted">This deployment requires a credential for every read, so this page shows no data. Query <code>subjectStatus</code> in the <a href="${escapeHtml(links.explorer)}">explorer</a> with your key.</p>`;
  return `${pageHead('canonql', input.stylesheets)}
</head>
<body>
<header class="top">
  <h1>canonql</h1>
  ${siteNav(links, 'home')}
</header>
<main>
<p class="lead">Debezium change events turned into canonical entities, served through GraphQL: queries and
live subscriptions in the <a href="${escapeHtml(links.explorer)}">explorer</a>, mapping specs built in the
<a href="${escapeHtml(links.studio)}">studio</a>.</p>
${body}
<section aria-labelledby="links-heading">
  <h2 id="links-heading">Endpoints</h2>
  <ul class="endpoints">
    <li><a href="${escapeHtml(links.explorer)}">Explorer</a>: GraphQL over HTTP and websockets, with the demo query pre-filled</li>
    <li><a href="${escapeHtml(links.studio)}">Mapping studio</a>: raw topics, canonical subjects, specs with a live dry run</li>
    ${links.metrics ? `<li><a href="${escapeHtml(links.metrics)}">Prometheus metrics</a> of this process</li>` : ''}
    <li><a href="${escapeHtml(links.health)}">Health</a> (alive) and <a href="${escapeHtml(links.readiness)}">readiness</a> (store, Kafka and catalog answer)</li>
  </ul>
</section>
</main>
</body>
</html>
`;
}

function renderSnapshot(snapshot: LandingSnapshot, links: SiteLinks): string {
  const now = snapshot.takenAt;
  const lags = snapshot.subjects.flatMap((s) => ('error' in s || s.lag === null ? [] : [s.lag]));
  const unknownLag = snapshot.subjects.some((s) => 'error' in s || s.lag === null);
  const totalLag = lags.reduce((sum, lag) => sum + lag, 0);
  const specsBySubject = new Map<string, LandingSpec[]>();
  for (const spec of snapshot.specs) specsBySubject.set(spec.subject, [...(specsBySubject.get(spec.subject) ?? []), spec]);

  const subjectRows = snapshot.subjects.map((s) => {
    const name = `<th scope="row"><code>${escapeHtml(s.subject)}</code></th>`;
    if ('error' in s) return `<tr data-subject="${escapeHtml(s.subject)}">${name}<td colspan="7" class="problem">${escapeHtml(s.error)}</td></tr>`;
    const fedBy =
      (specsBySubject.get(s.subject) ?? []).map((spec) => `${escapeHtml(spec.id)} v${spec.version}`).join(', ') || '<span class="muted">no active spec</span>';
    return (
      `<tr data-subject="${escapeHtml(s.subject)}">${name}` +
      `<td class="num" data-field="live">${s.liveEntities}</td>` +
      `<td class="num" data-field="deleted">${s.deletedEntities}</td>` +
      `<td class="num" data-field="events">${s.events}</td>` +
      `<td data-field="last-ingested">${instant(s.lastIngestedAt, now)}</td>` +
      `<td class="num" data-field="lag">${s.lag === null ? '<span class="muted">unknown</span>' : s.lag}</td>` +
      `<td class="num" data-field="dead-letters">${s.openDeadLetters}</td>` +
      `<td data-field="specs">${fedBy}</td></tr>`
    );
  });
  const specRows = snapshot.specs.map(
    (spec) =>
      `<tr><th scope="row"><code>${escapeHtml(spec.id)}</code></th><td class="num">${spec.version}</td>` +
      `<td><code>${escapeHtml(spec.subject)}</code></td><td>${spec.topics.map((t) => `<code>${escapeHtml(t)}</code>`).join(', ')}</td></tr>`,
  );
  const metricRows = snapshot.metrics.map(
    (m) =>
      `<tr><th scope="row"><code>${escapeHtml(m.name)}</code></th><td class="num">${m.version}</td>` +
      `<td><code>${escapeHtml(m.subject)}</code></td><td>${m.windows.map(escapeHtml).join(', ')}</td></tr>`,
  );

  return `<section aria-labelledby="running-heading">
  <h2 id="running-heading">What is running</h2>
  <p>Roles of this process: <strong id="roles">${snapshot.roles.map(escapeHtml).join(', ')}</strong>.
  Ingestion lag over all subjects: <strong id="total-lag">${totalLag}${unknownLag ? ' (some unknown)' : ''}</strong> raw messages not yet ingested.
  Read at <time datetime="${now.toISOString()}">${readable(now)}</time>; reload for fresh figures.</p>
  <table id="subjects">
    <caption>Canonical subjects (as <code>subjectStatus</code> reports them)</caption>
    <thead><tr><th scope="col">Subject</th><th scope="col">Live</th><th scope="col">Deleted</th><th scope="col">Events</th><th scope="col">Last ingested</th><th scope="col">Lag</th><th scope="col">Open dead letters</th><th scope="col">Fed by</th></tr></thead>
    <tbody>${subjectRows.join('\n') || '<tr><td colspan="8" class="muted">No canonical subject is registered.</td></tr>'}</tbody>
  </table>
</section>
<section aria-labelledby="specs-heading">
  <h2 id="specs-heading">Active mapping specs</h2>
  <table id="specs">
    <thead><tr><th scope="col">Spec</th><th scope="col">Version</th><th scope="col">Subject</th><th scope="col">Raw topics</th></tr></thead>
    <tbody>${specRows.join('\n') || `<tr><td colspan="4" class="muted">No active spec: build one in the <a href="${escapeHtml(links.studio)}">studio</a>.</td></tr>`}</tbody>
  </table>
</section>
<section aria-labelledby="metrics-heading">
  <h2 id="metrics-heading">Active metrics</h2>
  <table id="metric-definitions">
    <thead><tr><th scope="col">Metric</th><th scope="col">Version</th><th scope="col">Subject</th><th scope="col">Windows</th></tr></thead>
    <tbody>${metricRows.join('\n') || '<tr><td colspan="4" class="muted">No active metric.</td></tr>'}</tbody>
  </table>
</section>`;
}

const RELATIVE = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });

/** An instant with how long ago it was, e.g. "2026-12-02 21:40:03 UTC (12 seconds ago)". */
function instant(iso: string | null, now: Date): string {
  if (iso === null) return '<span class="muted">never</span>';
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return escapeHtml(iso);
  return `<time datetime="${escapeHtml(at.toISOString())}">${readable(at)}</time> <span class="muted">(${ago(at, now)})</span>`;
}

function readable(at: Date): string {
  return `${at.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

export function ago(at: Date, now: Date): string {
  const seconds = Math.round((at.getTime() - now.getTime()) / 1000);
  const abs = Math.abs(seconds);
  if (abs < 60) return RELATIVE.format(seconds, 'second');
  if (abs < 3600) return RELATIVE.format(Math.round(seconds / 60), 'minute');
  if (abs < 86_400) return RELATIVE.format(Math.round(seconds / 3600), 'hour');
  return RELATIVE.format(Math.round(seconds / 86_400), 'day');
}
