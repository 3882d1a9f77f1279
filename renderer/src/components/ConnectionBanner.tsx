// A banner while the link to the engine is down, or a stop sign when the page lacks the token.
import { useSyncExternalStore } from 'react';
import {
  LOST_MESSAGE,
  UNAUTHORIZED_MESSAGE,
  type ConnectionMonitor,
} from '../client/connectionState.js';

export function ConnectionBanner({ connection }: { connection: ConnectionMonitor }) {
  const state = useSyncExternalStore(connection.subscribe, connection.get);
  if (state.kind === 'lost')
    return (
      <div role="alert" className="banner warning">
        {LOST_MESSAGE}
      </div>
    );
  if (state.kind === 'unauthorized')
    return (
      <div role="alert" className="banner error">
        {UNAUTHORIZED_MESSAGE}
      </div>
    );
  return null;
}
