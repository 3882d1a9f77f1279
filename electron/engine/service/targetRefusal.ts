// The engine refuses a pair whose target is not provably the folder it last synced (a moved link,
// a missing or swapped disk, a lost marker: TargetChangedError). The CLI answers that with
// --confirm-target; the app and the daemon with a button, so the service words it for them.
import { TargetChangedError } from '../pair/pair.js';

export function isTargetChanged(e: unknown): e is TargetChangedError {
  return e instanceof TargetChangedError;
}

/** The engine's sentence, naming the app's button where it names the CLI's flag. */
export function targetChangedSentence(e: TargetChangedError): string {
  return e.message.replace(/run again with --confirm-target/g, 'choose "This is the right folder"');
}
