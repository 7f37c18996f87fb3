<#
.SYNOPSIS
    Installs the patchgraph WSUS collector on this WSUS server and schedules it.

.DESCRIPTION
    Copies Invoke-PatchgraphWsusCollector.ps1 to a folder only administrators can change, stores the ingest key in
    a file only the task's account (and administrators) can read, and registers a scheduled task that runs the
    collector every few hours as SYSTEM or as a group managed service account (gMSA).

    Run it elevated, on the WSUS server, from the folder that holds both scripts. Running it again with -Force
    replaces the task, the installed script and the key (that is how a rotated key is installed).

.PARAMETER PatchgraphUrl
    The WSUS connector instance's ingest URL, https://<patchgraph>/ingest/wsus/<instance id>.

.PARAMETER IngestKey
    The instance's ingest key. Asked for (without echo) when not given.

.PARAMETER Account
    The account the task runs as: SYSTEM (the default; it is a local administrator, so it can read SUSDB on
    Windows Internal Database) or a gMSA such as CONTOSO\svc-pgwsus$ that is in SUSDB's PublicViewAccess role.

.PARAMETER IntervalHours
    How often the collector runs.

.PARAMETER RunNow
    Start the task once right after registering it.
#>
#Requires -RunAsAdministrator
[CmdletBinding(SupportsShouldProcess = $true)]
param(
    [Parameter(Mandatory = $true)]
    [string] $PatchgraphUrl,
    [System.Security.SecureString] $IngestKey,
    [string] $Account = 'NT AUTHORITY\SYSTEM',
    [ValidateSet('1', '2', '3', '4', '6', '8', '12', '24')]
    [int] $IntervalHours = 4,
    [string] $TaskName = 'patchgraph WSUS collector',
    [string] $TaskPath = '\patchgraph\',
    [string] $InstallDirectory = (Join-Path $env:ProgramFiles 'patchgraph\wsus-collector'),
    [string] $DataDirectory = (Join-Path $env:ProgramData 'patchgraph\wsus-collector'),
    [string] $SqlServer,
    [string] $Database,
    [switch] $IncludeNotApplicable,
    [ValidateRange(5, 7200)]
    [int] $TimeoutSeconds,
    [string] $Proxy,
    [switch] $RunNow,
    [switch] $Force
)

Set-StrictMode -Version 2.0
$ErrorActionPreference = 'Stop'

$CollectorScript = 'Invoke-PatchgraphWsusCollector.ps1'
$SystemSid = 'S-1-5-18'
$AdministratorsSid = 'S-1-5-32-544'

function Get-Sid([string] $Name) {
    try {
        return (New-Object System.Security.Principal.NTAccount -ArgumentList $Name).Translate([System.Security.Principal.SecurityIdentifier])
    } catch {
        throw "The account '$Name' is not known on this machine. A gMSA must be installed here first (Install-ADServiceAccount), see README.md."
    }
}

function New-Rule($Sid, [System.Security.AccessControl.FileSystemRights] $Rights, [bool] $Container) {
    $inheritance = [System.Security.AccessControl.InheritanceFlags]::None
    if ($Container) { $inheritance = [System.Security.AccessControl.InheritanceFlags]'ContainerInherit, ObjectInherit' }
    return New-Object System.Security.AccessControl.FileSystemAccessRule -ArgumentList $Sid, $Rights, $inheritance, ([System.Security.AccessControl.PropagationFlags]::None), ([System.Security.AccessControl.AccessControlType]::Allow)
}

# Replaces whatever the path inherited (ProgramData lets every user read) with exactly these rules.
function Set-PrivateAcl([string] $Path, [bool] $Container, $Rules) {
    if ($Container) { $acl = New-Object System.Security.AccessControl.DirectorySecurity } else { $acl = New-Object System.Security.AccessControl.FileSecurity }
    $acl.SetAccessRuleProtection($true, $false)
    $acl.SetOwner((New-Object System.Security.Principal.SecurityIdentifier -ArgumentList $AdministratorsSid))
    foreach ($rule in $Rules) { $acl.AddAccessRule($rule) }
    Set-Acl -LiteralPath $Path -AclObject $acl
}

function Get-PlainText([System.Security.SecureString] $Secure) {
    $bstr = [System.Runtime.InteropServices.Marshal]::SecureStringToBSTR($Secure)
    try { return [System.Runtime.InteropServices.Marshal]::PtrToStringBSTR($bstr) }
    finally { [System.Runtime.InteropServices.Marshal]::ZeroFreeBSTR($bstr) }
}

function Format-Argument([string] $Name, [string] $Value) {
    # Task Scheduler hands the argument line to powershell.exe as is; a quote inside a value would split it.
    if ($Value.Contains('"')) { throw "$Name must not contain a double quote." }
    if ($Value.EndsWith('\')) { $Value = $Value + '\' }
    return "-$Name `"$Value`""
}

# --- checks -----------------------------------------------------------------------------------------------------

$uri = $null
if (-not [System.Uri]::TryCreate($PatchgraphUrl, [System.UriKind]::Absolute, [ref]$uri) -or $uri.Scheme -ne 'https') {
    throw "-PatchgraphUrl must be an absolute https:// URL, such as https://patchgraph.example/ingest/wsus/<instance id>."
}

$accountSid = Get-Sid $Account
$isSystem = $accountSid.Value -eq $SystemSid
$isGmsa = $Account.EndsWith('$')
if (-not $isSystem -and -not $isGmsa) {
    # A user account would need its password stored with the task; SYSTEM and gMSAs need none.
    throw "-Account must be SYSTEM or a group managed service account (a name ending in `$)."
}

$source = Join-Path $PSScriptRoot $CollectorScript
if (-not (Test-Path -LiteralPath $source)) { throw "$CollectorScript must be in the same folder as this script ($PSScriptRoot)." }

$existing = Get-ScheduledTask -TaskName $TaskName -TaskPath $TaskPath -ErrorAction SilentlyContinue
if ($existing -and -not $Force) { throw "The task $TaskPath$TaskName already exists. Use -Force to replace it (and its key)." }

if (-not $IngestKey) { $IngestKey = Read-Host -AsSecureString -Prompt 'Ingest key of the WSUS connector instance' }
$key = (Get-PlainText $IngestKey).Trim()
if (-not $key) { throw 'The ingest key is empty.' }

$administrators = New-Object System.Security.Principal.SecurityIdentifier -ArgumentList $AdministratorsSid
$system = New-Object System.Security.Principal.SecurityIdentifier -ArgumentList $SystemSid

# --- the script, where only administrators can change it ---------------------------------------------------------

if ($PSCmdlet.ShouldProcess($InstallDirectory, "Install $CollectorScript")) {
    # The task runs this file with the account's rights, so whoever can edit it could run code as SYSTEM:
    # Program Files' inherited ACL (administrators and SYSTEM write, users read) is what keeps that closed.
    [void](New-Item -ItemType Directory -Path $InstallDirectory -Force)
    Copy-Item -LiteralPath $source -Destination (Join-Path $InstallDirectory $CollectorScript) -Force
}
$installed = Join-Path $InstallDirectory $CollectorScript

# --- the key and the log, readable only by the task's account ---------------------------------------------------

$keyFile = Join-Path $DataDirectory 'ingest.key'
$logFile = Join-Path $DataDirectory 'collector.log'
if ($PSCmdlet.ShouldProcess($keyFile, 'Store the ingest key')) {
    [void](New-Item -ItemType Directory -Path $DataDirectory -Force)
    # The folder's ACL is set before the key exists, so the key never inherits ProgramData's "Users: read".
    $folderRules = @((New-Rule $administrators 'FullControl' $true), (New-Rule $system 'FullControl' $true))
    if (-not $isSystem) { $folderRules += New-Rule $accountSid 'Modify' $true }
    Set-PrivateAcl $DataDirectory $true $folderRules

    [System.IO.File]::WriteAllText($keyFile, $key, (New-Object System.Text.UTF8Encoding -ArgumentList $false))
    # Administrators keep full control so they can rotate the key; they could take ownership anyway.
    $keyRules = @((New-Rule $administrators 'FullControl' $false), (New-Rule $accountSid 'Read' $false))
    Set-PrivateAcl $keyFile $false $keyRules
}
$key = $null

# --- the task ------------------------------------------------------------------------------------------------------

$arguments = @(
    '-NoProfile', '-NonInteractive', '-ExecutionPolicy Bypass',
    (Format-Argument 'File' $installed),
    (Format-Argument 'PatchgraphUrl' $uri.AbsoluteUri),
    (Format-Argument 'IngestKeyFile' $keyFile),
    (Format-Argument 'LogFile' $logFile)
)
if ($SqlServer) { $arguments += Format-Argument 'SqlServer' $SqlServer }
if ($Database) { $arguments += Format-Argument 'Database' $Database }
if ($IncludeNotApplicable) { $arguments += '-IncludeNotApplicable' }
if ($TimeoutSeconds) { $arguments += "-TimeoutSeconds $TimeoutSeconds" }
if ($Proxy) { $arguments += Format-Argument 'Proxy' $Proxy }

# Windows PowerShell 5.1 rather than pwsh: it is on every WSUS server and has System.Data.SqlClient built in.
$powershell = Join-Path $env:SystemRoot 'System32\WindowsPowerShell\v1.0\powershell.exe'
$action = New-ScheduledTaskAction -Execute $powershell -Argument ($arguments -join ' ') -WorkingDirectory $InstallDirectory

# A daily trigger repeated for one day, rather than a one-time trigger repeated forever: the latter needs
# -RepetitionDuration values that Windows Server 2012 R2 and 2016+ disagree on. The random minute spreads many
# WSUS servers' uploads over the hour.
$start = (Get-Date).Date.AddMinutes((Get-Random -Minimum 5 -Maximum 55))
$trigger = New-ScheduledTaskTrigger -Daily -At $start
if ($IntervalHours -lt 24) {
    $repeat = New-ScheduledTaskTrigger -Once -At $start -RepetitionInterval (New-TimeSpan -Hours $IntervalHours) -RepetitionDuration (New-TimeSpan -Days 1)
    $trigger.Repetition = $repeat.Repetition
}

if ($isSystem) {
    $principal = New-ScheduledTaskPrincipal -UserId 'NT AUTHORITY\SYSTEM' -LogonType ServiceAccount -RunLevel Highest
} else {
    # LogonType Password with no password is how Task Scheduler takes a gMSA: Windows fetches it from AD.
    $principal = New-ScheduledTaskPrincipal -UserId $Account -LogonType Password -RunLevel Highest
}

$settings = New-ScheduledTaskSettingsSet -StartWhenAvailable -MultipleInstances IgnoreNew -ExecutionTimeLimit (New-TimeSpan -Hours 2)
$description = "Uploads this WSUS server's SUSDB snapshot to patchgraph ($($uri.Host)) every $IntervalHours h. Log: $logFile. Installed by Register-PatchgraphWsusCollector.ps1."

if ($PSCmdlet.ShouldProcess("$TaskPath$TaskName", "Register the scheduled task as $Account every $IntervalHours h")) {
    [void](Register-ScheduledTask -TaskName $TaskName -TaskPath $TaskPath -Action $action -Trigger $trigger -Principal $principal -Settings $settings -Description $description -Force)
    Write-Output "Registered $TaskPath$TaskName as $Account, every $IntervalHours h from $($start.ToString('HH:mm'))."
    Write-Output "Script: $installed"
    Write-Output "Key:    $keyFile (readable by $Account and Administrators)"
    Write-Output "Log:    $logFile"
    if ($RunNow) {
        Start-ScheduledTask -TaskName $TaskName -TaskPath $TaskPath
        Write-Output "Started it once; see the log, or: Get-ScheduledTaskInfo -TaskName '$TaskName' -TaskPath '$TaskPath' (LastTaskResult 0 is success)."
    }
}
