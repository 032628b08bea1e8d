import { execFileSync } from 'node:child_process';
import path from 'node:path';
import stackSetup from '../support/global-setup';

/**
 * Jest global setup of the `browser` project: installs Debian's chromium when missing (apt, as
 * root), so `npm test` works on a fresh machine (instant when it is there), then brings the
 * local stack up like the integration project does.
 */
export default async function globalSetup(): Promise<void> {
  const script = path.resolve(__dirname, '..', '..', 'infra', 'browser', 'ensure-chromium.sh');
  execFileSync('bash', [script], { stdio: 'inherit' });
  await stackSetup();
}
