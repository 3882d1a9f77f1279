// What a first start shows: what Tandem does, and the two ways to make the first pair.
export function EmptyState({ onAddPair }: { onAddPair: () => void }) {
  return (
    <section className="empty-state" aria-labelledby="empty-title">
      <h1 id="empty-title">Keep two folders identical</h1>
      <p>
        Tandem gives every chunk of data, every file and every folder an identifier, and compares
        the identifiers of a source folder with those of its target. Where they differ it writes
        only the differing chunks to the target, atomically, and leaves everything else untouched.
      </p>
      <p>
        Drop two folders on this window (the first one becomes the source) or click Add pair to
        choose them.
      </p>
      <button type="button" className="button primary" onClick={onAddPair}>
        Add pair
      </button>
    </section>
  );
}
