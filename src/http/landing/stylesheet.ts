/** The landing page's stylesheet, served under a content-hashed URL (the page's CSP forbids inline style). */
export const LANDING_STYLESHEET = `
:root { --fg: #1d2330; --muted: #5b6475; --line: #d5dae3; --bg: #f6f7fa; --accent: #1f5fbf; --bad: #b3261e; --bad-bg: #fdecea; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
.top { display: flex; flex-wrap: wrap; align-items: center; gap: 12px 24px; padding: 10px 20px; background: #fff; border-bottom: 1px solid var(--line); }
.top h1 { font-size: 18px; margin: 0; }
.site-nav { display: flex; gap: 14px; }
.site-nav a { color: var(--accent); text-decoration: none; }
.site-nav a:hover, .site-nav a:focus { text-decoration: underline; }
.site-nav a[aria-current="page"] { color: var(--fg); font-weight: 600; }
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
