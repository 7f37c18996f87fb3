<#
.SYNOPSIS
    Reads this WSUS server's SUSDB public views and uploads one gzip-compressed JSON snapshot to patchgraph.

.DESCRIPTION
    WSUS usually keeps SUSDB on Windows Internal Database, which only answers local named pipes, so patchgraph
    cannot read it from elsewhere. This script runs on the WSUS server (usually as a scheduled task, see
    Register-PatchgraphWsusCollector.ps1), reads the PUBLIC_VIEWS rows patchgraph needs, and POSTs them as one
    snapshot in the format of connectors/wsus/envelope.schema.json.

    It only reads. It sends computers, target groups, updates, per-computer update states and approvals; never
    credentials, never user data.

    Exit codes: 0 success (or dry run), 1 bad parameters or setup, 2 SUSDB could not be read, 3 patchgraph could
    not be reached (network, TLS, timeout), 4 patchgraph refused the snapshot (4xx), 5 patchgraph failed (5xx or
    an answer that is not JSON).

.PARAMETER PatchgraphUrl
    The WSUS connector instance's ingest URL, https://<patchgraph>/ingest/wsus/<instance id>.

.PARAMETER IngestKeyFile
    A file holding the instance's ingest key, readable only by the account that runs this script. Preferred over
    -IngestKey, whose value would show in the task's command line and in transcripts.

.PARAMETER IngestKey
    The ingest key itself, for a one-off run by hand.

.PARAMETER SqlServer
    Where SUSDB is: the Windows Internal Database pipe (the default; WSUS 3 on Windows Server 2008 used
    np:\\.\pipe\MSSQL$MICROSOFT##SSEE\sql\query), or a SQL Server name such as SQLHOST or SQLHOST\INSTANCE.

.PARAMETER Database
    The WSUS database name, SUSDB unless WSUS was installed otherwise.

.PARAMETER IncludeNotApplicable
    Also send the "not applicable" (State 1) rows, usually most of SUSDB's installation rows.

.PARAMETER OutFile
    Also write the gzip snapshot to this file, to inspect what would be sent. With -WhatIf, or without
    -PatchgraphUrl, nothing is uploaded.

.PARAMETER TimeoutSeconds
    Limit for each SQL query and for the upload.

.PARAMETER ServerId
    Pins the server id sent in the snapshot. By default it is the WSUS ServerId when the UpdateServices module can
    read it, else a stable hash of this machine and its SQL server name.

.PARAMETER Proxy
    An HTTP proxy for the upload, such as http://proxy.example:3128 (the account's default proxy otherwise).

.PARAMETER LogFile
    Append this run's output to a transcript file (kept under about 5 MB; the previous one is kept as .1).

.EXAMPLE
    .\Invoke-PatchgraphWsusCollector.ps1 -OutFile C:\Temp\wsus-snapshot.json.gz -WhatIf
    Reads SUSDB and writes the snapshot to a file without uploading it.

.EXAMPLE
    .\Invoke-PatchgraphWsusCollector.ps1 -PatchgraphUrl https://patchgraph.example/ingest/wsus/<instance id> -IngestKeyFile C:\ProgramData\patchgraph\wsus-collector\ingest.key
#>
#Requires -Version 5.1
[CmdletBinding(SupportsShouldProcess = $true)]
param(
    [string] $PatchgraphUrl,
    [string] $IngestKey,
    [string] $IngestKeyFile,
    [string] $SqlServer = 'np:\\.\pipe\MICROSOFT##WID\tsql\query',
    [string] $Database = 'SUSDB',
    [switch] $IncludeNotApplicable,
    [string] $OutFile,
    [ValidateRange(5, 7200)]
    [int] $TimeoutSeconds = 600,
    [ValidateLength(1, 64)]
    [string] $ServerId,
    [string] $Proxy,
    [string] $LogFile
)

Set-StrictMode -Version 2.0
$ErrorActionPreference = 'Stop'

$CollectorName = 'patchgraph-wsus-collector'
$CollectorVersion = '1.0.0'
$EnvelopeFormat = 'patchgraph-wsus-snapshot'
$EnvelopeVersion = 1
# The envelope allows at most 100 product titles per update.
$MaxProductTitles = 100

$ExitOk = 0
$ExitUsage = 1
$ExitSusdb = 2
$ExitNetwork = 3
$ExitRefused = 4
$ExitServer = 5

# The SQL is the same text as connectors/wsus/susdb/queries.ts, which patchgraph runs itself where SUSDB is on a
# SQL Server it can reach; a test keeps the two copies identical. Edit both or neither.
$Queries = @{
    COMPUTER_TARGETS = @'
SELECT
    CONVERT(varchar(36), ct.ComputerTargetId) AS ComputerTargetId,
    ct.Name AS Name,
    ct.IPAddress AS IPAddress,
    ct.LastSyncResult AS LastSyncResult,
    ct.LastSyncTime AS LastSyncTime,
    ct.LastReportedStatusTime AS LastReportedStatusTime,
    ct.ClientVersion AS ClientVersion,
    ct.OSArchitecture AS OSArchitecture,
    ct.Make AS Make,
    ct.Model AS Model,
    ct.BiosName AS BiosName,
    ct.BiosVersion AS BiosVersion,
    ct.OSMajorVersion AS OSMajorVersion,
    ct.OSMinorVersion AS OSMinorVersion,
    ct.OSBuildNumber AS OSBuildNumber,
    ct.OSServicePackMajorNumber AS OSServicePackMajorNumber,
    ct.OSDefaultUILanguage AS OSDefaultUILanguage
FROM PUBLIC_VIEWS.vComputerTarget AS ct
ORDER BY ct.ComputerTargetId
'@
    TARGET_GROUPS = @'
SELECT
    CONVERT(varchar(36), g.ComputerTargetGroupId) AS ComputerTargetGroupId,
    CONVERT(varchar(36), g.ParentTargetGroupId) AS ParentTargetGroupId,
    g.Name AS Name
FROM PUBLIC_VIEWS.vComputerTargetGroup AS g
ORDER BY g.ComputerTargetGroupId
'@
    GROUP_MEMBERSHIPS = @'
SELECT
    CONVERT(varchar(36), m.ComputerTargetId) AS ComputerTargetId,
    CONVERT(varchar(36), m.ComputerTargetGroupId) AS ComputerTargetGroupId,
    m.IsExplicitMember AS IsExplicitMember
FROM PUBLIC_VIEWS.vComputerGroupMembership AS m
ORDER BY m.ComputerTargetId, m.ComputerTargetGroupId
'@
    UPDATES = @'
SELECT
    CONVERT(varchar(36), u.UpdateId) AS UpdateId,
    u.RevisionNumber AS RevisionNumber,
    u.DefaultTitle AS DefaultTitle,
    u.KnowledgebaseArticle AS KnowledgebaseArticle,
    u.SecurityBulletin AS SecurityBulletin,
    u.MsrcSeverity AS MsrcSeverity,
    u.CreationDate AS CreationDate,
    u.ArrivalDate AS ArrivalDate,
    u.IsDeclined AS IsDeclined,
    c.DefaultTitle AS ClassificationTitle
FROM PUBLIC_VIEWS.vUpdate AS u
LEFT JOIN PUBLIC_VIEWS.vClassification AS c ON c.ClassificationId = u.ClassificationId
ORDER BY u.UpdateId, u.RevisionNumber
'@
    UPDATE_PRODUCTS = @'
SELECT DISTINCT
    CONVERT(varchar(36), uic.UpdateId) AS UpdateId,
    c.DefaultTitle AS ProductTitle
FROM PUBLIC_VIEWS.vUpdateInCategory AS uic
INNER JOIN PUBLIC_VIEWS.vCategory AS c ON c.CategoryId = uic.CategoryId
WHERE c.CategoryType = N'Product'
ORDER BY UpdateId, ProductTitle
'@
    INSTALLATIONS = @'
SELECT
    CONVERT(varchar(36), i.ComputerTargetId) AS ComputerTargetId,
    CONVERT(varchar(36), i.UpdateId) AS UpdateId,
    i.State AS State
FROM PUBLIC_VIEWS.vUpdateInstallationInfoBasic AS i
WHERE i.State <> 1
ORDER BY i.ComputerTargetId, i.UpdateId
'@
    INSTALLATIONS_INCLUDING_NOT_APPLICABLE = @'
SELECT
    CONVERT(varchar(36), i.ComputerTargetId) AS ComputerTargetId,
    CONVERT(varchar(36), i.UpdateId) AS UpdateId,
    i.State AS State
FROM PUBLIC_VIEWS.vUpdateInstallationInfoBasic AS i
ORDER BY i.ComputerTargetId, i.UpdateId
'@
    APPROVALS = @'
SELECT
    CONVERT(varchar(36), a.UpdateApprovalId) AS UpdateApprovalId,
    CONVERT(varchar(36), a.UpdateId) AS UpdateId,
    CONVERT(varchar(36), a.ComputerTargetGroupId) AS ComputerTargetGroupId,
    a.Action AS Action,
    a.CreationDate AS CreationDate,
    CAST(NULL AS nvarchar(255)) AS AdministratorName
FROM PUBLIC_VIEWS.vUpdateApproval AS a
ORDER BY a.UpdateApprovalId
'@
}

$Invariant = [System.Globalization.CultureInfo]::InvariantCulture
# SUSDB keeps UTC without an offset, and the envelope carries it the same way: adding 'Z' here would be a claim
# the database never made.
$SusdbTimeFormat = "yyyy-MM-dd'T'HH:mm:ss.fff"
# Characters JSON requires escaped: quote, backslash and the C0 controls.
$JsonSpecialChars = [char[]](@(34, 92) + (0..31))
$script:TranscriptStarted = $false

function Exit-Collector([int] $Code, [string] $Message) {
    if ($Message) {
        if ($Code -eq $ExitOk) { Write-Output $Message } else { Write-Error -Message $Message -ErrorAction Continue }
    }
    if ($script:TranscriptStarted) { try { Stop-Transcript | Out-Null } catch { } }
    exit $Code
}

function Get-ExceptionText($Exception) {
    $messages = New-Object System.Collections.Generic.List[string]
    $e = $Exception
    while ($null -ne $e) {
        # PowerShell wraps .NET failures in MethodInvocationException; its message repeats the inner one.
        if (-not ($e -is [System.Management.Automation.MethodInvocationException]) -and -not $messages.Contains($e.Message)) {
            $messages.Add($e.Message)
        }
        $e = $e.InnerException
    }
    return ($messages -join ' -> ')
}

function Find-Exception($Exception, [type] $Type) {
    $e = $Exception
    while ($null -ne $e) {
        if ($e -is $Type) { return $e }
        $e = $e.InnerException
    }
    return $null
}

function Format-JsonString([string] $Value) {
    if ($Value.IndexOfAny($JsonSpecialChars) -lt 0) { return '"' + $Value + '"' }
    $sb = New-Object System.Text.StringBuilder ($Value.Length + 16)
    [void]$sb.Append('"')
    foreach ($ch in $Value.ToCharArray()) {
        $code = [int]$ch
        if ($code -eq 34) { [void]$sb.Append('\"') }
        elseif ($code -eq 92) { [void]$sb.Append('\\') }
        elseif ($code -eq 10) { [void]$sb.Append('\n') }
        elseif ($code -eq 13) { [void]$sb.Append('\r') }
        elseif ($code -eq 9) { [void]$sb.Append('\t') }
        elseif ($code -lt 32) { [void]$sb.Append('\u').Append($code.ToString('x4', $Invariant)) }
        else { [void]$sb.Append($ch) }
    }
    [void]$sb.Append('"')
    return $sb.ToString()
}

function Format-JsonStringOrNull($Value) {
    if ($null -eq $Value -or $Value -is [System.DBNull] -or [string]$Value -eq '') { return 'null' }
    return (Format-JsonString ([string]$Value))
}

function Start-CollectorTranscript([string] $Path) {
    $full = $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($Path)
    $directory = [System.IO.Path]::GetDirectoryName($full)
    if ($directory -and -not [System.IO.Directory]::Exists($directory)) { [void][System.IO.Directory]::CreateDirectory($directory) }
    # A scheduled task appends every few hours for years; keep one previous file instead of an ever-growing one.
    if ([System.IO.File]::Exists($full) -and (New-Object System.IO.FileInfo $full).Length -gt 5MB) {
        [System.IO.File]::Copy($full, $full + '.1', $true)
        [System.IO.File]::Delete($full)
    }
    # -WhatIf would otherwise suppress the transcript of the very run one wants to inspect.
    Start-Transcript -Path $full -Append -WhatIf:$false | Out-Null
    $script:TranscriptStarted = $true
}

function Read-IngestKey {
    if ($IngestKey -and $IngestKeyFile) { Exit-Collector $ExitUsage 'Give -IngestKey or -IngestKeyFile, not both.' }
    if ($IngestKey) { return $IngestKey.Trim() }
    if (-not $IngestKeyFile) { Exit-Collector $ExitUsage 'Uploading needs the ingest key: give -IngestKeyFile (preferred) or -IngestKey.' }
    $path = $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($IngestKeyFile)
    if (-not [System.IO.File]::Exists($path)) { Exit-Collector $ExitUsage "The ingest key file $path does not exist, or this account ($([Security.Principal.WindowsIdentity]::GetCurrent().Name)) cannot see it." }
    Test-KeyFileAcl $path
    try { $key = [System.IO.File]::ReadAllText($path).Trim() }
    catch { Exit-Collector $ExitUsage "Cannot read the ingest key file ${path}: $(Get-ExceptionText $_.Exception)" }
    if (-not $key) { Exit-Collector $ExitUsage "The ingest key file $path is empty." }
    return $key
}

function Test-KeyFileAcl([string] $Path) {
    # Anyone who can read the key can post snapshots for this server; say so while it is cheap to fix.
    $broad = @{ 'S-1-1-0' = 'Everyone'; 'S-1-5-11' = 'Authenticated Users'; 'S-1-5-32-545' = 'Users'; 'S-1-5-4' = 'INTERACTIVE' }
    try {
        foreach ($rule in (Get-Acl -LiteralPath $Path).Access) {
            if ($rule.AccessControlType -ne [System.Security.AccessControl.AccessControlType]::Allow) { continue }
            if (($rule.FileSystemRights -band [System.Security.AccessControl.FileSystemRights]::ReadData) -eq 0) { continue }
            try { $sid = $rule.IdentityReference.Translate([System.Security.Principal.SecurityIdentifier]).Value } catch { continue }
            if ($broad.ContainsKey($sid)) {
                Write-Warning "$($broad[$sid]) can read the ingest key file $Path. Restrict it to the account that runs the collector (Register-PatchgraphWsusCollector.ps1 does)."
            }
        }
    } catch {
        Write-Verbose "Could not check the ACL of ${Path}: $(Get-ExceptionText $_.Exception)"
    }
}

function Test-PatchgraphUrl([string] $Url) {
    $uri = $null
    if (-not [System.Uri]::TryCreate($Url, [System.UriKind]::Absolute, [ref]$uri)) { Exit-Collector $ExitUsage "-PatchgraphUrl '$Url' is not an absolute URL." }
    # The ingest key travels in a header: plain HTTP is only tolerated to this machine itself, for testing.
    if ($uri.Scheme -ne 'https' -and -not ($uri.Scheme -eq 'http' -and $uri.IsLoopback)) {
        Exit-Collector $ExitUsage "-PatchgraphUrl must be an https:// URL (got $($uri.Scheme)://)."
    }
    return $uri
}

function Get-WsusSetup {
    return (Get-ItemProperty -Path 'HKLM:\SOFTWARE\Microsoft\Update Services\Server\Setup' -ErrorAction SilentlyContinue)
}

function Get-SetupValue($Setup, [string] $Name) {
    if ($null -ne $Setup -and $Setup.PSObject.Properties[$Name]) { return [string]$Setup.PSObject.Properties[$Name].Value }
    return $null
}

function Get-ServerIdentity {
    $setup = Get-WsusSetup
    $id = $ServerId
    $version = $null
    if (Get-Module -ListAvailable -Name UpdateServices) {
        try {
            Import-Module UpdateServices -ErrorAction Stop -Verbose:$false
            $wsus = Get-WsusServer -ErrorAction Stop
            if (-not $id) { $id = $wsus.GetConfiguration().ServerId.ToString() }
            $version = $wsus.Version.ToString()
        } catch {
            # Reading SUSDB needs PublicViewAccess only; the admin API needs WSUS Administrators. A collector
            # account may well have the first and not the second, so this is not an error.
            Write-Verbose "UpdateServices could not read the WSUS server id: $(Get-ExceptionText $_.Exception)"
        }
    }
    if (-not $id) {
        # A hash rather than a name, so that renaming the machine keeps the id and nothing guessable is sent.
        $machine = $null
        $crypto = Get-ItemProperty -Path 'HKLM:\SOFTWARE\Microsoft\Cryptography' -ErrorAction SilentlyContinue
        if ($null -ne $crypto -and $crypto.PSObject.Properties['MachineGuid']) { $machine = [string]$crypto.MachineGuid }
        if (-not $machine) { $machine = $env:COMPUTERNAME }
        $seed = ('wsus|' + $machine + '|' + (Get-SetupValue $setup 'SqlServerName') + '|' + $Database).ToLowerInvariant()
        $sha = [System.Security.Cryptography.SHA256]::Create()
        try { $hash = $sha.ComputeHash([System.Text.Encoding]::UTF8.GetBytes($seed)) } finally { $sha.Dispose() }
        $id = -join ($hash | ForEach-Object { $_.ToString('x2', $Invariant) })
    }
    if (-not $version) {
        $version = Get-SetupValue $setup 'VersionString'
        $targetDir = Get-SetupValue $setup 'TargetDir'
        if (-not $version -and $targetDir) {
            $wsusUtil = Join-Path $targetDir 'Tools\WsusUtil.exe'
            if ([System.IO.File]::Exists($wsusUtil)) { $version = [System.Diagnostics.FileVersionInfo]::GetVersionInfo($wsusUtil).ProductVersion }
        }
    }
    $properties = [System.Net.NetworkInformation.IPGlobalProperties]::GetIPGlobalProperties()
    $name = $properties.HostName
    if ($properties.DomainName) { $name = $properties.HostName + '.' + $properties.DomainName }
    if ($version -and $version.Length -gt 64) { $version = $version.Substring(0, 64) }
    return @{ Id = $id; Name = $name.ToLowerInvariant(); Version = $version }
}

function New-SusdbCommand($Connection, [string] $Sql) {
    $command = $Connection.CreateCommand()
    $command.CommandText = $Sql
    $command.CommandTimeout = $TimeoutSeconds
    return $command
}

function Get-ColumnKinds($Reader) {
    $kinds = New-Object string[] $Reader.FieldCount
    for ($i = 0; $i -lt $Reader.FieldCount; $i++) {
        $type = $Reader.GetFieldType($i)
        if ($type -eq [string]) { $kinds[$i] = 'string' }
        elseif ($type -eq [bool]) { $kinds[$i] = 'bool' }
        elseif ($type -eq [datetime]) { $kinds[$i] = 'datetime' }
        elseif ($type -eq [guid]) { $kinds[$i] = 'guid' }
        elseif ($type -eq [byte] -or $type -eq [int16] -or $type -eq [int32] -or $type -eq [int64] -or $type -eq [decimal] -or $type -eq [double] -or $type -eq [single]) { $kinds[$i] = 'number' }
        else { $kinds[$i] = 'text' }
    }
    return , $kinds
}

# Writes each row as a JSON object keyed by the query's column names. Updates also get ProductTitles from
# $ProductTitles (UpdateId -> list of titles). Returns the number of rows.
function Write-ObjectRows($Connection, [string] $Sql, $Writer, [hashtable] $ProductTitles) {
    $command = New-SusdbCommand $Connection $Sql
    $reader = $command.ExecuteReader()
    try {
        $count = $reader.FieldCount
        $keys = New-Object string[] $count
        for ($i = 0; $i -lt $count; $i++) { $keys[$i] = (Format-JsonString $reader.GetName($i)) + ':' }
        $kinds = Get-ColumnKinds $reader
        $updateIdOrdinal = -1
        if ($null -ne $ProductTitles) { $updateIdOrdinal = $reader.GetOrdinal('UpdateId') }
        $values = New-Object object[] $count
        $rows = 0
        while ($reader.Read()) {
            [void]$reader.GetValues($values)
            if ($rows -gt 0) { $Writer.Write(',') }
            $Writer.Write('{')
            for ($i = 0; $i -lt $count; $i++) {
                if ($i -gt 0) { $Writer.Write(',') }
                $Writer.Write($keys[$i])
                $value = $values[$i]
                $kind = $kinds[$i]
                if ($value -is [System.DBNull]) { $Writer.Write('null') }
                elseif ($kind -eq 'string') {
                    if ($value.IndexOfAny($JsonSpecialChars) -lt 0) { $Writer.Write('"' + $value + '"') } else { $Writer.Write((Format-JsonString $value)) }
                }
                elseif ($kind -eq 'number') { $Writer.Write($value.ToString($Invariant)) }
                elseif ($kind -eq 'bool') { if ($value) { $Writer.Write('true') } else { $Writer.Write('false') } }
                elseif ($kind -eq 'datetime') { $Writer.Write('"' + $value.ToString($SusdbTimeFormat, $Invariant) + '"') }
                elseif ($kind -eq 'guid') { $Writer.Write('"' + $value.ToString() + '"') }
                else { $Writer.Write((Format-JsonString ([string]$value))) }
            }
            if ($updateIdOrdinal -ge 0) {
                $Writer.Write(',"ProductTitles":[')
                $titles = $null
                if (-not ($values[$updateIdOrdinal] -is [System.DBNull])) { $titles = $ProductTitles[[string]$values[$updateIdOrdinal]] }
                if ($null -ne $titles) {
                    $n = [Math]::Min($titles.Count, $MaxProductTitles)
                    for ($k = 0; $k -lt $n; $k++) {
                        if ($k -gt 0) { $Writer.Write(',') }
                        $Writer.Write((Format-JsonString $titles[$k]))
                    }
                }
                $Writer.Write(']')
            }
            $Writer.Write('}')
            $rows++
        }
        return $rows
    } finally {
        $reader.Dispose()
        $command.Dispose()
    }
}

# Installations are most of the snapshot (hundreds of thousands of rows), so they are written as bare
# [ComputerTargetId, UpdateId, State] triples in a loop without per-value function calls. Returns the row count.
function Write-InstallationRows($Connection, [string] $Sql, $Writer) {
    $command = New-SusdbCommand $Connection $Sql
    $reader = $command.ExecuteReader()
    try {
        $rows = 0
        $skipped = 0
        while ($reader.Read()) {
            if ($reader.IsDBNull(0) -or $reader.IsDBNull(1) -or $reader.IsDBNull(2)) { $skipped++; continue }
            $computer = $reader.GetString(0)
            $update = $reader.GetString(1)
            # The ids are GUID text from CONVERT, but one stray quote would corrupt the whole document.
            if ($computer.IndexOfAny($JsonSpecialChars) -ge 0 -or $update.IndexOfAny($JsonSpecialChars) -ge 0) { $skipped++; continue }
            $state = [int]$reader.GetValue(2)
            if ($rows -gt 0) { $Writer.Write(',') }
            $Writer.Write('["' + $computer + '","' + $update + '",' + $state.ToString($Invariant) + ']')
            $rows++
        }
        if ($skipped -gt 0) { Write-Warning "Left out $skipped installation rows with a missing or malformed id." }
        return $rows
    } finally {
        $reader.Dispose()
        $command.Dispose()
    }
}

function Read-ProductTitles($Connection, [string] $Sql) {
    $titles = @{}
    $command = New-SusdbCommand $Connection $Sql
    $reader = $command.ExecuteReader()
    try {
        while ($reader.Read()) {
            if ($reader.IsDBNull(0) -or $reader.IsDBNull(1)) { continue }
            $updateId = $reader.GetString(0)
            $list = $titles[$updateId]
            if ($null -eq $list) {
                $list = New-Object System.Collections.Generic.List[string]
                $titles[$updateId] = $list
            }
            $list.Add($reader.GetString(1))
        }
    } finally {
        $reader.Dispose()
        $command.Dispose()
    }
    return $titles
}

function Get-SusdbFailureHint($Exception) {
    $sql = Find-Exception $Exception ([System.Data.SqlClient.SqlException])
    $account = [Security.Principal.WindowsIdentity]::GetCurrent().Name
    if ($null -ne $sql) {
        if ($sql.Number -in 18456, 4060, 916) {
            return "The account $account cannot open $Database. Add it to the PublicViewAccess role of $Database (local administrators have it; see README.md)."
        }
        if ($sql.Number -eq 229) {
            return "The account $account may not read the public views. Add it to the PublicViewAccess role of $Database (see README.md)."
        }
        if ($sql.Number -in 2, 53, 233, -1, 258) {
            $configured = Get-SetupValue (Get-WsusSetup) 'SqlServerName'
            $hint = "No SQL Server answered at '$SqlServer'."
            if ($configured) { $hint += " WSUS's setup names its database server '$configured': for MICROSOFT##WID use the default -SqlServer, for MICROSOFT##SSEE use np:\\.\pipe\MSSQL`$MICROSOFT##SSEE\sql\query, otherwise pass that name." }
            return $hint
        }
    }
    return "Check -SqlServer '$SqlServer' and -Database '$Database'."
}

# Reads SUSDB and writes the whole envelope, gzip-compressed, to $Path. Returns the row counts.
function Write-Snapshot([string] $Path, $Server) {
    $builder = New-Object System.Data.SqlClient.SqlConnectionStringBuilder
    $builder['Data Source'] = $SqlServer
    $builder['Initial Catalog'] = $Database
    $builder['Integrated Security'] = $true
    $builder['Application Name'] = "$CollectorName $CollectorVersion"
    $builder['Connect Timeout'] = [Math]::Min($TimeoutSeconds, 60)
    $connection = New-Object System.Data.SqlClient.SqlConnection -ArgumentList $builder.ConnectionString

    $counts = [ordered]@{}
    $fileStream = $null
    $writer = $null
    try {
        $connection.Open()
        # When the collector read SUSDB: patchgraph refuses a snapshot older than the last one it accepted.
        $generatedAt = [DateTime]::UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", $Invariant)
        # Products first: they are folded into each update while the updates stream past.
        $productTitles = Read-ProductTitles $connection $Queries['UPDATE_PRODUCTS']

        $fileStream = New-Object System.IO.FileStream -ArgumentList $Path, ([System.IO.FileMode]::Create), ([System.IO.FileAccess]::Write), ([System.IO.FileShare]::None)
        $gzip = New-Object System.IO.Compression.GZipStream -ArgumentList $fileStream, ([System.IO.Compression.CompressionMode]::Compress)
        # Streamed straight into gzip: the JSON of a large server (tens of MB) is never held in memory, and
        # ConvertTo-Json would take minutes over 600k rows and truncate at its depth limit.
        $writer = New-Object System.IO.StreamWriter -ArgumentList $gzip, (New-Object System.Text.UTF8Encoding -ArgumentList $false), 65536

        $writer.Write('{"format":' + (Format-JsonString $EnvelopeFormat) + ',"version":' + $EnvelopeVersion.ToString($Invariant))
        $writer.Write(',"server":{"id":' + (Format-JsonString $Server.Id) + ',"name":' + (Format-JsonString $Server.Name) + ',"version":' + (Format-JsonStringOrNull $Server.Version) + '}')
        $writer.Write(',"generatedAt":"' + $generatedAt + '"')
        $includes = 'false'
        if ($IncludeNotApplicable) { $includes = 'true' }
        $writer.Write(',"collector":{"name":' + (Format-JsonString $CollectorName) + ',"version":' + (Format-JsonString $CollectorVersion) + ',"powershell":' + (Format-JsonString $PSVersionTable.PSVersion.ToString()) + ',"includeNotApplicable":' + $includes + '}')
        $writer.Write(',"rows":{')

        $writer.Write('"computerTargets":[')
        $counts['computerTargets'] = Write-ObjectRows $connection $Queries['COMPUTER_TARGETS'] $writer $null
        $writer.Write('],"targetGroups":[')
        $counts['targetGroups'] = Write-ObjectRows $connection $Queries['TARGET_GROUPS'] $writer $null
        $writer.Write('],"groupMemberships":[')
        $counts['groupMemberships'] = Write-ObjectRows $connection $Queries['GROUP_MEMBERSHIPS'] $writer $null
        $writer.Write('],"updates":[')
        $counts['updates'] = Write-ObjectRows $connection $Queries['UPDATES'] $writer $productTitles
        $writer.Write('],"installations":[')
        $installations = $Queries['INSTALLATIONS']
        if ($IncludeNotApplicable) { $installations = $Queries['INSTALLATIONS_INCLUDING_NOT_APPLICABLE'] }
        $counts['installations'] = Write-InstallationRows $connection $installations $writer
        $writer.Write('],"approvals":[')
        $counts['approvals'] = Write-ObjectRows $connection $Queries['APPROVALS'] $writer $null
        $writer.Write(']}}')
    } finally {
        # Disposing the writer flushes and closes the gzip and file streams beneath it.
        if ($null -ne $writer) { $writer.Dispose() } elseif ($null -ne $fileStream) { $fileStream.Dispose() }
        $connection.Dispose()
    }
    return $counts
}

function Set-TlsProtocols {
    # Windows PowerShell runs on .NET Framework, which may still offer only TLS 1.0/1.1 unless told otherwise.
    # patchgraph wants 1.2 or later; 1.3 is added only where Windows has it (Server 2022, build 20348, and later),
    # because asking older Schannel for it breaks the handshake. PowerShell 7 leaves the choice to the OS.
    if ($PSVersionTable.PSEdition -eq 'Core') { return }
    $protocols = [System.Net.SecurityProtocolType]::Tls12
    if ([Enum]::GetNames([System.Net.SecurityProtocolType]) -contains 'Tls13' -and [Environment]::OSVersion.Version.Build -ge 20348) {
        $protocols = $protocols -bor [System.Net.SecurityProtocolType]'Tls13'
    }
    [System.Net.ServicePointManager]::SecurityProtocol = $protocols
}

function Send-Snapshot([System.Uri] $Uri, [string] $Key, [string] $Path) {
    Add-Type -AssemblyName System.Net.Http
    Set-TlsProtocols
    $handler = New-Object System.Net.Http.HttpClientHandler
    if ($Proxy) {
        $handler.Proxy = New-Object System.Net.WebProxy -ArgumentList $Proxy, $true
        $handler.Proxy.UseDefaultCredentials = $true
        $handler.UseProxy = $true
    }
    $client = New-Object System.Net.Http.HttpClient -ArgumentList $handler
    $client.Timeout = [TimeSpan]::FromSeconds($TimeoutSeconds)
    $stream = [System.IO.File]::OpenRead($Path)
    try {
        $request = New-Object System.Net.Http.HttpRequestMessage -ArgumentList ([System.Net.Http.HttpMethod]::Post), $Uri
        $request.Headers.Authorization = New-Object System.Net.Http.Headers.AuthenticationHeaderValue -ArgumentList 'Bearer', $Key
        $request.Headers.Accept.Add((New-Object System.Net.Http.Headers.MediaTypeWithQualityHeaderValue -ArgumentList 'application/json'))
        [void]$request.Headers.UserAgent.TryParseAdd("$CollectorName/$CollectorVersion")
        $content = New-Object System.Net.Http.StreamContent -ArgumentList $stream
        $content.Headers.ContentType = New-Object System.Net.Http.Headers.MediaTypeHeaderValue -ArgumentList 'application/json'
        $content.Headers.ContentEncoding.Add('gzip')
        $content.Headers.ContentLength = $stream.Length
        $request.Content = $content
        try {
            $response = $client.SendAsync($request).GetAwaiter().GetResult()
            $body = $response.Content.ReadAsStringAsync().GetAwaiter().GetResult()
        } catch {
            $text = Get-ExceptionText $_.Exception
            if ($null -ne (Find-Exception $_.Exception ([System.Threading.Tasks.TaskCanceledException]))) {
                Exit-Collector $ExitNetwork "The upload to $Uri timed out after $TimeoutSeconds s. Raise -TimeoutSeconds, or check the network path to patchgraph."
            }
            if ($null -ne (Find-Exception $_.Exception ([System.Security.Authentication.AuthenticationException]))) {
                Exit-Collector $ExitNetwork "TLS with $($Uri.Host) failed: $text. patchgraph needs TLS 1.2 or later and a certificate this server trusts (see README.md, TLS errors)."
            }
            Exit-Collector $ExitNetwork "Could not reach patchgraph at ${Uri}: $text"
        }
        return @{ Status = [int]$response.StatusCode; Reason = [string]$response.ReasonPhrase; Body = $body }
    } finally {
        $stream.Dispose()
        $client.Dispose()
    }
}

function Write-Answer($Answer, [System.Uri] $Uri) {
    $status = $Answer.Status
    $body = [string]$Answer.Body
    $parsed = $null
    try { $parsed = $body | ConvertFrom-Json } catch { $parsed = $null }

    if ($status -ge 200 -and $status -lt 300) {
        if ($null -eq $parsed) { Exit-Collector $ExitServer "patchgraph answered HTTP $status with something that is not JSON: $($body.Substring(0, [Math]::Min($body.Length, 500)))" }
        Write-Output "patchgraph accepted the snapshot (HTTP $status): $($body.Trim())"
        return
    }

    $code = $null
    $message = $body.Substring(0, [Math]::Min($body.Length, 1000))
    if ($null -ne $parsed -and $parsed.PSObject.Properties['error']) {
        $err = $parsed.error
        if ($err.PSObject.Properties['code']) { $code = [string]$err.code }
        if ($err.PSObject.Properties['message']) { $message = [string]$err.message }
    }
    $what = "patchgraph refused the snapshot: HTTP $status $($Answer.Reason)"
    if ($code) { $what += " ($code)" }
    $what += ": $message"
    $hints = @{
        400 = 'The upload was damaged on the way (a proxy that rewrites bodies?) or the collector is broken: try -OutFile to check the file.'
        401 = 'The ingest key was not accepted: check that the key file holds the ingestKey set on this WSUS connector instance, and that the instance id in -PatchgraphUrl is right. After changing the key, re-run Register-PatchgraphWsusCollector.ps1 -Force.'
        403 = 'The WSUS connector instance is disabled in patchgraph: enable it to accept snapshots.'
        409 = 'patchgraph already applied a newer snapshot for this instance: another collector posts to the same URL, or this server''s clock is behind.'
        413 = 'The snapshot is larger than patchgraph accepts: raise PATCHGRAPH_INGEST_MAX_UPLOAD_MB (compressed) or PATCHGRAPH_INGEST_MAX_SNAPSHOT_MB (uncompressed) on the patchgraph server, or leave out -IncludeNotApplicable.'
        422 = 'patchgraph could not accept the snapshot''s content: if patchgraph was upgraded, update this collector too.'
    }
    if ($code -eq 'SYNC_IN_PROGRESS') { $hints[409] = 'A sync of this instance was running; the next scheduled run will upload again.' }
    if ($hints.ContainsKey($status)) { $what += ' ' + $hints[$status] }
    if ($status -ge 500) { Exit-Collector $ExitServer ($what + ' The next scheduled run will try again.') }
    Exit-Collector $ExitRefused $what
}

# ---------------------------------------------------------------------------------------------------------------

if ($LogFile) {
    try { Start-CollectorTranscript $LogFile }
    catch { Write-Warning "Could not start the transcript ${LogFile}: $(Get-ExceptionText $_.Exception)" }
}

$upload = [bool]$PatchgraphUrl
if (-not $upload -and -not $OutFile -and -not $WhatIfPreference) {
    Exit-Collector $ExitUsage 'Give -PatchgraphUrl to upload, -OutFile to write the snapshot to a file, or both.'
}
$uri = $null
$key = $null
if ($upload) {
    $uri = Test-PatchgraphUrl $PatchgraphUrl
    # Read the key before spending minutes on SUSDB, so a missing key fails at once. A dry run may lack it.
    if (-not $WhatIfPreference -or $IngestKey -or $IngestKeyFile) { $key = Read-IngestKey }
}

try {
    [void][System.Data.SqlClient.SqlConnection]
} catch {
    Exit-Collector $ExitUsage 'System.Data.SqlClient is not available in this PowerShell. Run the collector with Windows PowerShell 5.1 (powershell.exe).'
}

$keepFile = [bool]$OutFile
if ($keepFile) {
    $snapshotPath = $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($OutFile)
} else {
    $snapshotPath = [System.IO.Path]::GetTempFileName()
}

$exitCode = $ExitOk
try {
    $server = Get-ServerIdentity
    $started = [DateTime]::UtcNow
    try {
        $counts = Write-Snapshot $snapshotPath $server
    } catch {
        # A half-written file is no snapshot; don't leave one where -OutFile would suggest a complete one.
        if ($keepFile -and [System.IO.File]::Exists($snapshotPath)) { [System.IO.File]::Delete($snapshotPath) }
        Exit-Collector $ExitSusdb "Reading SUSDB failed: $(Get-ExceptionText $_.Exception). $(Get-SusdbFailureHint $_.Exception)"
    }
    $seconds = [Math]::Round(([DateTime]::UtcNow - $started).TotalSeconds, 1)
    $size = (New-Object System.IO.FileInfo $snapshotPath).Length
    $summary = ($counts.Keys | ForEach-Object { "$_ $($counts[$_])" }) -join ', '
    Write-Output ("Read SUSDB on {0} as server {1} ({2}) in {3} s: {4}; {5:N0} bytes gzip." -f $SqlServer, $server.Name, $server.Id, $seconds, $summary, $size)
    if ($keepFile) { Write-Output "Wrote the snapshot to $snapshotPath." }

    if ($upload) {
        if ($PSCmdlet.ShouldProcess($uri.AbsoluteUri, 'Upload the WSUS snapshot')) {
            $answer = Send-Snapshot $uri $key $snapshotPath
            Write-Answer $answer $uri
        }
    } elseif (-not $keepFile) {
        Write-Output 'Dry run: nothing was uploaded or kept.'
    }
} finally {
    if (-not $keepFile -and [System.IO.File]::Exists($snapshotPath)) {
        try { [System.IO.File]::Delete($snapshotPath) } catch { Write-Warning "Could not delete the temporary snapshot ${snapshotPath}: $($_.Exception.Message)" }
    }
}
Exit-Collector $exitCode $null
