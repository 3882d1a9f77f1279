// CommonJS packages are loaded with require, not import: Node's ESM loader scans a CommonJS
// file's whole source for its exports first (measured here: hash-wasm 53 ms by import, 10 ms by
// require; ignore 29 ms vs a few), which is most of a short CLI run's start-up.
import { createRequire } from 'node:module';

export const requireCjs = createRequire(import.meta.url);
