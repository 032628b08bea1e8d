import { PAGE_CHROME_CSS } from '../page-chrome-css';

/** The studio's stylesheet, served as a file (the page's CSP allows no inline style). */
export const STUDIO_STYLESHEET = String.raw`${PAGE_CHROME_CSS}
.skip { position: absolute; left: -10000px; }
.skip:focus { left: 8px; top: 8px; background: #fff; padding: 4px 8px; z-index: 10; }
.key-form { display: flex; align-items: center; gap: 8px; flex-wrap: wrap; }
main { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 16px; padding: 16px 20px; }
section { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 12px 16px; min-width: 0; }
#mapping-section, #preview-section, #lifecycle-section { grid-column: 1 / -1; }
h2 { font-size: 16px; margin: 0 0 10px; }
h3 { font-size: 14px; margin: 0 0 6px; }
.row { display: flex; flex-wrap: wrap; align-items: center; gap: 8px; margin: 6px 0; }
.grid-form { display: grid; grid-template-columns: max-content minmax(12em, 28em) auto; gap: 6px 10px; align-items: center; margin: 10px 0; }
.grid-form label { grid-column: 1; }
.grid-form input, .grid-form select { grid-column: 2; }
.grid-form .hint { grid-column: 3; }
.hint { color: var(--muted); margin: 4px 0; }
label { font-weight: 600; }
input, select, textarea, button { font: inherit; }
input, select, textarea { border: 1px solid #aab3c2; border-radius: 4px; padding: 3px 6px; background: #fff; color: var(--fg); }
textarea { width: 100%; font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
button { border: 1px solid var(--accent); background: #fff; color: var(--accent); border-radius: 4px; padding: 3px 10px; cursor: pointer; }
button:hover { background: #eef3fc; }
button.primary, #save-spec, #activate-spec { background: var(--accent); color: #fff; }
button:disabled { opacity: .5; cursor: default; }
:focus-visible { outline: 3px solid #f0a500; outline-offset: 1px; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; margin: 8px 0; }
caption { text-align: left; font-weight: 600; padding: 4px 0; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 6px; text-align: left; vertical-align: top; }
th { background: #eef1f6; font-weight: 600; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
pre { margin: 0; white-space: pre-wrap; word-break: break-word; font-size: 12px; max-height: 16em; overflow: auto; }
.share { display: inline-block; margin-right: 6px; white-space: nowrap; }
.mixed { color: var(--warn); font-weight: 600; }
.badge { display: inline-block; border-radius: 10px; padding: 0 8px; font-size: 12px; margin: 1px 2px; white-space: nowrap; }
.badge.bad { background: var(--bad-bg); color: var(--bad); }
.badge.warn { background: var(--warn-bg); color: var(--warn); }
.badge.ok { background: #e6f4ea; color: var(--ok); }
.status-error { color: var(--bad); font-weight: 600; }
.status-mapped { color: var(--ok); }
.problems { border: 1px solid var(--bad); background: var(--bad-bg); color: var(--bad); border-radius: 4px; padding: 8px 12px; margin: 8px 0; }
.problems ul { margin: 0; padding-left: 20px; }
.step { display: flex; flex-wrap: wrap; gap: 4px 8px; align-items: center; padding: 3px 0; border-bottom: 1px dashed var(--line); }
.step:last-of-type { border-bottom: 0; }
.args { display: flex; flex-wrap: wrap; gap: 4px 8px; align-items: center; }
.args label { font-weight: 500; font-size: 12.5px; }
.args input, .args select { width: 11em; }
td select { max-width: 22em; }
tr.unused td { color: var(--muted); }
tr.mismatch { background: var(--warn-bg); }
.versions-list { margin: 4px 0; padding-left: 20px; color: var(--muted); }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
@media (max-width: 1000px) { main { grid-template-columns: minmax(0, 1fr); } }
`;
