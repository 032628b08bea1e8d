import { jsonForScriptBlock, pageHead, scriptTags } from '../html';

/**
 * The studio's HTML: the static skeleton of every section with its labelled controls (the page
 * script fills lists and tables), same-origin asset URLs only, settings in a JSON data block.
 * Sections follow the work's order, which is also the keyboard's order: key, raw topic, subject,
 * mapping, preview, JSON and lifecycle.
 */
export interface StudioPageInput {
  readonly title: string;
  readonly endpointPath: string;
  readonly stylesheets: readonly string[];
  /** In execution order. */
  readonly scripts: readonly string[];
  /** Links to canonql's other pages (html.ts siteNav), or empty. */
  readonly nav: string;
}

export function renderStudioPage(input: StudioPageInput): string {
  const config = { endpointPath: input.endpointPath };
  return `${pageHead(input.title, input.stylesheets)}
</head>
<body>
<a class="skip" href="#mapping-section">Skip to the mapping</a>
<header class="top">
  <h1>canonql <span class="product">mapping studio</span></h1>
  ${input.nav}
  <form id="key-form" class="key-form" autocomplete="off">
    <label for="admin-key">Admin key</label>
    <input id="admin-key" name="admin-key" type="password" autocomplete="off" spellcheck="false" aria-describedby="key-status">
    <button type="submit" id="use-key">Use key</button>
    <button type="button" id="forget-key">Forget key</button>
    <span id="key-status" role="status"></span>
  </form>
</header>
<ol class="steps-bar" aria-label="Steps">
  <li><a href="#topic-section">1 Raw topic</a></li><li><a href="#subject-section">2 Subject</a></li><li><a href="#mapping-section">3 Mapping</a></li>
  <li><a href="#preview-section">4 Preview</a></li><li><a href="#lifecycle-section">5 Versions</a></li>
</ol>
<noscript><p>The mapping studio needs JavaScript.</p></noscript>
<main>
  <div id="page-problems" class="problems page-problems" role="alert" tabindex="-1" hidden><h3>Request failed</h3><ul></ul></div>
  <section id="topic-section" aria-labelledby="topic-heading">
    <h2 id="topic-heading">1. Raw topic</h2>
    <div class="row">
      <label for="topic-select">Raw topic</label>
      <select id="topic-select"><option value="">Loading…</option></select>
      <button type="button" id="reload-topic">Reload statistics</button>
    </div>
    <div class="row">
      <label for="source-topic-select">Kafka topic not profiled yet</label>
      <select id="source-topic-select"><option value="">Loading…</option></select>
      <button type="button" id="profile-topic" class="admin-only" aria-describedby="admin-hint">Profile this topic</button>
    </div>
    <p id="profile-status" role="status"></p>
    <p id="topic-summary" class="hint">Raw topics appear here once discovery has profiled them: an active spec reads them, or an admin asked to profile them (above).</p>
    <ul id="topic-versions" class="versions-list" aria-label="Raw schema versions (drift)"></ul>
    <div class="scroll">
      <table id="raw-fields">
        <caption>Inferred fields</caption>
        <colgroup><col class="c-path"><col class="c-types"><col class="c-num"><col class="c-num"><col class="c-examples"></colgroup>
        <thead><tr><th scope="col">Path</th><th scope="col">Types (share of values)</th><th scope="col">Presence</th><th scope="col">Null rate</th><th scope="col">Examples</th></tr></thead>
        <tbody><tr class="empty"><td colspan="5">Choose a raw topic to see the fields discovery inferred.</td></tr></tbody>
      </table>
    </div>
  </section>

  <section id="subject-section" aria-labelledby="subject-heading">
    <h2 id="subject-heading">2. Canonical subject</h2>
    <div class="row">
      <label for="subject-select">Subject</label>
      <select id="subject-select"><option value="">Loading…</option></select>
    </div>
    <details id="new-subject">
      <summary>Create a subject</summary>
      <div class="row">
        <label for="new-subject-name">New subject name</label>
        <input id="new-subject-name" spellcheck="false">
        <button type="button" id="draft-schema">Draft the schema from the raw topic</button>
      </div>
      <label for="new-subject-schema">Canonical JSON Schema (2020-12)</label>
      <textarea id="new-subject-schema" rows="12" spellcheck="false"></textarea>
      <div class="row">
        <button type="button" id="use-draft">Map against this draft</button>
        <button type="button" id="register-subject" class="admin-only primary" aria-describedby="admin-hint">Register subject</button>
      </div>
      <p class="hint">A draft can be mapped and previewed before it is registered: the preview checks the records against it.</p>
    </details>
    <p id="subject-status" role="status" aria-live="polite"></p>
    <div id="subject-problems" class="problems" role="alert" tabindex="-1" hidden><h3>Subject rejected</h3><ul></ul></div>
    <div class="scroll">
      <table id="canonical-fields">
        <caption>Canonical fields</caption>
        <thead><tr><th scope="col">Field</th><th scope="col">Types</th><th scope="col">Required</th><th scope="col">Description</th></tr></thead>
        <tbody><tr class="empty"><td colspan="4">Choose a subject, or create one from the raw topic.</td></tr></tbody>
      </table>
    </div>
  </section>

  <section id="mapping-section" aria-labelledby="mapping-heading" tabindex="-1">
    <h2 id="mapping-heading">3. Mapping</h2>
    <div class="row">
      <label for="spec-load">Existing spec</label>
      <select id="spec-load"><option value="">Loading…</option></select>
      <button type="button" id="load-spec">Load for editing</button>
      <button type="button" id="new-spec">Start a new spec</button>
      <button type="button" id="auto-map">Map same-named fields</button>
    </div>
    <p id="mapping-status" class="hint" role="status"></p>
    <div class="grid-form">
      <label for="mapping-id">Mapping id</label>
      <input id="mapping-id" spellcheck="false">
      <label for="spec-version">Version</label>
      <input id="spec-version" type="number" min="1" step="1" aria-describedby="version-hint">
      <span id="version-hint" class="hint"></span>
      <label for="spec-description">Description</label>
      <input id="spec-description">
      <label for="spec-key">Entity key</label>
      <select id="spec-key"></select>
      <label for="delete-mode">Delete mode</label>
      <select id="delete-mode"><option value="">not set (soft)</option><option value="soft">soft</option><option value="hard">hard</option></select>
    </div>
    <div class="scroll">
      <table id="mapping-table">
        <caption>Field mappings: per canonical field, a source path, transforms, or a default</caption>
        <colgroup><col class="c-field"><col class="c-source"><col class="c-transforms"><col class="c-default"><col class="c-check"></colgroup>
        <thead><tr><th scope="col">Canonical field</th><th scope="col">Source path</th><th scope="col">Transforms</th><th scope="col">Default</th><th scope="col">Check</th></tr></thead>
        <tbody><tr class="empty"><td colspan="5">Choose a subject: one row per canonical field appears here.</td></tr></tbody>
      </table>
    </div>
  </section>

  <section id="preview-section" aria-labelledby="preview-heading">
    <h2 id="preview-heading">4. Live preview</h2>
    <p id="preview-status" role="status" aria-live="polite" data-seq="0" data-state="idle">The preview runs on the latest sampled records as the mapping changes.</p>
    <div id="preview-problems" class="problems" hidden><h3>The spec is not valid</h3><ul></ul></div>
    <div id="coverage"></div>
    <div class="scroll">
      <table id="preview-table">
        <caption>Canonical output per sampled record</caption>
        <colgroup><col class="c-offset"><col class="c-op"><col class="c-key"><col class="c-status"><col class="c-doc"><col class="c-errors"></colgroup>
        <thead><tr><th scope="col">Offset</th><th scope="col">Op</th><th scope="col">Key</th><th scope="col">Status</th><th scope="col">Canonical document</th><th scope="col">Errors</th></tr></thead>
        <tbody><tr class="empty"><td colspan="6">No preview yet.</td></tr></tbody>
      </table>
    </div>
  </section>

  <section id="lifecycle-section" aria-labelledby="lifecycle-heading">
    <h2 id="lifecycle-heading">5. Spec JSON, versions and activation</h2>
    <div class="row">
      <button type="button" id="save-spec" class="admin-only primary" aria-describedby="admin-hint">Save as new version</button>
      <button type="button" id="activate-spec" class="admin-only primary" aria-describedby="admin-hint">Activate this version</button>
      <button type="button" id="rollback-spec" class="admin-only" aria-describedby="admin-hint">Roll back</button>
      <button type="button" id="deactivate-spec" class="admin-only" aria-describedby="admin-hint">Deactivate</button>
    </div>
    <p id="admin-hint" class="hint admin-hint">Profiling a topic, registering a subject, saving, activating, rolling back and deactivating change what canonql runs: they need an admin key (<em>Admin key</em>, at the top of the page).</p>
    <p id="lifecycle-status" role="status" aria-live="polite"></p>
    <div id="problems" class="problems" role="alert" hidden><h3 id="problems-title">Rejected</h3><ul></ul></div>
    <div class="scroll">
      <table id="versions-table">
        <caption>Registered versions of this spec</caption>
        <thead><tr><th scope="col">Version</th><th scope="col">State</th><th scope="col">Registered</th><th scope="col">Origin</th><th scope="col">Actions</th></tr></thead>
        <tbody><tr class="empty"><td colspan="5">No version of this mapping id is registered yet.</td></tr></tbody>
      </table>
    </div>
    <p id="spec-history" class="hint"></p>
    <label for="spec-json">Spec JSON (as a <code>specs/</code> file holds it)</label>
    <textarea id="spec-json" rows="24" readonly spellcheck="false"></textarea>
  </section>
</main>
<script id="canonql-studio-config" type="application/json">${jsonForScriptBlock(config)}</script>
${scriptTags(input.scripts)}
</body>
</html>
`;
}
