/**
 * The PowerShell collector, read as text (no Windows here): the same SQL as queries.ts, the parameters the README
 * promises, the upload's headers, a JSON writer that never goes through ConvertTo-Json. Where pwsh exists, both
 * scripts must also parse; collector-grammar.test.ts parses them with a PowerShell grammar everywhere.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkEnvelope } from '../envelope';
import * as queries from '../susdb/queries';

const DIR = join(__dirname, '../collector');
const COLLECTOR = join(DIR, 'Invoke-PatchgraphWsusCollector.ps1');
const REGISTER = join(DIR, 'Register-PatchgraphWsusCollector.ps1');
const schema = JSON.parse(readFileSync(join(__dirname, '../envelope.schema.json'), 'utf8'));

const collector = readFileSync(COLLECTOR, 'utf8');
const register = readFileSync(REGISTER, 'utf8');

/** The script without comment-based help and comment lines (here-strings hold no lines starting with '#'). */
function code(script: string): string {
  return script
    .replace(/<#[\s\S]*?#>/g, '')
    .split(/\r?\n/)
    .filter((line) => !/^\s*#/.test(line))
    .join('\n');
}

/** The single-quoted here-strings assigned as `NAME = @'…'@`. */
function hereStrings(script: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const m of script.matchAll(/^\s*([A-Z_]+)\s*=\s*@'\r?\n([\s\S]*?)\r?\n'@/gm)) found.set(m[1], m[2]);
  return found;
}

/** The script's own param(…) block: the first one after [CmdletBinding(…)], to its matching parenthesis. */
function paramBlock(script: string): string {
  const start = script.search(/\[CmdletBinding\([^)]*\)\]\s*param\(/);
  expect(start).toBeGreaterThanOrEqual(0);
  const open = script.indexOf('param(', start) + 'param('.length;
  let depth = 1;
  let i = open;
  for (; depth > 0 && i < script.length; i++) {
    if (script[i] === '(') depth++;
    if (script[i] === ')') depth--;
  }
  return script.slice(open, i - 1);
}

/** Declared parameters, name → type (lower-cased), e.g. PatchgraphUrl → string. */
function parameters(script: string): Map<string, { type: string; declaration: string }> {
  const found = new Map<string, { type: string; declaration: string }>();
  for (const m of paramBlock(script).matchAll(/\[([\w.]+)\]\s*\$(\w+)([^\n]*)/g)) {
    found.set(m[2], { type: m[1].toLowerCase(), declaration: m[0] });
  }
  return found;
}

/** The body of `function Name(…) { … }`, to its matching brace. */
function functionBody(script: string, name: string): string {
  const start = script.indexOf(`function ${name}`);
  expect(start).toBeGreaterThanOrEqual(0);
  const open = script.indexOf('{', start);
  let depth = 1;
  let i = open + 1;
  for (; depth > 0 && i < script.length; i++) {
    if (script[i] === '{') depth++;
    if (script[i] === '}') depth--;
  }
  return script.slice(open + 1, i - 1);
}

/**
 * Where pwsh is missing, a rough stand-in for the parser: brackets must pair up outside comments and strings
 * (single, double with backtick escapes and $(…) inside, here-strings). Returns the first problem, or null.
 */
function bracketProblem(src: string): string | null {
  const pairs: Record<string, string> = { ')': '(', '}': '{', ']': '[' };
  const line = (i: number) => src.slice(0, i).split('\n').length;
  let i = 0;
  const code = (until: string | null): string | null => {
    const stack: Array<{ ch: string; at: number }> = [];
    while (i < src.length) {
      const ch = src[i];
      const two = src.slice(i, i + 2);
      if (two === '<#') {
        const end = src.indexOf('#>', i + 2);
        if (end < 0) return `unclosed block comment at line ${line(i)}`;
        i = end + 2;
      } else if (ch === '#') {
        const end = src.indexOf('\n', i);
        i = end < 0 ? src.length : end;
      } else if ((two === "@'" || two === '@"') && /^\r?\n/.test(src.slice(i + 2, i + 4))) {
        const close = `\n${two[1]}@`;
        const end = src.indexOf(close, i + 2);
        if (end < 0) return `unclosed here-string at line ${line(i)}`;
        i = end + close.length;
      } else if (ch === "'") {
        let j = i + 1;
        while (j < src.length && !(src[j] === "'" && src[j + 1] !== "'")) j += src[j] === "'" ? 2 : 1;
        if (j >= src.length) return `unclosed '…' at line ${line(i)}`;
        i = j + 1;
      } else if (ch === '"') {
        const start = i;
        i++;
        for (;;) {
          if (i >= src.length) return `unclosed "…" at line ${line(start)}`;
          if (src[i] === '`') i += 2;
          else if (src[i] === '"' && src[i + 1] === '"') i += 2;
          else if (src[i] === '"') break;
          else if (src.startsWith('$(', i)) {
            i += 2;
            const inner = code(')');
            if (inner) return inner;
          } else i++;
        }
        i++;
      } else if (ch === '(' || ch === '{' || ch === '[') {
        stack.push({ ch, at: i });
        i++;
      } else if (ch === ')' || ch === '}' || ch === ']') {
        if (stack.length === 0 && ch === until) {
          i++;
          return null;
        }
        const open = stack.pop();
        if (!open || open.ch !== pairs[ch]) return `'${ch}' at line ${line(i)} closes ${open ? `'${open.ch}' of line ${line(open.at)}` : 'nothing'}`;
        i++;
      } else i++;
    }
    if (until) return `missing '${until}'`;
    return stack.length ? `'${stack[stack.length - 1].ch}' of line ${line(stack[stack.length - 1].at)} is never closed` : null;
  };
  return code(null);
}

const normalise = (sql: string) => sql.replace(/\s+/g, ' ').trim();
const SQL_EXPORTS = Object.entries(queries as Record<string, unknown>).filter((e): e is [string, string] => typeof e[1] === 'string');

describe('Invoke-PatchgraphWsusCollector.ps1', () => {
  const body = code(collector);

  it('embeds exactly the SQL of queries.ts, one here-string per exported query', () => {
    const embedded = hereStrings(collector);
    expect([...embedded.keys()].sort()).toEqual(SQL_EXPORTS.map(([name]) => name).sort());
    for (const [name, sql] of SQL_EXPORTS) {
      expect({ name, sql: normalise(embedded.get(name)!) }).toEqual({ name, sql: normalise(sql) });
    }
    // Each embedded query is run by name: none is dead, none is misspelt.
    for (const [name] of SQL_EXPORTS) expect(body).toContain(`$Queries['${name}']`);
    expect(body.match(/\$Queries\['(\w+)'\]/g)!.map((m) => m.slice(10, -2)).sort()).toEqual(SQL_EXPORTS.map(([n]) => n).sort());
  });

  it('declares the parameters the README documents, with the WID pipe and SUSDB as defaults', () => {
    const params = parameters(collector);
    for (const [name, type] of Object.entries({
      PatchgraphUrl: 'string',
      IngestKey: 'string',
      IngestKeyFile: 'string',
      SqlServer: 'string',
      Database: 'string',
      IncludeNotApplicable: 'switch',
      OutFile: 'string',
      TimeoutSeconds: 'int',
    })) {
      expect({ name, type: params.get(name)?.type }).toEqual({ name, type });
    }
    expect(params.get('SqlServer')!.declaration).toContain(`= 'np:\\\\.\\pipe\\MICROSOFT##WID\\tsql\\query'`);
    expect(params.get('Database')!.declaration).toContain(`= 'SUSDB'`);
    // -WhatIf is the dry run: it comes with SupportsShouldProcess, and the upload asks ShouldProcess first.
    expect(collector).toMatch(/\[CmdletBinding\(SupportsShouldProcess = \$true\)\]\s*param\(/);
    expect(body).toMatch(/if \(\$PSCmdlet\.ShouldProcess\([^)]*\)\) \{\s*\$answer = Send-Snapshot/);
  });

  it('runs the not-applicable variant only with -IncludeNotApplicable', () => {
    expect(body).toMatch(/\$installations = \$Queries\['INSTALLATIONS'\]\s*\n\s*if \(\$IncludeNotApplicable\) \{ \$installations = \$Queries\['INSTALLATIONS_INCLUDING_NOT_APPLICABLE'\] \}/);
    expect(body).toContain('Write-InstallationRows $connection $installations $writer');
  });

  it('uploads gzip JSON with the ingest key as a Bearer token, over TLS 1.2 or later', () => {
    const send = functionBody(body, 'Send-Snapshot');
    expect(send).toContain("$content.Headers.ContentEncoding.Add('gzip')");
    expect(send).toMatch(/\$content\.Headers\.ContentType = New-Object System\.Net\.Http\.Headers\.MediaTypeHeaderValue -ArgumentList 'application\/json'/);
    expect(send).toMatch(/\$request\.Headers\.Authorization = New-Object System\.Net\.Http\.Headers\.AuthenticationHeaderValue -ArgumentList 'Bearer', \$Key/);
    expect(send).toContain('[System.Net.Http.HttpMethod]::Post');
    expect(send).toContain('Set-TlsProtocols');
    expect(functionBody(body, 'Set-TlsProtocols')).toContain('[System.Net.SecurityProtocolType]::Tls12');
    // The body that is posted is the gzip file the snapshot was written to.
    expect(functionBody(body, 'Write-Snapshot')).toMatch(/GZipStream -ArgumentList \$fileStream, \(\[System\.IO\.Compression\.CompressionMode\]::Compress\)/);
    // Plain HTTP would put the key on the wire: only loopback is tolerated.
    expect(functionBody(body, 'Test-PatchgraphUrl')).toMatch(/\$uri\.Scheme -ne 'https' -and -not \(\$uri\.Scheme -eq 'http' -and \$uri\.IsLoopback\)/);
  });

  it('never uses ConvertTo-Json: installations are written as bare triples', () => {
    expect(body).not.toMatch(/ConvertTo-Json/i);
    const installations = functionBody(body, 'Write-InstallationRows');
    expect(installations).toContain(`$Writer.Write('["' + $computer + '","' + $update + '",' + $state.ToString($Invariant) + ']')`);
    expect(installations).not.toMatch(/Format-JsonString|\|/);
  });

  it('writes the envelope the schema describes: its format, version, row sets in order, times without offset', () => {
    expect(body).toContain(`$EnvelopeFormat = '${schema.properties.format.const}'`);
    expect(body).toContain("$EnvelopeVersion = 1");
    expect(body).toContain("$CollectorVersion = '1.0.0'");
    const snapshot = functionBody(body, 'Write-Snapshot');
    const written = [...snapshot.matchAll(/"(\w+)":\[/g)].map((m) => m[1]);
    expect(written).toEqual(Object.keys(schema.properties.rows.properties));
    const topLevel = [...snapshot.matchAll(/[{,]"(\w+)":/g)].map((m) => m[1]);
    for (const key of Object.keys(schema.properties)) expect(topLevel).toContain(key);
    for (const key of Object.keys(schema.properties.server.properties)) expect(topLevel).toContain(key);
    expect(body).toContain(`$SusdbTimeFormat = "yyyy-MM-dd'T'HH:mm:ss.fff"`);
    expect(snapshot).toContain(`[DateTime]::UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", $Invariant)`);
    expect(body).toContain('$MaxProductTitles = ' + schema.properties.rows.properties.updates.items.properties.ProductTitles.maxItems);
  });

  it('escapes what JSON requires: quote, backslash and control characters', () => {
    expect(body).toContain('$JsonSpecialChars = [char[]](@(34, 92) + (0..31))');
    const escape = functionBody(body, 'Format-JsonString');
    for (const [code, escaped] of [[34, `'\\"'`], [92, `'\\\\'`], [10, `'\\n'`], [13, `'\\r'`], [9, `'\\t'`]] as const) {
      expect(escape).toContain(`($code -eq ${code}) { [void]$sb.Append(${escaped}) }`);
    }
    expect(escape).toContain("($code -lt 32) { [void]$sb.Append('\\u').Append($code.ToString('x4', $Invariant)) }");
  });

  it('exits non-zero with a distinct code for each kind of failure', () => {
    const codes = [...body.matchAll(/^\$Exit(\w+) = (\d+)$/gm)].map((m) => [m[1], Number(m[2])] as const);
    expect(codes).toEqual([['Ok', 0], ['Usage', 1], ['Susdb', 2], ['Network', 3], ['Refused', 4], ['Server', 5]]);
    expect(functionBody(body, 'Exit-Collector')).toContain('exit $Code');
    const answer = functionBody(body, 'Write-Answer');
    for (const status of [401, 409, 413, 422]) expect(answer).toMatch(new RegExp(`\\b${status} = '`));
    expect(answer).toContain('Exit-Collector $ExitRefused $what');
  });
});

describe("the collector's output", () => {
  // The script cannot run here; this is a snapshot in exactly the shape it writes (values typed as SqlClient hands
  // them over, times in $SusdbTimeFormat, generatedAt in UTC with Z, the hash server id, the collector's extras),
  // put through the check the ingest endpoint applies.
  const name = /\$CollectorName = '([^']+)'/.exec(collector)![1];
  const version = /\$CollectorVersion = '([^']+)'/.exec(collector)![1];
  const sample = {
    format: /\$EnvelopeFormat = '([^']+)'/.exec(collector)![1],
    version: Number(/\$EnvelopeVersion = (\d+)/.exec(collector)![1]),
    server: { id: 'f'.repeat(64), name: 'wsus01.corp.example.local', version: null },
    generatedAt: '2026-11-02T03:14:07.123Z',
    collector: { name, version, powershell: '5.1.20348.2849', includeNotApplicable: false },
    rows: {
      computerTargets: [
        {
          ComputerTargetId: '1f0e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b', Name: 'fs01.corp.example.local', IPAddress: '10.10.5.21', LastSyncResult: 1,
          LastSyncTime: '2026-11-02T03:14:07.000', LastReportedStatusTime: '1753-01-01T00:00:00.000', ClientVersion: '10.0.20348.2340',
          OSArchitecture: 'AMD64', Make: 'Dell Inc.', Model: 'PowerEdge R650', BiosName: null, BiosVersion: null, OSMajorVersion: 10,
          OSMinorVersion: 0, OSBuildNumber: 20348, OSServicePackMajorNumber: 0, OSDefaultUILanguage: 'en-US',
        },
      ],
      targetGroups: [
        { ComputerTargetGroupId: 'A0A08746-4DBE-4A37-9ADF-9E7652C0B421', ParentTargetGroupId: null, Name: 'All Computers' },
        { ComputerTargetGroupId: 'B73CA6ED-5727-47F3-84DE-015E03F6A88A', ParentTargetGroupId: 'A0A08746-4DBE-4A37-9ADF-9E7652C0B421', Name: 'Unassigned Computers' },
      ],
      groupMemberships: [{ ComputerTargetId: '1f0e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b', ComputerTargetGroupId: 'B73CA6ED-5727-47F3-84DE-015E03F6A88A', IsExplicitMember: false }],
      updates: [
        {
          UpdateId: 'E4A1C9D2-7B3F-4C5E-9A8D-1B2C3D4E5F60', RevisionNumber: 200, DefaultTitle: '2026-10 Cumulative Update for Microsoft server operating system version 21H2 for x64-based Systems',
          KnowledgebaseArticle: '5058385', SecurityBulletin: null, MsrcSeverity: 'Critical', CreationDate: '2026-10-14T17:00:00.000', ArrivalDate: '2026-10-15T02:11:43.517',
          IsDeclined: false, ClassificationTitle: 'Security Updates', ProductTitles: ['Microsoft Server Operating System-21H2'],
        },
        {
          UpdateId: '0F0E2D3C-4B5A-6978-8A9B-0C1D2E3F4A5C', RevisionNumber: 101, DefaultTitle: 'An update without a classification or product',
          KnowledgebaseArticle: null, SecurityBulletin: null, MsrcSeverity: null, CreationDate: null, ArrivalDate: null,
          IsDeclined: true, ClassificationTitle: null, ProductTitles: [],
        },
      ],
      installations: [['1f0e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b', 'E4A1C9D2-7B3F-4C5E-9A8D-1B2C3D4E5F60', 2]],
      approvals: [
        {
          UpdateApprovalId: '5D1B0E4F-0C39-4C1E-8B44-3C9E2D7A6B10', UpdateId: 'E4A1C9D2-7B3F-4C5E-9A8D-1B2C3D4E5F60',
          ComputerTargetGroupId: 'A0A08746-4DBE-4A37-9ADF-9E7652C0B421', Action: 'Install', CreationDate: '2026-10-16T08:00:00.000', AdministratorName: null,
        },
      ],
    },
  };

  it('passes the ingest check, with exactly the columns the queries select', async () => {
    await expect(checkEnvelope(JSON.parse(JSON.stringify(sample)))).resolves.toBeDefined();
    const selected = (sql: string) =>
      [...sql.split(/\bFROM\b/)[0].matchAll(/\bAS (\w+),?\s*$/gm)].map((m) => m[1]);
    expect(Object.keys(sample.rows.computerTargets[0])).toEqual(selected(queries.COMPUTER_TARGETS));
    expect(Object.keys(sample.rows.targetGroups[0])).toEqual(selected(queries.TARGET_GROUPS));
    expect(Object.keys(sample.rows.groupMemberships[0])).toEqual(selected(queries.GROUP_MEMBERSHIPS));
    expect(Object.keys(sample.rows.updates[0])).toEqual([...selected(queries.UPDATES), 'ProductTitles']);
    expect(Object.keys(sample.rows.approvals[0])).toEqual(selected(queries.APPROVALS));
  });

  it('would be refused with a 65-character server id or a 101st product title, which the collector never writes', async () => {
    await expect(checkEnvelope({ ...sample, server: { ...sample.server, id: 'f'.repeat(65) } })).rejects.toThrow(/server\/id/);
    const many = { ...sample.rows.updates[0], ProductTitles: Array.from({ length: 101 }, (_, i) => `Product ${i}`) };
    await expect(checkEnvelope({ ...sample, rows: { ...sample.rows, updates: [many] } })).rejects.toThrow(/ProductTitles/);
    // The hash fallback is SHA-256 in hex: 64 characters, no prefix.
    expect(collector).toContain('[System.Security.Cryptography.SHA256]::Create()');
    expect(collector).toContain("$id = -join ($hash | ForEach-Object { $_.ToString('x2', $Invariant) })");
  });
});

describe('Register-PatchgraphWsusCollector.ps1', () => {
  const body = code(register);

  it('passes the collector only parameters it declares, and the key by file, never on the command line', () => {
    const declared = parameters(collector);
    const passed = [
      ...[...body.matchAll(/Format-Argument '(\w+)'/g)].map((m) => m[1]),
      ...[...body.matchAll(/\$arguments \+= ['"]-(\w+)/g)].map((m) => m[1]),
    ].filter((name) => name !== 'File');
    expect(passed).toEqual(expect.arrayContaining(['PatchgraphUrl', 'IngestKeyFile', 'LogFile', 'SqlServer', 'Database', 'IncludeNotApplicable', 'TimeoutSeconds']));
    for (const name of passed) expect({ name, declared: declared.has(name) }).toEqual({ name, declared: true });
    expect(passed).not.toContain('IngestKey');
  });

  it('keeps the key file private: inheritance cut, administrators and the task account only', () => {
    const acl = functionBody(body, 'Set-PrivateAcl');
    expect(acl).toContain('$acl.SetAccessRuleProtection($true, $false)');
    expect(body).toContain("$keyRules = @((New-Rule $administrators 'FullControl' $false), (New-Rule $accountSid 'Read' $false))");
    // The folder is locked before the key is written into it.
    expect(body.indexOf('Set-PrivateAcl $DataDirectory')).toBeLessThan(body.indexOf('WriteAllText($keyFile'));
  });

  it('registers a repeating task as SYSTEM or a gMSA', () => {
    expect(body).toMatch(/Register-ScheduledTask -TaskName \$TaskName -TaskPath \$TaskPath -Action \$action -Trigger \$trigger -Principal \$principal/);
    expect(body).toContain("New-ScheduledTaskPrincipal -UserId 'NT AUTHORITY\\SYSTEM' -LogonType ServiceAccount");
    expect(body).toContain('New-ScheduledTaskPrincipal -UserId $Account -LogonType Password');
    expect(parameters(register).get('IntervalHours')!.type).toBe('int');
    expect(register).toMatch(/\[int\] \$IntervalHours = 4/);
  });
});

const pwsh = (() => {
  const which = spawnSync('which', ['pwsh'], { encoding: 'utf8' });
  return which.status === 0 ? which.stdout.trim() : null;
})();
if (!pwsh) {
  // eslint-disable-next-line no-console
  console.log('pwsh is not installed here: the PowerShell parse check of the WSUS collector scripts is skipped.');
}

describe('both scripts', () => {
  it.each([
    ['Invoke-PatchgraphWsusCollector.ps1', collector],
    ['Register-PatchgraphWsusCollector.ps1', register],
  ])('%s is ASCII, since Windows PowerShell 5.1 reads a file without BOM in the ANSI code page', (_name, text) => {
    expect(text).toMatch(/^[\x09\x0a\x0d\x20-\x7e]*$/);
  });

  it.each([
    ['Invoke-PatchgraphWsusCollector.ps1', collector],
    ['Register-PatchgraphWsusCollector.ps1', register],
  ])('%s has its brackets paired outside comments and strings', (_name, text) => {
    expect(bracketProblem(text)).toBeNull();
  });

  it('the bracket check finds what it is for', () => {
    expect(bracketProblem('if ($a) { "x $($b.c)" ')).toMatch(/never closed/);
    expect(bracketProblem("$x = @{ a = '}' ; b = \"{`\"\" }")).toBeNull();
    expect(bracketProblem("$q = @'\nSELECT ( FROM\n'@\n(1)")).toBeNull();
    expect(bracketProblem('foo(1]')).toMatch(/closes '\('/);
    expect(bracketProblem("# (\n<# { #>\n'it''s'")).toBeNull();
    expect(bracketProblem('"$(if ($a) { 1 )"')).toMatch(/closes '\{'/);
  });
});

(pwsh ? describe : describe.skip)('PowerShell parser (pwsh)', () => {
  it.each([COLLECTOR, REGISTER])('parses %s without errors', (file) => {
    const command =
      `& { $t = $null; $e = $null; ` +
      `[void][System.Management.Automation.Language.Parser]::ParseFile('${file.replace(/'/g, "''")}', [ref]$t, [ref]$e); ` +
      `$e | ForEach-Object { '{0}:{1}: {2}' -f $_.Extent.StartLineNumber, $_.Extent.StartColumnNumber, $_.Message } }`;
    const run = spawnSync(pwsh!, ['-NoProfile', '-NonInteractive', '-Command', command], { encoding: 'utf8', timeout: 60_000 });
    expect(run.error).toBeUndefined();
    expect(run.stderr.trim()).toBe('');
    expect(run.stdout.trim()).toBe('');
    expect(run.status).toBe(0);
  });
});
