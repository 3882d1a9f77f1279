// The app's folder browser on another machine: one `browse` request over the user's ssh (the
// same `tandem server` a remote pair uses), its listing given back as addresses (host:/path), so
// what the person picks is what the pair's field takes.
import type { FolderListing } from '../../shared/syncApi.js';
import { formatLocation, type RemoteLocation } from '../../shared/remoteAddress.js';
import { RefusalError } from '../pair/pair.js';
import { PROTOCOL_SOURCE } from './channel.js';
import { RemoteConnection, RemoteError, type ConnectOptions } from './connection.js';

export async function browseRemote(
  where: RemoteLocation,
  opts: ConnectOptions,
): Promise<FolderListing> {
  // No terminal can answer a prompt from the app: ssh fails instead of waiting.
  const conn = await RemoteConnection.open(where, { ...opts, batch: true });
  try {
    if (conn.protocol < PROTOCOL_SOURCE)
      throw new RefusalError(
        `${where.host} runs Tandem ${conn.peerVersion}, whose folders this app cannot browse; type the path, or update Tandem on ${where.host}`,
      );
    let reply;
    try {
      reply = await conn.request({ t: 'browse', path: where.path });
    } catch (e) {
      if (e instanceof RemoteError && e.code) throw new RefusalError(`${where.host}: ${e.message}`);
      throw e;
    }
    const l = reply.message.listing as FolderListing;
    const at = (p: string): string => formatLocation({ ...where, path: p });
    return {
      path: at(l.path),
      parent: l.parent === null ? null : at(l.parent),
      folders: l.folders,
      home: at(l.home),
    };
  } finally {
    await conn.close();
  }
}
