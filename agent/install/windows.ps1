# Vigie agent installer for Windows, served by the Vigie API, which writes into it the SHA-256 of the two files
# it downloads from the same server. In an elevated PowerShell (Windows PowerShell 5.1 or PowerShell 7):
#   & ([scriptblock]::Create((irm <server>/api/v1/agents/install/windows.ps1))) -Url <server> -Token <token>
#   & ([scriptblock]::Create((irm <server>/api/v1/agents/install/windows.ps1))) -Uninstall [-KeepData]
# It downloads the agent (vigie-agent.js) and the service wrapper (WinSW 1.17, saved as vigie-agent-service.exe),
# checks both, enrolls this machine, then `vigie-agent.js install-service` writes the WinSW configuration and
# registers and starts the Windows service "vigie-agent" (LocalSystem, automatic start, restarted on failure).
# Logs: %ProgramData%\Vigie Agent\logs\vigie-agent-service.err.log (JSON lines, rotated) and the Application
# event log (source vigie-agent). Running it again upgrades in place and keeps the machine's enrollment.
# Written and checked on Linux only: not yet run on a Windows machine.
[CmdletBinding(DefaultParameterSetName = 'Install')]
param(
  [Parameter(ParameterSetName = 'Install', Mandatory = $true)][string]$Url,
  [Parameter(ParameterSetName = 'Install', Mandatory = $true)][string]$Token,
  [Parameter(ParameterSetName = 'Uninstall', Mandatory = $true)][switch]$Uninstall,
  [Parameter(ParameterSetName = 'Uninstall')][switch]$KeepData
)
$ErrorActionPreference = 'Stop'
# Windows PowerShell 5.1 draws a progress bar per downloaded block, which makes downloads very slow.
$ProgressPreference = 'SilentlyContinue'
$AgentSha256 = '@@AGENT_SHA256@@'
$WinswSha256 = '@@WINSW_SHA256@@'
$Prefix = Join-Path $env:ProgramFiles 'Vigie Agent'
$DataDir = Join-Path $env:ProgramData 'Vigie Agent'
$ServiceName = 'vigie-agent'
$Script = Join-Path $Prefix 'vigie-agent.js'
$Winsw = Join-Path $Prefix 'vigie-agent-service.exe'
# What earlier versions of this installer registered instead of a service.
$OldTaskName = 'Vigie Agent'

$principal = New-Object Security.Principal.WindowsPrincipal([Security.Principal.WindowsIdentity]::GetCurrent())
if (-not $principal.IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)) { throw 'Run this from an elevated PowerShell (Administrator).' }

# A native program's exit code is what counts: its stderr must not become a terminating error (it would under
# 'Stop' when PowerShell redirects it, e.g. in a remote session).
function Invoke-Native([string]$What, [scriptblock]$Command) {
  $previous = $ErrorActionPreference
  $ErrorActionPreference = 'Continue'
  try { & $Command } finally { $ErrorActionPreference = $previous }
  if ($LASTEXITCODE -ne 0) { throw "$What failed (exit code $LASTEXITCODE)." }
}

function Remove-OldTask {
  $task = Get-ScheduledTask -TaskName $OldTaskName -ErrorAction SilentlyContinue
  if ($task) {
    Stop-ScheduledTask -TaskName $OldTaskName -ErrorAction SilentlyContinue
    Unregister-ScheduledTask -TaskName $OldTaskName -Confirm:$false
    Write-Host "Removed the scheduled task '$OldTaskName' of an earlier installation."
  }
}

# The service holds vigie-agent-service.exe and the data directory while it runs.
function Stop-AgentService {
  $service = Get-Service -Name $ServiceName -ErrorAction SilentlyContinue
  if ($service -and $service.Status -ne 'Stopped') { Stop-Service -Name $ServiceName -Force }
}

if ($Uninstall) {
  Remove-OldTask
  $node = (Get-Command node -ErrorAction SilentlyContinue).Source
  if ($node -and (Test-Path $Script) -and (Test-Path $Winsw)) {
    $uninstallArgs = @($Script, 'uninstall', '--data-dir', $DataDir)
    if ($KeepData) { $uninstallArgs += '--keep-data' }
    Invoke-Native 'vigie-agent uninstall' { & $node @uninstallArgs }
  } else {
    # Without Node or the agent's files: the service directly.
    if (Get-Service -Name $ServiceName -ErrorAction SilentlyContinue) {
      Stop-AgentService
      Invoke-Native "sc.exe delete $ServiceName" { & sc.exe delete $ServiceName | Out-Null }
    }
    if (-not $KeepData -and (Test-Path $DataDir)) { Remove-Item -Recurse -Force $DataDir }
  }
  if (Test-Path $Prefix) { Remove-Item -Recurse -Force $Prefix }
  Write-Host 'Vigie agent uninstalled.'
  return
}

$Url = $Url.TrimEnd('/')
$node = (Get-Command node -ErrorAction SilentlyContinue).Source
if (-not $node) { throw 'Node.js 20 or later is required: install it (winget install OpenJS.NodeJS.LTS) and run this again.' }
# No double quote inside the argument: Windows PowerShell 5.1 does not escape them for native programs.
$major = [int](& $node -p "process.versions.node.split('.')[0]")
if ($major -lt 20) { throw "Node.js $major is too old; 20 or later is required." }
# The service runs this node.exe as SYSTEM: if ordinary users can replace it (a per-user install), they can run
# code as SYSTEM. The Node.js installer puts it in Program Files, writable by administrators only.
$trusted = @($env:ProgramFiles, ${env:ProgramFiles(x86)}) | Where-Object { $_ -and $node.StartsWith("$_\", [StringComparison]::OrdinalIgnoreCase) }
if (-not $trusted) { Write-Warning "$node is outside Program Files: make sure only administrators can change it, since the service runs it as SYSTEM." }
# Downloads over TLS 1.2 on Windows PowerShell 5.1 whatever the .NET default.
[Net.ServicePointManager]::SecurityProtocol = [Net.ServicePointManager]::SecurityProtocol -bor [Net.SecurityProtocolType]::Tls12

function Get-Verified([string]$Name, [string]$Target, [string]$Sha256) {
  $download = "$Target.download"
  Invoke-WebRequest -UseBasicParsing -Uri "$Url/api/v1/agents/install/$Name" -OutFile $download
  if ((Get-FileHash -Algorithm SHA256 $download).Hash.ToLower() -ne $Sha256) {
    Remove-Item -Force $download
    throw "The downloaded $Name does not match its checksum."
  }
  Move-Item -Force $download $Target
}

Remove-OldTask
Stop-AgentService
New-Item -ItemType Directory -Force -Path $Prefix | Out-Null
Get-Verified 'vigie-agent.js' $Script $AgentSha256
Get-Verified 'winsw.exe' $Winsw $WinswSha256

# The data directory holds the machine's credentials: SYSTEM and Administrators only (by inheritance from
# ProgramData, Users could read it). SIDs rather than names: the names are translated on non-English Windows.
New-Item -ItemType Directory -Force -Path $DataDir | Out-Null
Invoke-Native "icacls $DataDir" { & icacls.exe $DataDir /inheritance:r /grant:r '*S-1-5-18:(OI)(CI)F' '*S-1-5-32-544:(OI)(CI)F' | Out-Null }

if (Test-Path (Join-Path $DataDir 'agent.json')) {
  Write-Host "This machine is already enrolled ($DataDir): it keeps its identity; the token was not used."
} else {
  Invoke-Native 'Enrollment' { & $node $Script enroll --url $Url --token $Token --data-dir $DataDir }
}
# Writes vigie-agent-service.xml beside WinSW, then installs and starts the service (restarts it on an upgrade).
Invoke-Native 'Installing the service' { & $node $Script install-service --data-dir $DataDir }
Write-Host "Vigie agent installed and running as the Windows service '$ServiceName'."
Write-Host "Status: & '$node' '$Script' status --data-dir '$DataDir'   Logs: $DataDir\logs\vigie-agent-service.err.log"
