// Where the shell's files are, relative to this compiled module (dist/electron/main/): the same
// layout in a checkout and inside a packaged app's asar archive.
import { fileURLToPath } from 'node:url';

const at = (rel: string) => fileURLToPath(new URL(rel, import.meta.url));

/** the built UI (Vite's output), served as app://tandem/ */
export const RENDERER_ROOT = at('../../renderer/');
/** the preload bundle made by scripts/build.js (sandboxed preloads must be one CommonJS file) */
export const PRELOAD_PATH = at('../preload/preload.cjs');
/** tray icons, one per state and panel colour */
export const TRAY_ICON_DIR = at('../../../assets/tray/');
/** the window icon on Linux and Windows (macOS takes the bundle's icon) */
export const APP_ICON_PATH = at('../../../assets/icon.png');
