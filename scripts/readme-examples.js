'use strict';
/**
 * The README's GraphQL examples as data, and the rules that say whether an answer still matches the one the README
 * shows. test/e2e/readme.test.ts runs every example against a fresh demo with these rules, so a change to the demo
 * or the API that makes the README wrong fails the suite instead of misleading the next newcomer.
 *
 * An example is a ```graphql block, optionally a ```json variables block, then the ```json block with its answer,
 * with nothing but blank lines between them. Examples run in README order against one database, so a mutation's
 * answer can feed a later example: in variables, a string "<createTenant.id>" stands for that field of the latest
 * earlier answer that has a createTenant field ("<tenants.nodes[name=Northwind Dental].id>" picks a list item by
 * a field, "<connectorInstances.nodes[tenant.name=Contoso Academy Trust].id>" by a nested one, "<tenants.nodes[0].id>"
 * by position).
 *
 * Run as a script against a running server to see what the demo answers today:
 *   PATCHGRAPH_KEY=… node scripts/readme-examples.js [--url http://127.0.0.1:4000] [--write]
 * It prints every difference; --write replaces each example's answer block in README.md with the real answer.
 * Mutations create things, so run it against a fresh demo (DATABASE_URL=sqlite:/tmp/fresh.db npm start).
 */
const { readFileSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const RULES = [
  'objects must have exactly the keys the README shows, nested the same way',
  'lists must have the same length, and each item shown must match a different answered item; order is not compared, because some lists (an asset\'s patch states, for one) are ordered by generated ids and differ from run to run. In a path, [i→j] says the README\'s item i was compared with the answer\'s item j, the closest one',
  'scalars must be equal, except values that differ on every run by nature:',
  '  - "id", and keys ending in "Id": generated ids; both must be strings',
  '  - "cursor", "startCursor", "endCursor": they encode generated ids; both must be strings',
  '  - keys ending in "At": times, which the demo sets relative to its clock (even WSUS\'s own updates\' releasedAt); both must be ISO date-times',
  '  - inside any string, the port of a 127.0.0.1/localhost URL (the demo simulators take free ports) and any UUID',
];

/** Keys whose values differ on every run; value: what both sides must still be. */
function varyingKind(key) {
  if (key === 'id' || /[a-z]Id$/.test(key)) return 'string';
  if (key === 'cursor' || key === 'startCursor' || key === 'endCursor') return 'string';
  if (/[a-z]At$/.test(key)) return 'date-time';
  return null;
}

const ISO_DATE_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;
const UUID = /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi;
const LOCAL_URL_PORT = /\b(https?:\/\/(?:127\.0\.0\.1|localhost|\[::1\])):\d+/g;

function normaliseString(s) {
  return s.replace(LOCAL_URL_PORT, '$1:<port>').replace(UUID, '<uuid>');
}

/** Fenced code blocks of a Markdown text, with the 1-based line numbers of their opening fences. */
function fencedBlocks(markdown) {
  const lines = markdown.split('\n');
  const blocks = [];
  let open = null;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (!open) {
      const m = /^```(.*)$/.exec(line);
      if (m) open = { info: m[1].trim(), startLine: i + 1, bodyStart: i + 1, body: [] };
    } else if (/^```\s*$/.test(line)) {
      blocks.push({ info: open.info, startLine: open.startLine, endLine: i + 1, body: open.body.join('\n'), bodyStartIndex: open.bodyStart, bodyEndIndex: i });
      open = null;
    } else {
      open.body.push(line);
    }
  }
  if (open) throw new Error(`README.md:${open.startLine}: code block is never closed`);
  return { blocks, lines };
}

function parseJson(block, what) {
  try {
    return JSON.parse(block.body);
  } catch (err) {
    throw new Error(`README.md:${block.startLine}: the ${what} is not valid JSON: ${err.message}`);
  }
}

/**
 * Every GraphQL example in a README: { line, query, variables, expected, answerBlock }. Throws, naming the line, when
 * an example is not followed by its answer.
 */
function extractExamples(markdown) {
  const { blocks, lines } = fencedBlocks(markdown);
  const onlyBlankBetween = (a, b) => lines.slice(a.endLine, b.startLine - 1).every((l) => l.trim() === '');
  const examples = [];
  for (let i = 0; i < blocks.length; i++) {
    const block = blocks[i];
    if (block.info !== 'graphql') continue;
    let next = blocks[i + 1];
    let variables;
    if (next && next.info === 'json variables' && onlyBlankBetween(block, next)) {
      variables = parseJson(next, 'variables block');
      next = blocks[i + 2];
    }
    const previous = variables === undefined ? block : blocks[i + 1];
    if (!next || next.info !== 'json' || !onlyBlankBetween(previous, next)) {
      throw new Error(`README.md:${block.startLine}: a graphql example must be followed directly by the \`\`\`json answer it gives (and may have a \`\`\`json variables block between them)`);
    }
    examples.push({ line: block.startLine, query: block.body, variables, expected: parseJson(next, 'answer'), answerBlock: next });
  }
  return examples;
}

/** A short name for an example in messages: its line and the start of its query. */
function exampleName(example) {
  const oneLine = example.query.replace(/\s+/g, ' ').trim();
  return `README.md:${example.line} ${oneLine.length > 70 ? `${oneLine.slice(0, 69)}…` : oneLine}`;
}

const PLACEHOLDER = /^<([A-Za-z_][\w]*(?:\[[^\]]+\])?(?:\.[A-Za-z_][\w]*(?:\[[^\]]+\])?)*)>$/;

/** "a.b[x.y=1].c" → ["a", "b[x.y=1]", "c"]: dots inside brackets belong to the selector. */
const segmentsOf = (path) => path.match(/[^.[\]]+(?:\[[^\]]*\])?/g) ?? [];

function walk(value, path) {
  let current = value;
  for (const segment of segmentsOf(path)) {
    const m = /^([A-Za-z_]\w*)(?:\[([^\]]+)\])?$/.exec(segment);
    if (!m || current === null || typeof current !== 'object' || !(m[1] in current)) return undefined;
    current = current[m[1]];
    if (m[2] === undefined) continue;
    if (!Array.isArray(current)) return undefined;
    const where = /^([\w.]+)=(.*)$/.exec(m[2]);
    current = where ? current.find((item) => String(walk(item, where[1])) === where[2]) : current[Number(m[2])];
  }
  return current;
}

/**
 * Replaces each "<path>" string in an example's variables with the value it names in an earlier answer (the latest
 * one whose data has the path's first field). Throws, naming the example, when one names nothing.
 */
function resolveVariables(example, earlierAnswers) {
  if (example.variables === undefined) return undefined;
  const resolve = (value) => {
    if (Array.isArray(value)) return value.map(resolve);
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolve(v)]));
    const m = typeof value === 'string' ? PLACEHOLDER.exec(value) : null;
    if (!m) return value;
    const first = m[1].split(/[.[]/)[0];
    for (let i = earlierAnswers.length - 1; i >= 0; i--) {
      const data = earlierAnswers[i] && earlierAnswers[i].data;
      if (!data || !(first in data)) continue;
      const found = walk(data, m[1]);
      if (found === undefined) break;
      return found;
    }
    throw new Error(`${exampleName(example)}: the variable ${value} names nothing in the earlier answers`);
  };
  return resolve(example.variables);
}

const show = (v) => (typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v) ?? 'undefined');
const typeOf = (v) => (v === null ? 'null' : Array.isArray(v) ? 'list' : typeof v);

/**
 * How an answer differs from the one the README shows, under RULES: a list of "path: what differs" lines, empty when
 * they match.
 */
function compareAnswer(expected, actual, path = '', key = null) {
  const kind = key === null ? null : varyingKind(key);
  if (kind && (expected === null || actual === null)) {
    return expected === actual ? [] : [`${path}: README shows ${show(expected)}, the answer has ${show(actual)}`];
  }
  if (kind === 'string') {
    return typeof expected === 'string' && typeof actual === 'string' ? [] : [`${path}: README shows ${show(expected)}, the answer has ${show(actual)} (an id: any string matches, but it must be a string)`];
  }
  if (kind === 'date-time') {
    return typeof expected === 'string' && typeof actual === 'string' && ISO_DATE_TIME.test(expected) && ISO_DATE_TIME.test(actual)
      ? []
      : [`${path}: README shows ${show(expected)}, the answer has ${show(actual)} (a run's time: any ISO date-time matches, but both must be one)`];
  }
  if (typeOf(expected) !== typeOf(actual)) return [`${path}: README shows ${show(expected)}, the answer has ${show(actual)}`];
  if (Array.isArray(expected)) return compareLists(expected, actual, path);
  if (expected && typeof expected === 'object') {
    const diffs = [];
    for (const k of Object.keys(expected)) {
      if (!(k in actual)) diffs.push(`${path}.${k}: README shows ${show(expected[k])}, the answer has no such key`);
      else diffs.push(...compareAnswer(expected[k], actual[k], `${path}.${k}`, k));
    }
    for (const k of Object.keys(actual)) if (!(k in expected)) diffs.push(`${path}.${k}: the answer has this key (${show(actual[k])}), the README does not`);
    return diffs;
  }
  const same = typeof expected === 'string' ? normaliseString(expected) === normaliseString(actual) : expected === actual;
  return same ? [] : [`${path}: README shows ${show(expected)}, the answer has ${show(actual)}`];
}

function compareLists(expected, actual, path) {
  const diffs = [];
  if (expected.length !== actual.length) diffs.push(`${path}: README shows ${expected.length} items, the answer has ${actual.length}`);
  // Matching differences are an equivalence (equal once the varying values are set aside), so pairing each shown
  // item with the first free answered item that matches it finds a full pairing whenever one exists.
  const free = actual.map((_, i) => i);
  const unmatched = [];
  for (let i = 0; i < expected.length; i++) {
    const j = free.findIndex((a) => compareAnswer(expected[i], actual[a], '', null).length === 0);
    if (j >= 0) free.splice(j, 1);
    else unmatched.push(i);
  }
  for (const i of unmatched) {
    if (free.length === 0) {
      diffs.push(`${path}[${i}]: README shows ${show(expected[i])}, which no answered item is left to match`);
      continue;
    }
    // Compare with the closest answered item, so the message names the field that changed rather than the whole
    // item; "[i→j]" in its path says the README's item i was compared with the answer's item j.
    const closest = free
      .map((a) => ({ a, d: compareAnswer(expected[i], actual[a], `${path}[${i === a ? i : `${i}→${a}`}]`, null) }))
      .sort((x, y) => x.d.length - y.d.length)[0];
    free.splice(free.indexOf(closest.a), 1);
    diffs.push(...closest.d);
  }
  for (const a of free) diffs.push(`${path}[${a}]: the answer has this item, the README does not: ${show(actual[a])}`);
  return diffs;
}

/**
 * JSON laid out as the README shows answers: compact, each item of a list too long for one line on a line of its
 * own, and objects wrapped so that lines stay within `width`. Continuation lines indent by two per level.
 */
function formatAnswer(value, width = 116) {
  const compact = (v) => {
    if (Array.isArray(v)) return `[${v.map(compact).join(', ')}]`;
    if (v && typeof v === 'object') return `{${Object.entries(v).map(([k, item]) => `${JSON.stringify(k)}: ${compact(item)}`).join(', ')}}`;
    return JSON.stringify(v);
  };
  const lastLineLength = (s) => s.length - s.lastIndexOf('\n') - 1;
  // `indent`: the indentation of the line the value starts on; `column`: where on that line it starts.
  const render = (v, indent, column) => {
    const flat = compact(v);
    if (column + flat.length <= width || v === null || typeof v !== 'object') return flat;
    if (Array.isArray(v)) return `[\n${v.map((item) => ' '.repeat(indent + 2) + render(item, indent + 2, indent + 2)).join(',\n')}]`;
    let out = '{';
    let col = column + 1;
    let lineIndent = indent;
    Object.entries(v).forEach(([k, item], i) => {
      const prefix = `${JSON.stringify(k)}: `;
      if (i > 0) {
        // A value that does not fit on this line starts a new one, unless it is a list of objects, which puts
        // each item on a line of its own anyway.
        const fits = col + 2 + prefix.length + compact(item).length + 2 <= width;
        const listOpensHere = Array.isArray(item) && item.some((x) => x !== null && typeof x === 'object') && col + 2 + prefix.length + 1 <= width;
        if (fits || listOpensHere) {
          out += ', ';
          col += 2;
        } else {
          lineIndent = indent + 2;
          out += `,\n${' '.repeat(lineIndent)}`;
          col = lineIndent;
        }
      }
      const rendered = render(item, lineIndent, col + prefix.length);
      out += prefix + rendered;
      if (rendered.includes('\n')) {
        col = lastLineLength(rendered);
        lineIndent = indent + 2;
      } else {
        col += prefix.length + rendered.length;
      }
    });
    return `${out}}`;
  };
  return render(value, 0, 0);
}

async function runAgainst(url, key, write) {
  const readmePath = join(__dirname, '..', 'README.md');
  const markdown = readFileSync(readmePath, 'utf8');
  const examples = extractExamples(markdown);
  const answers = [];
  let differing = 0;
  for (const example of examples) {
    const variables = resolveVariables(example, answers);
    const res = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ query: example.query, variables }),
    });
    const answer = await res.json();
    answers.push(answer);
    example.actual = answer;
    const diffs = compareAnswer(example.expected, answer);
    if (diffs.length) {
      differing += 1;
      process.stdout.write(`${exampleName(example)}\n${diffs.map((d) => `  ${d}`).join('\n')}\n\n`);
    }
  }
  process.stdout.write(`${examples.length} examples, ${differing} differ from the README\n`);
  if (write && differing) {
    const lines = markdown.split('\n');
    // From the last block up, so earlier line numbers stay valid.
    for (const example of [...examples].reverse()) {
      if (compareAnswer(example.expected, example.actual).length === 0) continue;
      lines.splice(example.answerBlock.bodyStartIndex, example.answerBlock.bodyEndIndex - example.answerBlock.bodyStartIndex, formatAnswer(example.actual));
    }
    writeFileSync(readmePath, lines.join('\n'));
    process.stdout.write('README.md updated: read the prose around each changed answer, it may need to change too\n');
  }
  return differing;
}

module.exports = { RULES, extractExamples, exampleName, resolveVariables, compareAnswer, formatAnswer, normaliseString };

if (require.main === module) {
  const args = process.argv.slice(2);
  const urlAt = args.indexOf('--url');
  const url = (urlAt >= 0 ? args[urlAt + 1] : process.env.PATCHGRAPH_URL || 'http://127.0.0.1:4000').replace(/\/$/, '');
  const key = process.env.PATCHGRAPH_KEY;
  if (!key) {
    process.stderr.write('readme-examples: set PATCHGRAPH_KEY to an admin API key of the running server\n');
    process.exit(2);
  }
  runAgainst(url, key, args.includes('--write')).then(
    (differing) => process.exit(differing && !args.includes('--write') ? 1 : 0),
    (err) => {
      process.stderr.write(`readme-examples: ${err.message}\n`);
      process.exit(2);
    },
  );
}
