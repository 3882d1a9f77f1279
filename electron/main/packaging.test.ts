// electron-builder cannot run here (it downloads Electron), so its configuration is checked
// instead: ids and targets set, every file it references present, and the built app inside
// the files it packs (the build runs first under `npm test`).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';
import { minimatch } from 'minimatch';
import { describe, expect, it } from 'vitest';
import { TRAY_STATES, trayIconFile } from './trayStatus.js';
import { ADDON_PATH } from '../engine/core/scan/nativeLister.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const at = (p: string) => path.join(root, p);

interface BuilderConfig {
  appId?: string;
  productName?: string;
  directories?: { output?: string; buildResources?: string };
  files?: string[];
  asar?: boolean;
  npmRebuild?: boolean;
  extraResources?: { from: string; to: string }[];
  linux?: { target?: string[]; icon?: string; executableName?: string; category?: string };
  deb?: { afterInstall?: string; afterRemove?: string };
  win?: { target?: string[]; icon?: string };
  mac?: { target?: string[]; icon?: string; category?: string };
}

const config = yaml.load(fs.readFileSync(at('electron-builder.yml'), 'utf8')) as BuilderConfig;
const pkg = JSON.parse(fs.readFileSync(at('package.json'), 'utf8')) as {
  name: string;
  productName?: string;
  main: string;
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

/** Whether electron-builder's `files` list would pack this path (later `!` patterns exclude). */
function packed(rel: string): boolean {
  let inside = false;
  for (const pattern of config.files ?? []) {
    if (pattern.startsWith('!')) {
      if (minimatch(rel, pattern.slice(1), { dot: true })) inside = false;
    } else if (minimatch(rel, pattern, { dot: true })) inside = true;
  }
  return inside;
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(at(d), { withFileTypes: true })) {
      const rel = `${d}/${e.name}`;
      if (e.isDirectory()) walk(rel);
      else out.push(rel);
    }
  };
  walk(dir);
  return out;
}

describe('electron-builder configuration', () => {
  it('names the app, with the id main.ts gives Windows for notifications', () => {
    expect(config.appId).toMatch(/^[a-z]+(\.[a-z]+)+$/);
    const main = fs.readFileSync(at('electron/main/main.ts'), 'utf8');
    expect(main).toContain(`'${config.appId}'`);
    expect(config.productName).toBe('Tandem');
    expect(pkg.productName).toBe(config.productName);
  });

  it('builds AppImage and deb for Linux, NSIS for Windows and a dmg for macOS', () => {
    expect(config.linux?.target).toEqual(expect.arrayContaining(['AppImage', 'deb']));
    expect(config.win?.target).toEqual(['nsis']);
    expect(config.mac?.target).toEqual(['dmg']);
    for (const s of ['dist', 'dist:linux', 'dist:win', 'dist:mac']) {
      expect(pkg.scripts[s]).toMatch(
        /^npm run build && electron-builder --config electron-builder\.yml/,
      );
    }
    expect(pkg.devDependencies['electron-builder']).toBeDefined();
  });

  it('has every icon the platforms want, from the one source image', () => {
    expect(fs.existsSync(at('assets/icon.svg'))).toBe(true);
    const ico = fs.readFileSync(at(config.win!.icon!));
    expect(ico.readUInt16LE(2)).toBe(1); // an icon resource
    expect(ico.readUInt16LE(4)).toBeGreaterThanOrEqual(6); // 16 … 256 px
    const icns = fs.readFileSync(at(config.mac!.icon!));
    expect(icns.subarray(0, 4).toString('ascii')).toBe('icns');
    expect(icns.readUInt32BE(4)).toBe(icns.length);
    for (const size of [16, 32, 48, 64, 128, 256, 512]) {
      const png = fs.readFileSync(at(`${config.linux!.icon}/${size}x${size}.png`));
      expect(png.readUInt32BE(16)).toBe(size); // IHDR width
      expect(png.readUInt32BE(20)).toBe(size);
    }
  });

  it('packs the built app: main process, preload, workers, UI, CLI and tray icons', () => {
    const must = [
      'package.json',
      pkg.main,
      'bin/tandem.js',
      'dist/electron/preload/preload.cjs',
      'dist/electron/engine/service/serviceWorker.js',
      'dist/electron/engine/core/hash/hashWorker.js',
      'dist/electron/engine/core/scan/walkWorker.js',
      'dist/electron/cli/main.js',
      'dist/renderer/index.html',
      'assets/icon.png',
    ];
    for (const f of must) {
      expect(fs.existsSync(at(f)), `${f} is built`).toBe(true);
      expect(packed(f), `${f} is packed`).toBe(true);
    }
    // Optional (the engine lists without it), but packed wherever it was built.
    expect(packed(ADDON_PATH), `${ADDON_PATH} is packed`).toBe(true);
    for (const f of filesUnder('dist/renderer'))
      if (!f.endsWith('.map')) expect(packed(f), f).toBe(true);
    for (const state of TRAY_STATES)
      for (const [platform, dark] of [
        ['linux', false],
        ['linux', true],
        ['darwin', false],
      ] as const) {
        const f = `assets/tray/${trayIconFile(state, platform, dark)}`;
        expect(fs.existsSync(at(f)), f).toBe(true);
        expect(packed(f), f).toBe(true);
        const hidpi = f.replace(/\.png$/, '@2x.png');
        expect(fs.existsSync(at(hidpi)), hidpi).toBe(true);
        expect(packed(hidpi), hidpi).toBe(true);
      }
    // Tests, source maps and sources stay out.
    for (const f of [
      'dist/electron/main/main.js.map',
      'electron/main/main.ts',
      'node_modules/.bin/tsc',
    ])
      expect(packed(f), f).toBe(false);
  });

  it('rebuilds better-sqlite3 for Electron and ships it as a dependency', () => {
    expect(config.npmRebuild).not.toBe(false);
    expect(pkg.dependencies['better-sqlite3']).toBeDefined();
    expect(pkg.dependencies.electron).toBeUndefined(); // electron-builder refuses it there
  });

  it('puts the CLI on PATH: launchers exist, are executable, and the deb links them', () => {
    const cli = config.extraResources?.find((r) => r.to === 'bin');
    expect(cli).toBeDefined();
    const sh = at(`${cli!.from}/tandem`);
    expect(fs.statSync(sh).mode & 0o111).not.toBe(0);
    expect(fs.readFileSync(sh, 'utf8')).toContain('ELECTRON_RUN_AS_NODE=1');
    expect(fs.readFileSync(sh, 'utf8')).toContain(`/../${config.linux!.executableName}`);
    expect(fs.readFileSync(at(`${cli!.from}/tandem.cmd`), 'utf8')).toContain(
      `${config.productName}.exe`,
    );
    for (const script of [config.deb!.afterInstall!, config.deb!.afterRemove!]) {
      expect(fs.statSync(at(script)).mode & 0o111).not.toBe(0);
    }
    const after = fs.readFileSync(at(config.deb!.afterInstall!), 'utf8');
    expect(after).toContain(`/opt/${config.productName}/resources/bin/tandem' '/usr/bin/tandem'`);
    expect(after).toContain(`/opt/${config.productName}/${config.linux!.executableName}'`);
    expect(after).toContain('chrome-sandbox');
  });

  it('keeps release output out of git', () => {
    const ignored = fs.readFileSync(at('.gitignore'), 'utf8').split('\n');
    expect(ignored).toContain(`${config.directories?.output}/`);
  });
});
