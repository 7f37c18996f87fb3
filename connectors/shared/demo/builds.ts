/** Compares Windows "build.revision" strings (a full version's last two parts count) as numbers: true when `have` is at least `need`. */
export function buildAtLeast(have: string, need: string): boolean {
  const [hb, hr] = have.split('.').slice(-2).map(Number);
  const [nb, nr] = need.split('.').slice(-2).map(Number);
  return hb > nb || (hb === nb && hr >= nr);
}
