// How Tandem's tests, benchmarks and icon renderer launch Chromium: Debian's build (Playwright
// cannot download its own here), and without the background connections a closed network
// refuses many at a time.
export const CHROMIUM = process.env.TANDEM_CHROMIUM ?? '/usr/bin/chromium';

export const CHROMIUM_LAUNCH = {
  executablePath: CHROMIUM,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
};
