/**
 * A real PowerShell grammar in Node, for scripts that must run on Windows PowerShell 5.1 where no PowerShell is
 * installed: tree-sitter-powershell's prebuilt wasm, loaded by web-tree-sitter (no native build, no pwsh).
 *
 * Two checks on a script:
 * - {@link syntaxErrors}: the ERROR and MISSING nodes the grammar produced, with line, column and text;
 * - {@link powershell7Only}: syntax Windows PowerShell 5.1 does not have. `&&`/`||` and `ForEach-Object -Parallel`
 *   parse in this grammar, so they are found in the tree. `??`, `??=`, `?.`, `?[`, the ternary `? :` and `clean {}`
 *   blocks have no node type here (they come out as ERROR nodes, or as a command named `clean`), so they are found
 *   by scanning the source with strings and comments blanked out by the tree.
 *
 * Known gaps of the grammar (tree-sitter-powershell 0.26.4), both valid PowerShell it misreads:
 * - size multipliers in upper case (`5MB`): see {@link normaliseSizeSuffixes};
 * - an empty script block as a value (`& {}`, `-Begin {}`, `$s = {}`) comes out with a MISSING ";". Empty
 *   statement blocks (`catch { }`) are fine. The scripts have none; if one ever reports this, the grammar is wrong.
 */
import { readFileSync } from 'node:fs';
import { Language, Node, Parser, Tree } from 'web-tree-sitter';

export interface Finding {
  /** 1-based, as an editor shows it. */
  line: number;
  column: number;
  what: string;
  text: string;
}

let loaded: Promise<Parser> | null = null;

/** One parser per test file: loading the grammar compiles about 1 MB of wasm. */
export function powershellParser(): Promise<Parser> {
  loaded ??= (async () => {
    await Parser.init();
    // Language.load(path) reads the file through `await import('fs/promises')`, a dynamic import jest's CommonJS
    // runtime refuses without --experimental-vm-modules. Given the bytes, it imports nothing.
    const wasm = readFileSync(require.resolve('tree-sitter-powershell/tree-sitter-powershell.wasm'));
    const parser = new Parser();
    parser.setLanguage(await Language.load(new Uint8Array(wasm)));
    return parser;
  })();
  return loaded;
}

/**
 * The grammar reads numeric multipliers only in lower case: `5mb` parses, `5MB` is an ERROR (or, after `=`, a
 * command named "5MB"), while PowerShell takes them in any case. Lower-casing them keeps every offset, so lines
 * and columns still point into the original script. Only digits followed by a multiplier and no further word
 * character are touched: KB5043064 and variable names stay as they are.
 */
export function normaliseSizeSuffixes(source: string): string {
  return source.replace(/(?<![\w$.])(\d+(?:\.\d+)?)(kb|mb|gb|tb|pb)(?!\w)/gi, (_m, digits: string, suffix: string) => digits + suffix.toLowerCase());
}

/** A parsed script: its tree, and the text the tree was parsed from (same offsets as the script). */
export interface Parsed {
  tree: Tree;
  source: string;
}

export async function parsePowerShell(script: string): Promise<Parsed> {
  const source = normaliseSizeSuffixes(script);
  const tree = (await powershellParser()).parse(source);
  if (!tree) throw new Error('tree-sitter returned no tree');
  return { tree, source };
}

const at = (node: Node, what: string, text = node.text): Finding => ({
  line: node.startPosition.row + 1,
  column: node.startPosition.column + 1,
  what,
  text: text.length > 80 ? `${text.slice(0, 77)}...` : text,
});

function* descendants(node: Node): Generator<Node> {
  yield node;
  for (const child of node.children) yield* descendants(child);
}

/** Where the grammar could not read the script: ERROR nodes, and MISSING ones it inserted to recover. */
export function syntaxErrors({ tree }: Parsed): Finding[] {
  const found: Finding[] = [];
  for (const node of descendants(tree.rootNode)) {
    if (node.isError) found.push(at(node, 'ERROR'));
    else if (node.isMissing) found.push(at(node, `MISSING ${node.type}`, ''));
  }
  return found;
}

export const formatFindings = (findings: Finding[]): string[] => findings.map((f) => `${f.line}:${f.column} ${f.what}: ${JSON.stringify(f.text)}`);

const COMMENT_AND_STRING = new Set([
  'comment',
  'verbatim_string_characters',
  'verbatim_here_string_characters',
  'expandable_string_literal',
  'expandable_here_string_literal',
]);
/** Also blanked when looking for `?` operators: words in which `?` means something else in 5.1. */
const WORDS = new Set([
  'generic_token', // a bare argument: `a?.txt` is a wildcard
  'command_name', // `?` is Where-Object's alias
  'command_parameter', // `-?`
  'variable', // `$a?` is a variable named "a?"
  'braced_variable',
]);

/** The source with the text of the given node types replaced by spaces, except code in `$(...)` inside strings. */
function blanked({ tree, source }: Parsed, types: Set<string>): string {
  // The tree's offsets are UTF-8 bytes; in ASCII (what the scripts must be) bytes are characters.
  if (Buffer.byteLength(source) !== source.length) throw new Error('powershell7Only reads ASCII scripts only');
  const chars = source.split('');
  const fill = (node: Node, keep: boolean) => {
    for (let i = node.startIndex; i < node.endIndex; i++) if (chars[i] !== '\n') chars[i] = keep ? source[i] : ' ';
  };
  const visit = (node: Node) => {
    // Parents before children: a string is blanked, its $(...) restored, strings inside that blanked again.
    if (types.has(node.type)) fill(node, false);
    else if (node.type === 'sub_expression') fill(node, true);
    for (const child of node.children) visit(child);
  };
  visit(tree.rootNode);
  return chars.join('');
}

function position(text: string, index: number): { line: number; column: number } {
  const before = text.slice(0, index).split('\n');
  return { line: before.length, column: before[before.length - 1].length + 1 };
}

const PARALLEL = 'parallel';
const FOREACH_OBJECT = /^(foreach-object|microsoft\.powershell\.core\\foreach-object|foreach|%)$/i;

/** Syntax Windows PowerShell 5.1 lacks, each with where it is. */
export function powershell7Only(parsed: Parsed): Finding[] {
  const found: Finding[] = [];
  for (const node of descendants(parsed.tree.rootNode)) {
    if (node.type === 'pipeline_chain_tail') found.push(at(node, `pipeline chain operator ${node.text} (PowerShell 7)`));
    if (node.type === 'command') {
      const name = node.childForFieldName('command_name');
      if (name && FOREACH_OBJECT.test(name.text)) {
        for (const p of descendants(node)) {
          if (p.type !== 'command_parameter') continue;
          // Parameter names may be shortened to any unambiguous prefix; -Pa is the shortest for -Parallel.
          const given = p.text.replace(/^-/, '').split(':')[0].toLowerCase();
          if (given.length >= 2 && PARALLEL.startsWith(given)) found.push(at(p, 'ForEach-Object -Parallel (PowerShell 7)', `${name.text} ${p.text}`));
        }
      }
    }
  }
  const code = blanked(parsed, COMMENT_AND_STRING);
  for (const m of code.matchAll(/(^|[\s;{}()])(clean)\s*\{/gim)) {
    const { line, column } = position(code, m.index! + m[1].length);
    found.push({ line, column, what: 'clean {} block (PowerShell 7.3)', text: m[0].trim() });
  }
  const operators = blanked(parsed, new Set([...COMMENT_AND_STRING, ...WORDS]));
  for (const m of operators.matchAll(/\?\?=|\?\?|\?\.|\?\[|\?/g)) {
    const what = m[0] === '??=' ? 'null-coalescing assignment ??=' : m[0] === '??' ? 'null-coalescing operator ??' : m[0] === '?' ? 'ternary operator ? :' : `null-conditional operator ${m[0]}`;
    const { line, column } = position(operators, m.index!);
    found.push({ line, column, what: `${what} (PowerShell 7)`, text: m[0] });
  }
  return found.sort((a, b) => a.line - b.line || a.column - b.column);
}
