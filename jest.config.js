/**
 * Two projects: `unit` needs no services and runs in seconds; `integration` talks to the real
 * local stack (or the servers named by MONGODB_URI / KAFKA_BROKERS / KAFKA_CONNECT_URL), which its
 * global setup brings up once per run.
 */
const transform = { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] };
// `roots` keeps jest's file crawler out of .stack/ (PostgreSQL writes *.snap files there, which
// jest would otherwise report as obsolete snapshots).
// The environment keeps the logs of canonql components a test starts and shows them only with a
// failing test (test/support/log-capturing-environment.ts); TEST_LOG_LEVEL=debug prints them live.
const common = {
  testEnvironment: '<rootDir>/test/support/log-capturing-environment.ts',
  transform,
  moduleFileExtensions: ['ts', 'js', 'json'],
  roots: ['<rootDir>/test'],
};

module.exports = {
  // On a 2-core machine jest runs every suite in band, inside its own process (one worker means no
  // worker processes), so one handle a client library leaves behind (a retry timer, a keep-alive
  // socket) would keep the run alive after the report and teardown: the run ends there instead.
  forceExit: true,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
      // Real servers: allow for consumer-group joins and connector start-up.
      setupFilesAfterEnv: ['<rootDir>/test/support/integration-timeout.ts'],
    },
    {
      ...common,
      displayName: 'browser',
      testMatch: ['<rootDir>/test/browser/**/*.test.ts'],
      globalSetup: '<rootDir>/test/browser/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
      setupFilesAfterEnv: ['<rootDir>/test/support/integration-timeout.ts'],
    },
  ],
};
