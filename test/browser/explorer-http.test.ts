import fs from 'node:fs';
import express from 'express';
import request from 'supertest';
import { explorerRoutes } from '../../src/http/explorer-routes';
import type { ExplorerTarget } from './support/explorer-suite';
import { startTinyGraphqlServer, TINY_DEFAULT_QUERY } from './support/tiny-graphql-server';

// HTTP-level checks of the explorer router (no browser needed): content negotiation in front of
// Apollo Server, assets from node_modules, nothing from another origin, safe embedding of options.
describe('explorer routes over HTTP', () => {
  let target: ExplorerTarget;
  beforeAll(async () => {
    target = await startTinyGraphqlServer();
  });
  afterAll(async () => {
    await target.stop();
  });

  const browserAccept = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8';

  it('answers a browser GET of the GraphQL URL with the GraphiQL page, naming no other origin', async () => {
    const res = await request(target.baseUrl).get('/graphql').set('Accept', browserAccept).expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    expect(res.text).not.toMatch(/https?:\/\//i);
    expect(res.text).not.toMatch(/(?:src|href)\s*=\s*["']?\/\//i);
    const config = JSON.parse(/<script id="canonql-explorer-config" type="application\/json">([^<]*)<\/script>/.exec(res.text)![1]!) as Record<string, unknown>;
    expect(config).toEqual({ endpointPath: '/graphql', defaultQuery: TINY_DEFAULT_QUERY });
  });

  it('leaves every non-HTML request to the GraphQL server', async () => {
    // JSON GET (Apollo's CSRF prevention wants a preflight header on GET).
    const get = await request(target.baseUrl)
      .get('/graphql')
      .query({ query: '{ hello }' })
      .set('Accept', 'application/json')
      .set('apollo-require-preflight', 'true')
      .expect(200);
    expect(get.body).toEqual({ data: { hello: 'Hello from canonql' } });
    // No Accept header at all, and a client preferring JSON over HTML: not the page.
    const bare = await request(target.baseUrl).get('/graphql').query({ query: '{ hello }' }).set('apollo-require-preflight', 'true');
    expect(bare.headers['content-type']).not.toMatch(/html/);
    const jsonFirst = await request(target.baseUrl)
      .get('/graphql')
      .set('Accept', 'application/json, text/html;q=0.5')
      .query({ query: '{ hello }' })
      .set('apollo-require-preflight', 'true');
    expect(jsonFirst.body).toEqual({ data: { hello: 'Hello from canonql' } });
    // The explorer's own kind of request: a JSON POST.
    const post = await request(target.baseUrl).post('/graphql').set('Accept', browserAccept).send({ query: '{ hello }' }).expect(200);
    expect(post.body).toEqual({ data: { hello: 'Hello from canonql' } });
  });

  it('serves every asset the page names from the installed npm packages, cacheable under versioned URLs', async () => {
    const page = await request(target.baseUrl).get('/graphql').set('Accept', 'text/html').expect(200);
    const urls = [...page.text.matchAll(/(?:src|href)="(\/[^"]+)"/g)].map((m) => m[1]!);
    expect(urls).toEqual([
      expect.stringMatching(/^\/graphql\/explorer-assets\/graphiql@3\.\d+\.\d+\/graphiql\.min\.css$/),
      expect.stringMatching(/^\/graphql\/explorer-assets\/react@18\.\d+\.\d+\/react\.production\.min\.js$/),
      expect.stringMatching(/^\/graphql\/explorer-assets\/react-dom@18\.\d+\.\d+\/react-dom\.production\.min\.js$/),
      expect.stringMatching(/^\/graphql\/explorer-assets\/graphql-ws@6\.\d+\.\d+\/graphql-ws\.min\.js$/),
      expect.stringMatching(/^\/graphql\/explorer-assets\/graphiql@3\.\d+\.\d+\/graphiql\.min\.js$/),
      expect.stringMatching(/^\/graphql\/explorer-assets\/explorer-[0-9a-f]{12}\.js$/),
    ]);
    const onDisk: Record<string, string> = {
      'graphiql.min.css': require.resolve('graphiql/package.json').replace(/package\.json$/, 'graphiql.min.css'),
      'react.production.min.js': require.resolve('react/package.json').replace(/package\.json$/, 'umd/react.production.min.js'),
      'react-dom.production.min.js': require.resolve('react-dom/package.json').replace(/package\.json$/, 'umd/react-dom.production.min.js'),
      'graphql-ws.min.js': require.resolve('graphql-ws/package.json').replace(/package\.json$/, 'umd/graphql-ws.min.js'),
      'graphiql.min.js': require.resolve('graphiql/package.json').replace(/package\.json$/, 'graphiql.min.js'),
    };
    for (const url of urls) {
      const res = await request(target.baseUrl)
        .get(url)
        .buffer(true)
        .parse((r, done) => {
          const chunks: Buffer[] = [];
          r.on('data', (c: Buffer) => chunks.push(c));
          r.on('end', () => done(null, Buffer.concat(chunks)));
        })
        .expect(200);
      expect(res.headers['content-type']).toMatch(url.endsWith('.css') ? /^text\/css/ : /^(text|application)\/javascript/);
      expect(res.headers['cache-control']).toMatch(/immutable/);
      const file = onDisk[url.split('/').pop()!];
      if (file) expect((res.body as Buffer).equals(fs.readFileSync(file))).toBe(true);
      else expect((res.body as Buffer).toString('utf8')).not.toMatch(/https?:\/\//);
    }
  });

  it('answers 404 for anything else below the assets path, including path tricks', async () => {
    await request(target.baseUrl).get('/graphql/explorer-assets/graphiql@3.9.0/package.json').expect(404);
    await request(target.baseUrl).get('/graphql/explorer-assets/..%2f..%2fpackage.json').expect(404);
    await request(target.baseUrl).get('/graphql/explorer-assets/graphiql@3.9.0/..%2fpackage.json').expect(404);
    await request(target.baseUrl).get('/graphql/explorer-assets/').expect(404);
  });

  it('embeds the title and demo query safely, whatever they contain', async () => {
    const hostile = '</script><script>alert(1)</script><!-- & \u2028';
    const app = express().use(explorerRoutes({ endpointPath: '/api/graphql/', defaultQuery: `# ${hostile}\n{ hello }`, title: hostile }));
    const res = await request(app).get('/api/graphql').set('Accept', 'text/html').expect(200);
    expect(res.text).not.toContain('<script>alert(1)');
    expect(res.text.match(/<\/script>/g)).toHaveLength(6); // the config block and the five scripts
    const config = JSON.parse(/<script id="canonql-explorer-config" type="application\/json">([^<]*)<\/script>/.exec(res.text)![1]!) as Record<string, unknown>;
    expect(config).toEqual({ endpointPath: '/api/graphql', defaultQuery: `# ${hostile}\n{ hello }` });
    expect(res.text).toContain('/api/graphql/explorer-assets/');
  });

  it('refuses an endpoint path that is not a plain absolute path', () => {
    expect(() => explorerRoutes({ endpointPath: 'graphql', defaultQuery: '{ hello }' })).toThrow(/must start with/);
    expect(() => explorerRoutes({ endpointPath: '/graph/:ql', defaultQuery: '{ hello }' })).toThrow(/plain path/);
  });
});
