/**
 * `convert` of a date, with the last instant's answer kept: a sync's rows and events share a few instants (its
 * clock's now), and converting each again was a measurable part of a full ingest. Keyed by the instant, not the Date
 * object, so the answer must depend on the instant alone.
 */
export function byLastInstant<T>(convert: (date: Date) => T): (date: Date) => T {
  let lastTime = Number.NaN;
  let last: T;
  return (date) => {
    const time = date.getTime();
    if (time !== lastTime) {
      last = convert(date);
      lastTime = time;
    }
    return last;
  };
}
