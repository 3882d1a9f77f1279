#!/usr/bin/env node
// Renders Tandem's icons from one source image, assets/icon.svg: assets/icon.png (512 px), every
// size the platforms ask for in assets/icons/ (Linux desktop entries take the PNGs, Windows the
// .ico, macOS the .icns, both built here from the same PNGs), and the tray icons, one per state
// for light panels, dark panels and macOS template images, at 16 and 32 px.
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

/** App icon sizes: freedesktop's hicolor set, Windows' .ico entries and macOS's iconset. */
const APP_SIZES = [16, 24, 32, 48, 64, 128, 256, 512, 1024];
const ICO_SIZES = [16, 24, 32, 48, 64, 128, 256];
/** ICNS element types and the PNG size each holds (the @2x types reuse the bigger PNGs). */
const ICNS_TYPES = [
  ['icp4', 16],
  ['icp5', 32],
  ['icp6', 64],
  ['ic07', 128],
  ['ic08', 256],
  ['ic09', 512],
  ['ic10', 1024],
  ['ic11', 32],
  ['ic12', 64],
  ['ic13', 256],
  ['ic14', 512],
];

/** A Windows .ico holding PNG images (allowed since Vista, and what electron-builder accepts). */
function icoFile(pngs) {
  const header = Buffer.alloc(6 + 16 * pngs.length);
  header.writeUInt16LE(0, 0);
  header.writeUInt16LE(1, 2);
  header.writeUInt16LE(pngs.length, 4);
  let offset = header.length;
  pngs.forEach(([size, png], i) => {
    const e = 6 + 16 * i;
    header.writeUInt8(size >= 256 ? 0 : size, e);
    header.writeUInt8(size >= 256 ? 0 : size, e + 1);
    header.writeUInt16LE(1, e + 4);
    header.writeUInt16LE(32, e + 6);
    header.writeUInt32LE(png.length, e + 8);
    header.writeUInt32LE(offset, e + 12);
    offset += png.length;
  });
  return Buffer.concat([header, ...pngs.map(([, png]) => png)]);
}

/** A macOS .icns: a big-endian container of typed PNG elements. */
function icnsFile(pngOf) {
  const parts = ICNS_TYPES.map(([type, size]) => {
    const png = pngOf(size);
    const head = Buffer.alloc(8);
    head.write(type, 0, 'ascii');
    head.writeUInt32BE(png.length + 8, 4);
    return Buffer.concat([head, png]);
  });
  const body = Buffer.concat(parts);
  const head = Buffer.alloc(8);
  head.write('icns', 0, 'ascii');
  head.writeUInt32BE(body.length + 8, 4);
  return Buffer.concat([head, body]);
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
  const icons = path.join(assets, 'icons');
  fs.mkdirSync(icons, { recursive: true });
  const pngOf = (size) => fs.readFileSync(path.join(icons, `${size}x${size}.png`));
  for (const size of APP_SIZES)
    await render(page, appSvg, size, path.join(icons, `${size}x${size}.png`));
  fs.writeFileSync(path.join(assets, 'icon.ico'), icoFile(ICO_SIZES.map((s) => [s, pngOf(s)])));
  fs.writeFileSync(path.join(assets, 'icon.icns'), icnsFile(pngOf));
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
