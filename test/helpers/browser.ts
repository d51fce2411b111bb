/**
 * Debian's Chromium driven by playwright-core, for the dashboard's browser tests. No browser
 * is downloaded: a missing Chromium fails the test with how to install it (the test command
 * installs it first when it runs as root: scripts/setup-chromium.sh).
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** The Chromium binary: GYMHOST_CHROMIUM, else Debian's /usr/bin/chromium. */
export const CHROMIUM = process.env.GYMHOST_CHROMIUM || '/usr/bin/chromium';

/** Starts headless Chromium with no network beyond what the page asks for (loopback here). */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `the dashboard's browser tests need Chromium at ${CHROMIUM}: run 'bash scripts/setup-chromium.sh' as root ` +
        `(it runs 'apt-get install chromium'), or set GYMHOST_CHROMIUM to a Chromium binary`,
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
