#!/bin/bash
# deb post-remove: drop the links after-install.sh made (only if they still point at Tandem).
for link in /usr/bin/tandem /usr/bin/tandem-desktop; do
  case "$(readlink "$link" 2>/dev/null)" in /opt/Tandem/*) rm -f "$link" ;; esac
done
