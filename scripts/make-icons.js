#!/usr/bin/env node
// Renders Tandem's icons to PNG: assets/icon.png (512 px) from assets/icon.svg, and the tray
// icons, one per state for light panels, dark panels and macOS template images, at 16 and 32 px.
// The PNGs are committed; run this (`node scripts/make-icons.js`) only after changing a design.
// It draws with the installed Chromium through Playwright, so the output is the browser's SVG
// rendering, the same on every run of the same Chromium.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from '@playwright/test';

const root = fileURLToPath(new URL('..', import.meta.url));
const assets = path.join(root, 'assets');

/** Panel variants: glyph colour, and badge colours that stand out on that panel. */
const VARIANTS = {
  light: {
    glyph: '#24292f',
    badge: {
      inSync: '#1a7f37',
      pending: '#bf8700',
      syncing: '#0969da',
      paused: '#6e7781',
      error: '#cf222e',
    },
  },
  dark: {
    glyph: '#f0f3f6',
    badge: {
      inSync: '#3fb950',
      pending: '#e3b341',
      syncing: '#4493f8',
      paused: '#9198a1',
      error: '#f85149',
    },
  },
  // macOS draws template images in the menu bar's colour from their alpha alone.
  Template: {
    glyph: '#000000',
    badge: { inSync: '#000', pending: '#000', syncing: '#000', paused: '#000', error: '#000' },
  },
};

// The 16-unit tray glyph is the app icon's two squares: the back one an outline in the panel's
// colour, the front one the status badge, in the state's colour with its mark cut out in white.
const BACK = { x: 1.05, y: 1.05, size: 8.4, rx: 2.1, stroke: 1.5 };
const FRONT = { x: 5.7, y: 5.7, size: 9.8, rx: 2.4, gap: 1.05 };
const C = FRONT.x + FRONT.size / 2;

/** An arc of the "syncing" mark with its arrowhead, clockwise from one angle to another. */
function arrowArc(fromDeg, toDeg, r) {
  const rad = (d) => (d * Math.PI) / 180;
  const at = (d) => [r * Math.cos(rad(d)), r * Math.sin(rad(d))];
  const [x0, y0] = at(fromDeg);
  const [x1, y1] = at(toDeg);
  const t = [-Math.sin(rad(toDeg)), Math.cos(rad(toDeg))]; // direction of travel at the end
  const n = [Math.cos(rad(toDeg)), Math.sin(rad(toDeg))]; // outward
  const f = (v) => v.toFixed(3);
  const head = [
    [x1 + n[0] * 1.25, y1 + n[1] * 1.25],
    [x1 - n[0] * 1.25, y1 - n[1] * 1.25],
    [x1 + t[0] * 1.45, y1 + t[1] * 1.45],
  ];
  return (
    `<path d="M${f(x0)} ${f(y0)}A${r} ${r} 0 0 1 ${f(x1)} ${f(y1)}" fill="none" stroke="MARK" stroke-width="1.3" stroke-linecap="round"/>` +
    `<path d="M${head.map(([x, y]) => `${f(x)} ${f(y)}`).join('L')}z" fill="MARK" stroke="MARK" stroke-width=".35" stroke-linejoin="round"/>`
  );
}

/** Each state's mark, centred on (0, 0) inside the front square. */
const MARKS = {
  inSync: `<path d="M-2.45 .15l1.6 1.65 3.3-3.45" fill="none" stroke="MARK" stroke-width="1.55" stroke-linecap="round" stroke-linejoin="round"/>`,
  pending: `<circle r="1.75" fill="MARK"/>`,
  syncing: arrowArc(165, 285, 2.55) + arrowArc(345, 465, 2.55),
  paused: `<rect x="-2.2" y="-2.45" width="1.55" height="4.9" rx=".45" fill="MARK"/><rect x=".65" y="-2.45" width="1.55" height="4.9" rx=".45" fill="MARK"/>`,
  error: `<rect x="-.78" y="-3.1" width="1.56" height="3.75" rx=".6" fill="MARK"/><circle cy="2.3" r=".92" fill="MARK"/>`,
};

function traySvg(state, variant) {
  const v = VARIANTS[variant];
  const template = variant === 'Template';
  const mark = (colour) =>
    `<g transform="translate(${C} ${C})">${MARKS[state].replaceAll('MARK', colour)}</g>`;
  const front = `x="${FRONT.x}" y="${FRONT.y}" width="${FRONT.size}" height="${FRONT.size}" rx="${FRONT.rx}"`;
  const g = FRONT.gap;
  // A template has no colour: its mark is cut out of the front square instead of drawn in white.
  const badge = template
    ? `<mask id="cut"><rect width="16" height="16" fill="#fff"/>${mark('#000')}</mask>
  <rect ${front} fill="#000" mask="url(#cut)"/>`
    : `<rect ${front} fill="${v.badge[state]}"/>${mark('#fff')}`;
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16" width="SIZE" height="SIZE">
  <defs>
    <mask id="gap">
      <rect width="16" height="16" fill="#fff"/>
      <rect x="${FRONT.x - g}" y="${FRONT.y - g}" width="${FRONT.size + 2 * g}" height="${FRONT.size + 2 * g}" rx="${FRONT.rx + g}" fill="#000"/>
    </mask>
  </defs>
  <rect x="${BACK.x}" y="${BACK.y}" width="${BACK.size}" height="${BACK.size}" rx="${BACK.rx}" fill="none" stroke="${v.glyph}" stroke-width="${BACK.stroke}" mask="url(#gap)"/>
  ${badge}
</svg>`;
}

async function render(page, svg, size, file) {
  await page.setViewportSize({ width: size, height: size });
  await page.setContent(
    `<!doctype html><html><body style="margin:0;background:transparent">${svg.replaceAll('SIZE', String(size))}</body></html>`,
  );
  await page.locator('svg').screenshot({ path: file, omitBackground: true });
}

const browser = await chromium.launch({
  executablePath: process.env.CHROME_PATH ?? '/usr/bin/chromium',
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});
try {
  const page = await browser.newPage({ deviceScaleFactor: 1 });
  const appSvg = fs
    .readFileSync(path.join(assets, 'icon.svg'), 'utf8')
    .replace(/width="512" height="512"/, 'width="SIZE" height="SIZE"');
  await render(page, appSvg, 512, path.join(assets, 'icon.png'));
  fs.mkdirSync(path.join(assets, 'tray'), { recursive: true });
  for (const state of Object.keys(MARKS))
    for (const variant of Object.keys(VARIANTS))
      for (const [size, suffix] of [
        [16, ''],
        [32, '@2x'],
      ])
        await render(
          page,
          traySvg(state, variant),
          size,
          path.join(assets, 'tray', `tray-${state}-${variant}${suffix}.png`),
        );
  console.log('icons written to assets/');
} finally {
  await browser.close();
}
