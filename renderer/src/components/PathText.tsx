// A path as the UI shows it. Names are bytes: a byte that is not valid UTF-8, or a control
// character, is shown as rsync's \#ooo in a marked span (a reader sees that the name holds such a
// byte, and which), never as a replacement character that would make two names look alike. The
// path itself, not this text, is what approvals and restores send back.
import { nameParts } from '../contract.js';

const RAW_TITLE = 'Bytes that are not valid UTF-8 (or control characters), shown in octal';

export function PathText({ path, className = 'path-text' }: { path: string; className?: string }) {
  const parts = nameParts(path);
  if (parts.length === 1 && !parts[0]!.escaped) return <span className={className}>{path}</span>;
  return (
    <span className={className}>
      {parts.map((p, i) =>
        p.escaped ? (
          <span key={i} className="raw-bytes" title={RAW_TITLE}>
            {p.text}
          </span>
        ) : (
          p.text
        ),
      )}
    </span>
  );
}
