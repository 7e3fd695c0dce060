// Whether the data a screen shows changed since the screen last showed it.
// Screens are built anew on each render, and a rebuild replaces the nodes
// under the citizen's pointer, focus and screen-reader cursor: a click whose
// press and release straddle a rebuild is lost, and a screen reader starts
// reading again. Rust announces changes generously (after every sync, every
// stored batch of events), and most announcements leave what a screen shows
// as it was. Those must not rebuild it.

/** The last data a screen was rendered from, compared by value. */
export class ShownData {
  #last: string | undefined;

  /**
   * Remembers `data` (plain JSON, as the IPC delivers it) as shown and says
   * whether it differs from what was shown before; true the first time.
   */
  changed(data: unknown): boolean {
    const next = JSON.stringify(data);
    if (next === this.#last) return false;
    this.#last = next;
    return true;
  }
}
