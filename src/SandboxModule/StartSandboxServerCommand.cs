namespace SandboxModule;

/// <summary>
/// <para type="synopsis">Starts the local sandbox server that ships with the module.</para>
/// </summary>
[Cmdlet(VerbsLifecycle.Start, "SandboxServer", HelpUri = HelpLinks.Base + "Start-SandboxServer.md", SupportsShouldProcess = true)]
[OutputType(typeof(LocalServerInfo))]
public sealed class StartSandboxServerCommand : SandboxCmdlet
{
    /// <summary><para type="description">The TCP port (default 8765); 0 picks a free port, reported in the output's Endpoint.</para></summary>
    [Parameter]
    [ValidateRange(0, 65535)]
    public int Port { get; set; } = LocalServerOptions.DefaultPort;

    /// <summary><para type="description">Also serves leap0's data plane (HTTPS, https://{id}-{port}.sandbox.localhost:PORT) on this TCP port of -ListenAddress; 0 picks a free port. The output's DataPlaneDomain and DataPlaneCertificateAuthority say where it is and which CA its TLS chains to; Connect-Sandbox -Server $server -Provider Leap0 uses it for Get-SandboxUrl -InvokeUrl. Default: no data plane.</para></summary>
    [Parameter]
    [ValidateRange(0, 65535)]
    public int? DataPlanePort { get; set; }

    /// <summary><para type="description">The IP address to listen on (default 127.0.0.1; the server is meant for loopback only).</para></summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string ListenAddress { get; set; } = LocalServerOptions.DefaultListenAddress;

    /// <summary><para type="description">The data directory: state, API key file and log. Default: /var/lib/sandbox for root, else $XDG_DATA_HOME/sandbox or ~/.local/share/sandbox.</para></summary>
    [Parameter(Position = 0)]
    [ValidateNotNullOrEmpty]
    public string? DataDirectory { get; set; }

    /// <summary><para type="description">Time-to-live values must be multiples of this many seconds (the server's default is 60).</para></summary>
    [Parameter]
    [ValidateRange(1, 86400)]
    public int? TtlGranularity { get; set; }

    /// <summary><para type="description">Stops the server by itself once it has been idle this long: no API request, no running command or terminal session, and no running sandbox (running sandboxes keep it, since it is what stops them when they idle). 1 s to 30 d in whole seconds: seconds, 30m, 2h, or a TimeSpan; 0 never. Default: never (the server the module starts by itself when nothing is configured stops after 30 minutes).</para></summary>
    [Parameter]
    [DurationTransformation]
    public TimeSpan? IdleShutdown { get; set; }

    /// <summary><para type="description">The server: a self-contained Sandbox.Server or a Sandbox.Server.dll (run with dotnet). Default: SANDBOX_SERVER_PATH, else the module's server/linux-x64 or server/linux-arm64 folder (this machine's processor).</para></summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? ServerPath { get; set; }

    /// <summary><para type="description">Seconds to wait for the server to answer (default 60).</para></summary>
    [Parameter]
    [ValidateRange(1, 3600)]
    public int TimeoutSec { get; set; } = 60;

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        if (IdleShutdown is { } idle && idle != TimeSpan.Zero && (idle < TimeSpan.FromSeconds(1) || idle > TimeSpan.FromDays(30) || idle.Ticks % TimeSpan.TicksPerSecond != 0))
            FailArgument($"-IdleShutdown takes whole seconds from 1 s to 30 d (e.g. 30m, 2h, 90s), or 0 for never; got {idle}", "SandboxInvalidIdleShutdown", IdleShutdown);
        if (DataPlanePort is { } dataPlanePort && dataPlanePort != 0 && dataPlanePort == Port)
            FailArgument($"-DataPlanePort must differ from -Port (both are {Port}): the data plane is a second listener; give another port, or 0 for a free one",
                "SandboxInvalidDataPlanePort", DataPlanePort);
        var options = new LocalServerOptions
        {
            Port = Port,
            DataPlanePort = DataPlanePort,
            ListenAddress = ListenAddress,
            DataDirectory = DataDirectory is null ? null : GetUnresolvedProviderPathFromPSPath(DataDirectory),
            TtlGranularity = TtlGranularity,
            IdleShutdown = IdleShutdown == TimeSpan.Zero ? null : IdleShutdown,
            ServerPath = ServerPath is null ? LocalServerLocator.FindServer(ModuleDirectory) : GetUnresolvedProviderPathFromPSPath(ServerPath),
            StartTimeout = TimeSpan.FromSeconds(TimeoutSec),
        };
        var dataDir = options.ResolvedDataDirectory();
        if (!ShouldProcess($"{options.Endpoint} (data directory {dataDir})", "Start local sandbox server")) return;
        TryItem(dataDir, () =>
        {
            var (server, started) = Pump<(LocalServerInfo, bool), string>(
                (progress, ct) => LocalServerManager.Shared.StartAsync(options, progress, ct), WriteVerbose);
            if (!started)
                WriteWarning($"A local sandbox server already runs at {server.Endpoint} (data directory {server.DataDirectory})" +
                             (DataPlanePort is not null && server.DataPlaneDomain is null ? ", without a data plane: stop it with Stop-SandboxServer to start it with -DataPlanePort." : "."));
            WriteDataPlaneProblem(server);
            var state = ModuleState.Current;
            lock (state.Gate) state.LastServer = server;
            // The chain's next local connection goes to this server (EnsureLocalServer prefers the last one started).
            ModuleState.ForgetLocalChain(null);
            WriteObject(server);
        });
    }
}
