/**
 * What canonql's own pages (the landing page, the studio) share in their stylesheets: colours, the
 * body's type, the header bar and the navigation between the pages (html.ts `siteNav`).
 */
export const PAGE_CHROME_CSS = `
:root { --fg: #1d2330; --muted: #5b6475; --line: #d5dae3; --bg: #f6f7fa; --accent: #1f5fbf; --bad: #b3261e; --bad-bg: #fdecea; --warn: #8a5a00; --warn-bg: #fff4d6; --ok: #1e7b34; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
.top { display: flex; flex-wrap: wrap; align-items: center; gap: 12px 24px; padding: 10px 20px; background: #fff; border-bottom: 1px solid var(--line); }
.top h1 { font-size: 18px; margin: 0; }
.site-nav { display: flex; gap: 14px; }
.site-nav a { color: var(--accent); text-decoration: none; }
.site-nav a:hover, .site-nav a:focus { text-decoration: underline; }
.site-nav a[aria-current="page"] { color: var(--fg); font-weight: 600; }
`;
