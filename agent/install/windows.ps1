# Vigie agent installer for Windows, served by the Vigie API. It downloads the agent from the same server,
# checks its SHA-256, enrolls this machine and registers it to run at boot as SYSTEM, restarted on failure.
#   & ([scriptblock]::Create((irm <server>/api/v1/agents/install/windows.ps1))) -Url <server> -Token <token>
param(
  [Parameter(Mandatory = $true)][string]$Url,
  [Parameter(Mandatory = $true)][string]$Token
)
$ErrorActionPreference = 'Stop'
$AgentSha256 = '@@AGENT_SHA256@@'
$Prefix = Join-Path $env:ProgramFiles 'Vigie Agent'
$DataDir = Join-Path $env:ProgramData 'Vigie Agent'
$Url = $Url.TrimEnd('/')

$principal = New-Object Security.Principal.WindowsPrincipal([Security.Principal.WindowsIdentity]::GetCurrent())
if (-not $principal.IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)) { throw 'Run this from an elevated PowerShell (Administrator).' }
$node = (Get-Command node -ErrorAction SilentlyContinue).Source
if (-not $node) { throw 'Node.js 20 or later is required: install it (winget install OpenJS.NodeJS.LTS) and run this again.' }
$major = [int](& $node -p 'process.versions.node.split(".")[0]')
if ($major -lt 20) { throw "Node.js $major is too old; 20 or later is required." }

New-Item -ItemType Directory -Force -Path $Prefix | Out-Null
$script = Join-Path $Prefix 'vigie-agent.js'
Invoke-WebRequest -UseBasicParsing -Uri "$Url/api/v1/agents/install/vigie-agent.js" -OutFile "$script.download"
if ((Get-FileHash -Algorithm SHA256 "$script.download").Hash.ToLower() -ne $AgentSha256) { throw 'The downloaded agent does not match its checksum.' }
Move-Item -Force "$script.download" $script

& $node $script enroll --url $Url --token $Token --data-dir $DataDir
if ($LASTEXITCODE -ne 0) { throw "Enrollment failed (exit code $LASTEXITCODE)." }

# A scheduled task at startup as SYSTEM, restarted every minute if it stops; its log goes to a file.
$action = New-ScheduledTaskAction -Execute $node -Argument "`"$script`" run --data-dir `"$DataDir`"" -WorkingDirectory $Prefix
$trigger = New-ScheduledTaskTrigger -AtStartup
$settings = New-ScheduledTaskSettingsSet -RestartCount 9999 -RestartInterval (New-TimeSpan -Minutes 1) -ExecutionTimeLimit ([TimeSpan]::Zero) -AllowStartIfOnBatteries -DontStopIfGoingOnBatteries
Register-ScheduledTask -TaskName 'Vigie Agent' -Action $action -Trigger $trigger -Settings $settings -User 'SYSTEM' -RunLevel Highest -Force | Out-Null
Start-ScheduledTask -TaskName 'Vigie Agent'
Write-Host "Vigie agent installed and running. Status: node `"$script`" status --data-dir `"$DataDir`""
