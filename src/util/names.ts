import { UserInputError } from '../errors';

/** Longest display name, in code points: the columns are VARCHAR(200), which MariaDB counts in characters. */
export const MAX_NAME_LENGTH = 200;

const hex = (ch: string) => `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;

/**
 * Characters a display name may not hold, each with the reason given to the caller. The engines disagree about
 * them (SQLite stores a lone surrogate as invalid UTF-8, MariaDB stores U+FFFD and echoes the input), and the
 * rest are invisible or reorder text, so two names that look identical would be stored as different names.
 */
const FORBIDDEN: Array<[RegExp, string]> = [
  [/\p{Cs}/u, 'an unpaired surrogate'],
  [/\p{Cc}/u, 'a control character'],
  // Cf holds the bidi embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069), the marks U+200E, U+200F
  // and U+061C, zero-width characters and the BOM.
  [/\p{Cf}/u, 'a format character (bidi control, zero-width or similar)'],
  [/[\p{Zl}\p{Zp}]/u, 'a line or paragraph separator'],
  // Invisible letters such as U+3164 HANGUL FILLER and the variation selectors render as nothing.
  [/\p{Default_Ignorable_Code_Point}/u, 'an invisible character'],
  [/\p{Co}/u, 'a private-use character'],
  // Unassigned code points and noncharacters have no agreed rendering; refused until Unicode (and Node) assign them.
  [/\p{Cn}/u, 'an unassigned code point'],
];

/**
 * Scripts whose letters are look-alikes of each other ("а" U+0430 CYRILLIC is drawn like Latin "a"). A name may
 * use any one of them, never two: "Contoso" spelled with a Cyrillic "о" is refused rather than stored as a
 * second, different-looking-identical client. Whole-script look-alikes (a name written entirely in Cyrillic that
 * reads like a Latin one) are not detected.
 */
const CONFUSABLE_SCRIPTS: Array<[string, RegExp]> = [
  ['Latin', /\p{Script=Latin}/u],
  ['Cyrillic', /\p{Script=Cyrillic}/u],
  ['Greek', /\p{Script=Greek}/u],
];

/** Why `name` (already normalised) cannot be a display name, or null when it can. */
export function nameProblem(name: string): string | null {
  if (name.length === 0) return 'must not be empty or only white space';
  const length = [...name].length;
  if (length > MAX_NAME_LENGTH) return `must be at most ${MAX_NAME_LENGTH} characters, got ${length}`;
  for (const [pattern, what] of FORBIDDEN) {
    const found = pattern.exec(name);
    if (found) return `must not contain ${what} (${hex(found[0])} at character ${[...name.slice(0, found.index)].length + 1})`;
  }
  const scripts = new Map<string, string>();
  for (const ch of name) {
    if (!/\p{L}/u.test(ch)) continue;
    for (const [script, pattern] of CONFUSABLE_SCRIPTS) if (pattern.test(ch) && !scripts.has(script)) scripts.set(script, ch);
  }
  if (scripts.size > 1) {
    const mixed = [...scripts].map(([script, ch]) => `${script} (${hex(ch)})`).join(' and ');
    return `must not mix letters of look-alike scripts: ${mixed}`;
  }
  return null;
}

/**
 * The stored form of a display name: NFC (so a precomposed "é" and "e" + U+0301 are one name) without leading or
 * trailing white space. Throws BAD_USER_INPUT naming `field` when the name is not acceptable.
 */
export function cleanName(field: string, raw: string): string {
  // A lone surrogate makes normalize() keep it as is, so it is still caught below.
  const name = raw.normalize('NFC').trim();
  const problem = nameProblem(name);
  if (problem) throw new UserInputError(field, problem);
  return name;
}

// Accents and other combining diacritics on Latin, Greek and Cyrillic letters.
const DIACRITICS = /[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]/gu;

/**
 * What two names are compared by when they must be unique: NFKC compatibility folding (fullwidth "Ｃｏｎｔｏｓｏ",
 * ligatures, superscripts), case folding ("ß" and "ss" too), accents dropped and runs of white space made one.
 * The accent folding matches MariaDB's utf8mb4_unicode_ci index, which already treats "Müller" and "Muller" as
 * one name; deciding in code with this key makes SQLite answer the same.
 */
export function nameKey(name: string): string {
  return name
    .normalize('NFKD')
    .replace(DIACRITICS, '')
    // Upper then lower approximates full case folding (ß → SS → ss, final ς → Σ → σ), which JS does not offer.
    .toUpperCase()
    .toLowerCase()
    .normalize('NFKC')
    .replace(/\s+/gu, ' ')
    .trim();
}
