/**
 * SQL for reading a vulnerability's facts as patchgraph held them at a past time (see VulnerabilityFact), shared by
 * every answer that takes `knownAt`, so compliance findings and reports cannot disagree about a score or due date.
 */

/**
 * LEFT JOINs `vf` (vulnerability_fact) to the row in force at knownAt for vulnerability `v`: the latest recorded by
 * then, else the first recorded (facts written only after knownAt are the earliest knowledge there is). Binds one
 * parameter: knownAt as stored (sqlTime).
 */
export function heldFactJoin(v = 'v', vf = 'vf'): string {
  return `LEFT JOIN vulnerability_fact ${vf} ON ${vf}.id = COALESCE(
    (SELECT h1.id FROM vulnerability_fact h1 WHERE h1.vulnerabilityId = ${v}.id AND h1.recordedAt <= ? ORDER BY h1.recordedAt DESC LIMIT 1),
    (SELECT h2.id FROM vulnerability_fact h2 WHERE h2.vulnerabilityId = ${v}.id ORDER BY h2.recordedAt LIMIT 1))`;
}

/** A fact column as held: the history's value, else (no history was written for it) the vulnerability's own. */
export function heldFact(column: string, v = 'v', vf = 'vf'): string {
  return `CASE WHEN ${vf}.id IS NULL THEN ${v}.${column} ELSE ${vf}.${column} END`;
}
