import { PAGE_CHROME_CSS } from '../page-chrome-css';

/** The landing page's stylesheet, served under a content-hashed URL (the page's CSP forbids inline style). */
export const LANDING_STYLESHEET = `${PAGE_CHROME_CSS}
main { max-width: 1100px; margin: 0 auto; padding: 16px 20px 40px; }
.lead { font-size: 15px; }
a { color: var(--accent); }
section { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 12px 16px; margin: 14px 0; overflow-x: auto; }
h2 { font-size: 16px; margin: 0 0 8px; }
table { border-collapse: collapse; width: 100%; }
caption { text-align: left; color: var(--muted); padding: 4px 0; }
th, td { border-bottom: 1px solid var(--line); padding: 5px 8px; text-align: left; vertical-align: top; }
thead th { background: var(--bg); font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.muted { color: var(--muted); }
.problem { color: var(--bad); background: var(--bad-bg); border-radius: 4px; padding: 6px 10px; }
.notice { background: var(--bg); border-left: 3px solid var(--accent); padding: 6px 10px; }
.endpoints { margin: 0; padding-left: 20px; }
code { font: 13px ui-monospace, SFMono-Regular, Menlo, monospace; }
`;
