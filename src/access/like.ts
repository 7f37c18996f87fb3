/**
 * Case-insensitive substring match that works the same on both engines. "!" is the escape character because
 * a backslash means different things inside SQL string literals on SQLite and MySQL.
 */
export function containsCondition(column: string, param: string): string {
  return `${column} LIKE :${param} ESCAPE '!'`;
}

export function containsPattern(text: string): string {
  return `%${text.replace(/[!%_]/g, (c) => `!${c}`)}%`;
}
