#!/bin/bash
# deb post-install: the desktop app and the CLI on PATH, and Electron's sandbox helper setuid
# (what electron-builder's default script does, which a custom one replaces).
ln -sf '/opt/Tandem/tandem-desktop' '/usr/bin/tandem-desktop'
ln -sf '/opt/Tandem/resources/bin/tandem' '/usr/bin/tandem'
if ! { [[ -L /proc/self/ns/user ]] && unshare --user true; }; then
  chmod 4755 '/opt/Tandem/chrome-sandbox' || true
else
  chmod 0755 '/opt/Tandem/chrome-sandbox' || true
fi
if hash update-mime-database 2>/dev/null; then update-mime-database /usr/share/mime || true; fi
if hash update-desktop-database 2>/dev/null; then update-desktop-database /usr/share/applications || true; fi
