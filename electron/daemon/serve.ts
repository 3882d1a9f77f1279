// `tandem serve`: the sync service on its worker thread, the daemon in front of it, until a
// signal. Also what `npm start` falls back to where Electron cannot start.
import { startServiceThread } from '../engine/serviceThread.js';
import { tandemHome } from '../engine/pair.js';
import { startDaemon, HOST } from './daemonServer.js';
import { forgetDaemon, recordDaemon, runningDaemon } from './daemonInfo.js';
import { loadOrCreateToken } from './daemonToken.js';

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
}

export class AlreadyServingError extends Error {
  constructor(
    readonly url: string,
    pid: number,
  ) {
    super(
      `a Tandem daemon (pid ${pid}) already serves this state folder at ${url}; open that link, or stop it first`,
    );
  }
}

export async function serve(o: ServeOptions): Promise<void> {
  const home = o.home ?? tandemHome();
  const running = runningDaemon(home);
  if (running) {
    const token = loadOrCreateToken(home);
    throw new AlreadyServingError(`http://${HOST}:${running.port}/?token=${token}`, running.pid);
  }
  const token = loadOrCreateToken(home, o.newToken === true);
  const service = await startServiceThread({ home });
  let daemon;
  try {
    daemon = await startDaemon({ client: service.client, token, port: o.port ?? DEFAULT_PORT });
  } catch (e) {
    await service.stop();
    throw e;
  }
  recordDaemon(home, daemon.port);
  service.client.onEvent((e) => {
    if (e.type === 'error') o.log(`tandem: ${e.message}`);
  });
  o.onReady(daemon.url);
  await o.stop;
  o.log('tandem: stopping (finishing any write in progress)…');
  await daemon.close();
  await service.stop();
  forgetDaemon(home);
}
