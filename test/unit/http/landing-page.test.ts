import { ago, renderLandingPage, type LandingSnapshot } from '../../../src/http/landing/page';
import type { SiteLinks } from '../../../src/http/html';

const links: SiteLinks = { home: '/', explorer: '/graphql', studio: '/studio', metrics: '/metrics', health: '/healthz', readiness: '/readyz' };
const takenAt = new Date('2026-12-02T12:00:00.000Z');
const snapshot: LandingSnapshot = {
  roles: ['ingest', 'api'],
  subjects: [
    {
      subject: 'order',
      liveEntities: 3,
      deletedEntities: 1,
      events: 9,
      openDeadLetters: 2,
      lastIngestedAt: '2026-12-02T11:59:48.000Z',
      lastSourceTime: null,
      lag: 5,
    },
    { subject: '<x>', liveEntities: 0, deletedEntities: 0, events: 0, openDeadLetters: 0, lastIngestedAt: null, lastSourceTime: null, lag: null },
    { subject: 'gone', error: 'no longer served' },
  ],
  specs: [{ id: 'order-v1', version: 2, subject: 'order', topics: ['raw.orders'] }],
  metrics: [],
  takenAt,
};

describe('the landing page', () => {
  const html = renderLandingPage({ links, stylesheets: ['/landing-assets/landing-0123456789ab.css'], snapshot });

  it('says how long ago a subject last changed, in words', () => {
    expect(ago(new Date('2026-12-02T11:59:48.000Z'), takenAt)).toBe('12 seconds ago');
    expect(ago(new Date('2026-12-02T09:00:00.000Z'), takenAt)).toBe('3 hours ago');
    expect(ago(takenAt, takenAt)).toBe('now');
    expect(html).toContain('<time datetime="2026-12-02T11:59:48.000Z">2026-12-02 11:59:48 UTC</time> <span class="muted">(12 seconds ago)</span>');
  });

  it('adds up the known lag and says when some is unknown', () => {
    expect(html).toContain('<strong id="total-lag">5 (some unknown)</strong>');
  });

  it('escapes every name it shows', () => {
    expect(html).toContain('<code>&#60;x&#62;</code>');
    expect(html).not.toContain('<x>');
  });

  it('names the spec feeding a subject, and says when none does', () => {
    expect(html).toMatch(/data-subject="order">.*<td data-field="specs">order-v1 v2<\/td>/);
    expect(html).toMatch(/data-subject="&#60;x&#62;">.*no active spec/);
  });

  it('shows a subject whose status could not be read, without hiding the others', () => {
    expect(html).toMatch(/data-subject="gone">.*no longer served/);
  });

  it('has no inline script or style, and references only its own origin', () => {
    expect(html).not.toMatch(/<script|<style|style=/);
    expect(html).not.toMatch(/https?:\/\//);
  });

  it('shows no data when reads need a credential, and keeps its links', () => {
    const restricted = renderLandingPage({ links, stylesheets: [], snapshot: { unavailable: 'restricted' } });
    expect(restricted).toContain('id="restricted"');
    expect(restricted).not.toContain('id="subjects"');
    expect(restricted).toContain('href="/graphql"');
  });

  it('says the status could not be read, without the reason, when the store did not answer', () => {
    const failed = renderLandingPage({ links, stylesheets: [], snapshot: { unavailable: 'error' } });
    expect(failed).toContain('role="alert"');
    expect(failed).toContain('href="/readyz"');
  });
});
