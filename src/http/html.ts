import crypto from 'node:crypto';

/** Small, safe builders for the pages canonql serves itself (the explorer, the studio). */

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** JSON that cannot close the surrounding <script> element nor start an HTML comment. */
export function jsonForScriptBlock(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** `<script src>` elements, one per line, URLs escaped. */
export function scriptTags(sources: readonly string[]): string {
  return sources.map((src) => `<script src="${escapeHtml(src)}"></script>`).join('\n');
}

/** The start of every page canonql serves: charset, viewport, no referrer, no favicon request, title, stylesheets. */
export function pageHead(title: string, stylesheets: readonly string[]): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>${escapeHtml(title)}</title>
${stylesheets.map((href) => `<link rel="stylesheet" href="${escapeHtml(href)}">`).join('\n')}`;
}

/** Where canonql's own pages live, so each can link to the others. */
export interface SiteLinks {
  /** The landing page (`/`). */
  readonly home: string;
  /** The GraphQL explorer (the endpoint's URL). */
  readonly explorer: string;
  readonly studio: string;
  /** Prometheus metrics; absent when the process serves none. */
  readonly metrics?: string;
  readonly health: string;
  readonly readiness: string;
}

export type SitePage = 'home' | 'explorer' | 'studio';

/** The navigation bar of canonql's pages; the current page is marked with aria-current. */
export function siteNav(links: SiteLinks, current: SitePage): string {
  const pages: readonly [SitePage, string, string][] = [
    ['home', links.home, 'Home'],
    ['explorer', links.explorer, 'Explorer'],
    ['studio', links.studio, 'Studio'],
  ];
  const items = pages.map(([page, href, label]) => `<a href="${escapeHtml(href)}"${page === current ? ' aria-current="page"' : ''}>${label}</a>`);
  return `<nav class="site-nav" aria-label="canonql">${items.join(' ')}</nav>`;
}

/**
 * Content-Security-Policy of the pages that need nothing but their own origin (the landing page,
 * the studio): no inline script or style, no other origin to load from or connect to.
 */
export const SAME_ORIGIN_PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');

/** A page asset shipped as a string, served under a content-hashed name (`stem-<sha256 prefix>.ext`). */
export interface HashedAsset {
  readonly name: string;
  readonly type: string;
  readonly body: string;
}

export function hashedAsset(stem: string, extension: string, type: string, body: string): HashedAsset {
  const hash = crypto.createHash('sha256').update(body).digest('hex').slice(0, 12);
  return { name: `${stem}-${hash}.${extension}`, type, body };
}
