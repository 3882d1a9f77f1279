// The versions a push's far target keeps (its `.tandem/versions`), listed and restored from the
// app over the same ssh as the pair's cycles (protocol 2). The far side answers both: `versions`
// reads its version store; `restore` opens the pair there with the same key as a sync from this
// machine (so it holds that pair's lock and recovers its journal first) and puts the version
// back with the same restore as a local target.
import os from 'node:os';
import type { RemoteLocation } from '../../shared/remoteAddress.js';
import {
  listVersions,
  restoreVersion,
  type RestoreResult,
  type VersionListing,
} from '../core/target/versionRestore.js';
import { openPair, pairKey, RefusalError, tandemHome } from '../pair/pair.js';
import { PROTOCOL_SOURCE } from './channel.js';
import { RemoteConnection, RemoteError, type ConnectOptions } from './connection.js';
import { resolveTarget } from './targetHalf.js';

/** How a push names its source to the far side (remoteSession.ts): the far pair's key is of it. */
export function sourceLabelOf(source: string): string {
  return `${os.hostname()}:${source}`;
}

// ---- the far side (server.ts)

export function farListVersions(m: Record<string, unknown>): VersionListing[] {
  const where = resolveTarget(String(m.path));
  return where.exists ? listVersions(where.target, String(m.rel)) : [];
}

export async function farRestore(
  m: Record<string, unknown>,
): Promise<{ result: RestoreResult; kept: VersionListing | null }> {
  const where = resolveTarget(String(m.path));
  if (!where.exists) throw new RefusalError(`${where.given} does not exist on ${os.hostname()}`);
  const label = String(m.sourceLabel);
  const pair = await openPair(
    {
      source: label,
      target: where.target,
      targetGiven: where.given,
      targetExists: true,
      key: pairKey(label, where.target),
    },
    { createTarget: false, home: tandemHome() },
  );
  try {
    const rel = String(m.rel);
    const run = String(m.run);
    const stored = String(m.stored);
    const kept =
      listVersions(pair.targetFs, rel).find((v) => v.run === run && v.stored === stored) ?? null;
    const result = await restoreVersion({
      targetRoot: pair.target,
      targetFs: pair.targetFs,
      rel,
      run,
      stored,
      scheme: String(m.scheme),
    });
    return { result, kept };
  } finally {
    pair.close();
  }
}

// ---- this side (the service)

async function withFar<T>(
  where: RemoteLocation,
  opts: ConnectOptions,
  fn: (conn: RemoteConnection) => Promise<T>,
): Promise<T> {
  const conn = await RemoteConnection.open(where, { ...opts, batch: true });
  try {
    if (conn.protocol < PROTOCOL_SOURCE)
      throw new RefusalError(
        `${where.host} runs Tandem ${conn.peerVersion}, whose versions this app cannot list; update Tandem on ${where.host}, or look in the target's .tandem/versions there`,
      );
    return await fn(conn);
  } catch (e) {
    if (e instanceof RemoteError && (e.code === 'refused' || e.code === 'busy'))
      throw new RefusalError(`${where.host}: ${e.message}`);
    throw e;
  } finally {
    await conn.close();
  }
}

/** The versions the far target at `where` keeps of `rel`, newest first. */
export function remoteVersions(
  where: RemoteLocation,
  rel: string,
  opts: ConnectOptions,
): Promise<VersionListing[]> {
  return withFar(where, opts, async (conn) => {
    const reply = await conn.request({ t: 'versions', path: where.path, rel });
    return reply.message.versions as VersionListing[];
  });
}

/** Restores a version on the far target of the pair whose source is `source` here. */
export function remoteRestore(
  where: RemoteLocation,
  source: string,
  v: { rel: string; run: string; stored: string; scheme: string },
  opts: ConnectOptions,
): Promise<{ result: RestoreResult; kept: VersionListing | null }> {
  return withFar(where, opts, async (conn) => {
    const reply = await conn.request({
      t: 'restore',
      path: where.path,
      sourceLabel: sourceLabelOf(source),
      ...v,
    });
    return {
      result: reply.message.result as RestoreResult,
      kept: (reply.message.kept as VersionListing | null) ?? null,
    };
  });
}
