// How the tests and the portal benchmark start Debian's chromium
// (TESTING.md): headless, no sandbox (root in a VM), nothing in the
// background that would reach for a network this machine does not have.
import type { LaunchOptions } from 'playwright-core';

export const chromiumLaunch: LaunchOptions = {
  executablePath: '/usr/bin/chromium',
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
  ],
};
