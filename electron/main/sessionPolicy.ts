// Denies the UI every web permission (camera, notifications, clipboard reads, …), downloads and
// new web contents it does not need: Tandem's page asks for none of them.
import { app, type Session } from 'electron';

export function lockDownSession(ses: Session): void {
  ses.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
  ses.setDevicePermissionHandler(() => false);
  ses.on('will-download', (event) => event.preventDefault());
  // Any web contents created later (there should be none) gets the same refusals as the window.
  app.on('web-contents-created', (_event, contents) => {
    contents.setWindowOpenHandler(() => ({ action: 'deny' }));
    contents.on('will-attach-webview', (e) => e.preventDefault());
  });
}
