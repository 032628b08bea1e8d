import { PAGE_CHROME_CSS } from '../page-chrome-css';

/**
 * The studio's stylesheet, served as a file (the page's CSP allows no inline style). A work
 * surface: numbered cards in the order of the work, tables with fixed column shares so a long
 * check or example wraps in its own cell instead of squeezing its neighbours, explicit empty,
 * loading and error states.
 */
export const STUDIO_STYLESHEET = `${PAGE_CHROME_CSS}
.skip { position: absolute; left: -10000px; }
.skip:focus { left: 8px; top: 8px; background: #fff; padding: 4px 8px; z-index: 10; }
.top h1 .product { font-weight: 400; color: var(--muted); }
.key-form { display: flex; align-items: center; gap: 8px; flex-wrap: wrap; margin-left: auto; }
.key-form input { width: 14em; }
#key-status { color: var(--muted); font-size: 13px; }
body[data-admin="false"] #key-status { color: var(--warn); }
.steps-bar { display: flex; flex-wrap: wrap; gap: 6px; list-style: none; margin: 0; padding: 8px 20px; background: #fff; border-bottom: 1px solid var(--line); }
.steps-bar a { display: inline-block; padding: 3px 12px; border-radius: 14px; color: var(--fg); text-decoration: none; font-size: 13px; border: 1px solid var(--line); }
.steps-bar a:hover, .steps-bar a:focus { border-color: var(--accent); color: var(--accent); }
main { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 18px; padding: 18px 20px 40px; max-width: 1600px; margin: 0 auto; }
section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 14px 18px 16px; min-width: 0; box-shadow: 0 1px 2px rgba(29, 35, 48, .04); }
section[aria-busy="true"], body[aria-busy="true"] main { opacity: .7; cursor: progress; }
#mapping-section, #preview-section, #lifecycle-section, .page-problems { grid-column: 1 / -1; }
.page-problems { margin: 0; }
h2 { font-size: 15px; margin: 0 0 12px; letter-spacing: .01em; }
h3 { font-size: 14px; margin: 0 0 6px; }
.row { display: flex; flex-wrap: wrap; align-items: center; gap: 8px; margin: 8px 0; }
.grid-form { display: grid; grid-template-columns: max-content minmax(12em, 28em) auto; gap: 8px 12px; align-items: center; margin: 12px 0; }
.grid-form label { grid-column: 1; }
.grid-form input, .grid-form select { grid-column: 2; }
.grid-form .hint { grid-column: 3; }
.hint { color: var(--muted); margin: 4px 0; font-size: 13px; }
.admin-hint { background: var(--warn-bg); color: var(--warn); border-radius: 6px; padding: 6px 10px; }
label { font-weight: 600; }
input, select, textarea, button { font: inherit; }
input, select, textarea { border: 1px solid #aab3c2; border-radius: 5px; padding: 4px 7px; background: #fff; color: var(--fg); }
textarea { width: 100%; font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
button { border: 1px solid var(--accent); background: #fff; color: var(--accent); border-radius: 5px; padding: 4px 12px; cursor: pointer; }
button:hover:not(:disabled) { background: #eef3fc; }
button.primary { background: var(--accent); color: #fff; }
button.primary:hover:not(:disabled) { background: #174a96; }
button:disabled { opacity: .45; cursor: not-allowed; }
:focus-visible { outline: 3px solid #f0a500; outline-offset: 1px; }
details summary { cursor: pointer; color: var(--accent); font-weight: 600; margin: 6px 0; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; margin: 8px 0; table-layout: fixed; }
caption { text-align: left; font-weight: 600; padding: 4px 0; color: var(--muted); font-size: 13px; }
th, td { border-bottom: 1px solid var(--line); padding: 6px 8px; text-align: left; vertical-align: top; overflow-wrap: anywhere; }
thead th { background: #f0f2f7; font-weight: 600; font-size: 13px; overflow-wrap: normal; }
tbody th { background: transparent; font-weight: 500; }
tbody tr:hover { background: #fafbfd; }
tr.empty td { color: var(--muted); font-style: italic; text-align: center; padding: 18px 8px; }
.num { font-variant-numeric: tabular-nums; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
.examples { line-height: 1.7; }
.example { background: #f3f5f9; border-radius: 4px; padding: 0 4px; white-space: pre-wrap; overflow-wrap: anywhere; }
pre { margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; font-size: 12px; max-height: 16em; overflow: auto; }
.share { display: inline-block; margin-right: 6px; white-space: nowrap; }
.mixed { color: var(--warn); font-weight: 600; }
.badge { display: inline-block; border-radius: 10px; padding: 1px 8px; font-size: 12px; margin: 1px 2px; white-space: normal; overflow-wrap: anywhere; max-width: 100%; }
.badge.bad { background: var(--bad-bg); color: var(--bad); }
.badge.warn { background: var(--warn-bg); color: var(--warn); }
.badge.ok { background: #e6f4ea; color: var(--ok); }
.status-error { color: var(--bad); font-weight: 600; }
.status-mapped { color: var(--ok); font-weight: 600; }
.status-skipped { color: var(--muted); }
#preview-status[data-state="pending"]::after { content: " (updating…)"; color: var(--muted); }
.problems { border: 1px solid var(--bad); background: var(--bad-bg); color: var(--bad); border-radius: 6px; padding: 8px 12px; margin: 8px 0; }
.problems ul { margin: 0; padding-left: 20px; }
.steps { display: flex; flex-direction: column; align-items: flex-start; gap: 4px; }
.steps .step { align-self: stretch; }
.step { display: flex; flex-wrap: wrap; gap: 4px 8px; align-items: center; padding: 3px 0; border-bottom: 1px dashed var(--line); }
.step:last-of-type { border-bottom: 0; }
.args { display: flex; flex-wrap: wrap; gap: 4px 8px; align-items: center; }
.args label { font-weight: 500; font-size: 12.5px; }
.args input, .args select { width: 10em; }
td select, td input { max-width: 100%; }
#mapping-table .c-field { width: 16%; }
#mapping-table .c-source { width: 22%; }
#mapping-table .c-transforms { width: 32%; }
#mapping-table .c-default { width: 12%; }
#mapping-table .c-check { width: 18%; }
#raw-fields .c-path { width: 20%; }
#raw-fields .c-types { width: 20%; }
#raw-fields .c-num { width: 12%; }
#raw-fields .c-examples { width: 36%; }
#preview-table .c-offset { width: 8%; }
#preview-table .c-op { width: 5%; }
#preview-table .c-key { width: 10%; }
#preview-table .c-status { width: 8%; }
#preview-table .c-doc { width: 42%; }
#preview-table .c-errors { width: 27%; }
tr.unused td { color: var(--muted); }
tr.mismatch { background: var(--warn-bg); }
.versions-list { margin: 4px 0; padding-left: 20px; color: var(--muted); font-size: 13px; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
@media (max-width: 1100px) { main { grid-template-columns: minmax(0, 1fr); } }
`;
