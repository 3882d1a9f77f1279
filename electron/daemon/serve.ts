// `tandem serve`: the sync service on its worker thread, the daemon in front of it, until a
// signal. Also what `npm start` falls back to where Electron cannot start.
import { startServiceThread } from '../engine/service/serviceThread.js';
import { tandemHome } from '../engine/pair/pair.js';
import {
  claimOwner,
  ownerSentence,
  releaseOwner,
  runningOwner,
} from '../engine/service/serviceOwner.js';
import { startDaemon, HOST } from './daemonServer.js';
import { loadOrCreateToken } from './daemonToken.js';
import type { LogLevel } from '../engine/service/logFile.js';

export const DEFAULT_PORT = 4747;

export interface ServeOptions {
  port?: number;
  newToken?: boolean;
  home?: string;
  /** called once with the link to open (print it, or open a browser) */
  onReady: (url: string) => void;
  /** resolves when the daemon should stop */
  stop: Promise<void>;
  /** lines for the user (stderr in the CLI) */
  log: (s: string) => void;
  /** what the service's log file records (default info) */
  logLevel?: LogLevel;
}

/** Another process runs this state folder's pairs; `url` is the daemon's link (null: the app). */
export class AlreadyServingError extends Error {
  constructor(
    message: string,
    readonly url: string | null,
  ) {
    super(message);
  }
}

export async function serve(o: ServeOptions): Promise<void> {
  const home = o.home ?? tandemHome();
  const running = runningOwner(home);
  if (running) {
    const url =
      running.port !== null
        ? `http://${HOST}:${running.port}/?token=${loadOrCreateToken(home)}`
        : null;
    throw new AlreadyServingError(ownerSentence(running, url), url);
  }
  const token = loadOrCreateToken(home, o.newToken === true);
  const service = await startServiceThread({
    home,
    ...(o.logLevel !== undefined ? { logLevel: o.logLevel } : {}),
  });
  let daemon;
  try {
    daemon = await startDaemon({ client: service.client, token, port: o.port ?? DEFAULT_PORT });
  } catch (e) {
    await service.stop();
    throw e;
  }
  claimOwner(home, 'daemon', daemon.port);
  service.client.onEvent((e) => {
    if (e.type === 'error') o.log(`tandem: ${e.message}`);
  });
  o.onReady(daemon.url);
  // A crashed service leaves nothing to serve: say so and stop, rather than answer every call
  // with an error.
  let crashed: string | null = null;
  const died = new Promise<void>((resolve) =>
    service.onExit((message) => {
      crashed = message;
      resolve();
    }),
  );
  await Promise.race([o.stop, died]);
  if (crashed !== null) {
    await daemon.close();
    releaseOwner(home);
    throw new Error(crashed);
  }
  o.log('tandem: stopping (finishing any write in progress)…');
  await daemon.close();
  await service.stop();
  releaseOwner(home);
}
