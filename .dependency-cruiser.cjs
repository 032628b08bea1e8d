/**
 * Dependency rules for canonql (npm run lint:deps; part of npm test). The layers are described in
 * docs/architecture.md ("Layers"): a module may import its own folder and the folders of lower
 * layers, never a higher one nor a peer of its own layer. The composition root (app.ts, main.ts)
 * wires everything and is imported by nobody in src/.
 */

// Bottom to top. A name is a folder under src/ or a file directly in src/ (without `.ts`).
const LAYERS = [
  ['errors', 'logger', 'local-stack'],
  ['values'],
  ['infra', 'mapping', 'observability', 'demo'],
  ['state'],
  ['events'],
  ['ingestion', 'subscriptions'],
  ['catalog'],
  ['metrics', 'discovery'],
  ['admin'],
  ['graphql'],
  ['http', 'browser'],
  // config.ts reads the environment into the settings of every part, in the shapes the parts declare.
  ['config'],
  ['app'],
  ['main'],
];

const pattern = (name) => `^src/${name}(?:/|\\.ts$)`;
const any = (names) => (names.length === 0 ? '^$' : `(?:${names.map(pattern).join('|')})`);

const layerRules = LAYERS.flatMap((layer, rank) =>
  layer.map((name) => {
    const allowed = [name, ...LAYERS.slice(0, rank).flat()];
    const everything = LAYERS.flat();
    return {
      name: `layer-${name}`,
      comment: `src/${name} may import only: ${allowed.join(', ')} (docs/architecture.md, "Layers")`,
      severity: 'error',
      from: { path: pattern(name) },
      to: { path: any(everything.filter((other) => !allowed.includes(other))) },
    };
  }),
);

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'No import cycles, type-only imports included: a lower module receives what it needs from app.ts instead.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'src-not-to-tooling',
      comment: 'src/ is the product: it never imports the stack scripts, benchmarks, scripts or tests.',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(infra|bench|test|scripts)/' },
    },
    {
      name: 'src-unlayered',
      comment: 'Every folder and top-level file under src/ has a layer in .dependency-cruiser.cjs (and docs/architecture.md).',
      severity: 'error',
      from: { path: '^src/', pathNot: any(LAYERS.flat()) },
      to: {},
    },
    {
      name: 'browser-pure',
      comment: 'src/browser is bundled for the page: it imports only itself and the pure modules it shares with the server (the subject-name rule with its inflection library).',
      severity: 'error',
      from: { path: '^src/browser/' },
      to: { pathNot: '^src/(browser|mapping|values)/|^src/errors\\.ts$|^src/catalog/subject-name\\.ts$|^node_modules/(graphql-ws|pluralize)/' },
    },
    {
      name: 'no-unresolvable',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
    ...layerRules,
  ],
  options: {
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^node_modules/' },
    // Packages that publish subpaths through `exports` (graphql-ws/use/ws) resolve as Node does.
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['require', 'node', 'types', 'default'], mainFields: ['main', 'types'] },
  },
};
