/**
 * Imported first by the benchmarks that run canonql's GraphQL endpoint in their own process
 * (bench:metrics, bench:values): NODE_ENV=production, as the deployed image sets it (Dockerfile)
 * and as the benchmarks that start canonql in a child process pass it. graphql-js reads it once,
 * when it loads, and without it checks every type test against duplicate copies of itself
 * (about 1.5 ms of a 1,000-row `metric(...)` answer); Apollo Server and express read it as well.
 * An explicit NODE_ENV (e.g. `NODE_ENV=development`, to measure that difference) is kept.
 */
process.env.NODE_ENV ??= 'production';
