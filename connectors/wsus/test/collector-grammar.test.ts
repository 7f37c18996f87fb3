/**
 * The collector scripts parsed by a real PowerShell grammar (tree-sitter-powershell, run as wasm by
 * web-tree-sitter), since no PowerShell runs here: no syntax errors, and nothing Windows PowerShell 5.1 lacks.
 * collector.test.ts checks what the scripts say; this checks that PowerShell can read them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatFindings, normaliseSizeSuffixes, parsePowerShell, powershell7Only, powershellParser, syntaxErrors } from './powershell-grammar';

const DIR = join(__dirname, '../collector');
const SCRIPTS = ['Invoke-PatchgraphWsusCollector.ps1', 'Register-PatchgraphWsusCollector.ps1'];

const errorsIn = async (script: string) => formatFindings(syntaxErrors(await parsePowerShell(script)));
const ps7In = async (script: string) => formatFindings(powershell7Only(await parsePowerShell(script)));

describe.each(SCRIPTS)('%s, parsed by the PowerShell grammar', (file) => {
  const script = readFileSync(join(DIR, file), 'utf8');

  it('has no ERROR or MISSING nodes', async () => {
    expect(await errorsIn(script)).toEqual([]);
  });

  it('uses nothing Windows PowerShell 5.1 lacks (??, ?., ternary, && and ||, ForEach-Object -Parallel, clean {})', async () => {
    expect(await ps7In(script)).toEqual([]);
  });

  it('parses into the statements it is made of, not into one recovered blob', async () => {
    const { tree } = await parsePowerShell(script);
    const functions = tree.rootNode.descendantsOfType('function_statement').map((f) => f!.childForFieldName('function_name')?.text ?? f!.namedChildren[0]!.text);
    const declared = [...script.matchAll(/^function ([\w-]+)/gm)].map((m) => m[1]);
    expect(functions).toEqual(declared);
    expect(tree.rootNode.descendantsOfType('param_block').length).toBeGreaterThan(0);
  });
});

describe('the grammar checks find what they are for', () => {
  it.each([
    ['an unclosed block', 'if ($a) {\n  Write-Output 1\n', ['2:17 MISSING }: ""']],
    ['an unclosed array', "$x = @(1,\n  2", ['1:1 ERROR: "$x = @(1,\\n  2"']],
    ['a stray closing parenthesis', 'Write-Output (1))', ['1:17 ERROR: ")"']],
  ])('reports %s with its line, column and text', async (_name, snippet, expected) => {
    expect(await errorsIn(snippet)).toEqual(expected);
  });

  it.each([
    ['$x = $a ?? 2', '1:9 null-coalescing operator ?? (PowerShell 7)'],
    ['$x ??= 2', '1:4 null-coalescing assignment ??= (PowerShell 7)'],
    ['$n = ${a}?.Length', '1:10 null-conditional operator ?. (PowerShell 7)'],
    ['$n = ${a}?[0]', '1:10 null-conditional operator ?[ (PowerShell 7)'],
    ['$x = $a ? 1 : 2', '1:9 ternary operator ? : (PowerShell 7)'],
    ['Get-Item a && Get-Item b', '1:12 pipeline chain operator && (PowerShell 7)'],
    ['Get-Item a || Write-Output b', '1:12 pipeline chain operator || (PowerShell 7)'],
    ['1..4 | ForEach-Object -Parallel { $_ } -ThrottleLimit 2', '1:23 ForEach-Object -Parallel (PowerShell 7)'],
    ['1..4 | % -pa { $_ }', '1:10 ForEach-Object -Parallel (PowerShell 7)'],
    ['function f {\n  process { $_ }\n  clean { Remove-Item $t }\n}', '3:3 clean {} block (PowerShell 7.3)'],
  ])('flags PowerShell 7 syntax: %s', async (snippet, expected) => {
    expect(await ps7In(snippet)).toContainEqual(expect.stringContaining(expected));
  });

  it('also sees it inside $(...) in a string', async () => {
    expect(await ps7In('"total: $($a ?? 0)"')).toEqual(['1:14 null-coalescing operator ?? (PowerShell 7): "??"']);
  });

  it('leaves alone what is 5.1 and only looks like it', async () => {
    const script = [
      "# ?? and ?. in a comment, && too, and clean { }",
      "<# a ? b : c #>",
      "$a = 'x ?? y', \"is it $b?\", 'clean {'",
      '$q = @"\nSELECT 1 -- a ?? b && c\n"@',
      'Get-ChildItem C:\\Temp\\a?.txt | ? { $_.Length -gt 5MB } | % { $_.Name }',
      '1..3 | ForEach-Object -Begin { $n = 0 } -Process { $n += $_ } -End { $n }',
      'if ($a -and $b -or -not $c) { Get-Help -? }',
      '[Nullable[int]] $n = $null',
    ].join('\n');
    expect(await errorsIn(script)).toEqual([]);
    expect(await ps7In(script)).toEqual([]);
  });

  it('needs upper-case size suffixes lower-cased: this grammar reads only 5mb, PowerShell reads 5MB too', async () => {
    // If a newer grammar reads 5MB itself, this fails, and normaliseSizeSuffixes can go.
    const unnormalised = (await powershellParser()).parse('if ($size -gt 5MB) { 1 }')!;
    expect(unnormalised.rootNode.hasError).toBe(true);
    expect(await errorsIn('if ($size -gt 5MB) { 1 }')).toEqual([]);
    expect(normaliseSizeSuffixes("$a = 5MB + 1.5GB + 2Kb; 'KB5043064'; $x5MB")).toBe("$a = 5mb + 1.5gb + 2kb; 'KB5043064'; $x5MB");
  });
});
