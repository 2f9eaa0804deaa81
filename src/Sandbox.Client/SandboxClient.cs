using Sandbox.Client.Protocol;

namespace Sandbox.Client;

/// <summary>
/// The root of the SDK: one connection (endpoint, key, HTTP pipeline) and a client per resource —
/// <see cref="Sandboxes"/>, <see cref="Templates"/>, <see cref="Snapshots"/>, <see cref="Pools"/>, <see cref="Volumes"/>, <see cref="Registries"/> —
/// plus each sandbox's dataplane (<see cref="Commands"/>, <see cref="Files"/>; or a <see cref="SandboxHandle"/>).
/// Thread-safe; create one per connection and reuse it. Every call takes a <see cref="CancellationToken"/> and has a
/// time-out (<see cref="SandboxRequestOptions"/>); failures are <see cref="SandboxApiException"/>s. Safe requests are
/// retried per <see cref="SandboxClientOptions.Retry"/>.
/// </summary>
public sealed class SandboxClient : IDisposable
{
    private readonly SandboxTransport _transport;

    /// <summary>Creates a client for the given settings.</summary>
    /// <param name="settings">The endpoint and key (see <see cref="SandboxConnectionSettings.Resolve"/>).</param>
    /// <param name="options">Time-outs, retries and transport; defaults when null.</param>
    public SandboxClient(SandboxConnectionSettings settings, SandboxClientOptions? options = null)
    {
        Settings = settings ?? throw new ArgumentNullException(nameof(settings));
        Options = options ?? new SandboxClientOptions();
        _transport = new SandboxTransport(Settings, Options, SandboxDialect.For(Settings, Options));
        Sandboxes = new SandboxesClient(this, _transport);
        Templates = new TemplatesClient(_transport);
        Snapshots = new SnapshotsClient(_transport);
        Pools = new PoolsClient(_transport);
        Volumes = new VolumesClient(_transport);
        Registries = new RegistriesClient(_transport);
        Commands = new CommandsClient(this, _transport);
        Files = new FilesClient(_transport);
    }

    /// <summary>Creates a client through the configuration chain (explicit values, environment, local server).</summary>
    /// <param name="endpoint">An explicit endpoint, or null.</param>
    /// <param name="apiKey">An explicit key, or null.</param>
    /// <param name="options">Client options.</param>
    /// <param name="environment">Where variables and files are read from; the process by default.</param>
    public static SandboxClient Create(string? endpoint = null, string? apiKey = null, SandboxClientOptions? options = null, SandboxEnvironment? environment = null) =>
        new(SandboxConnectionSettings.Resolve(endpoint, apiKey, environment), options);

    /// <summary>The endpoint and key in use.</summary>
    public SandboxConnectionSettings Settings { get; }

    /// <summary>The options in use.</summary>
    public SandboxClientOptions Options { get; }

    /// <summary>Sandboxes: create (a <see cref="SandboxHandle"/>), get, list, find, rename, delete, lifecycle, network policy, service URLs.</summary>
    public SandboxesClient Sandboxes { get; }

    /// <summary>Templates.</summary>
    public TemplatesClient Templates { get; }

    /// <summary>Snapshots (keyed by id).</summary>
    public SnapshotsClient Snapshots { get; }

    /// <summary>Pools of warm sandboxes.</summary>
    public PoolsClient Pools { get; }

    /// <summary>Volumes.</summary>
    public VolumesClient Volumes { get; }

    /// <summary>Container registries' credentials, which image snapshots are pulled with (current generation).</summary>
    public RegistriesClient Registries { get; }

    /// <summary>Commands in a sandbox (buffered or streamed).</summary>
    public CommandsClient Commands { get; }

    /// <summary>Files in a sandbox (upload, download).</summary>
    public FilesClient Files { get; }

    /// <summary>
    /// Proves the endpoint and the key with one cheap call (LangSmith: a one-item template list; leap0: a sandbox that
    /// cannot exist, whose 404 is the good answer).
    /// </summary>
    /// <exception cref="SandboxAuthenticationException">The key was refused.</exception>
    /// <exception cref="SandboxConnectionException">The endpoint cannot be reached.</exception>
    public async Task VerifyAsync(CancellationToken cancellationToken = default)
    {
        if (_transport.Dialect.Probe() is not { } probe)
        {
            await Templates.ListAsync(new SandboxPageQuery { Limit = 1 }, null, cancellationToken).ConfigureAwait(false);
            return;
        }
        try
        {
            await _transport.SendNoContentAsync(probe, null, null, cancellationToken).ConfigureAwait(false);
        }
        catch (SandboxNotFoundException)
        {
        }
    }

    /// <summary>The end of a connection error's message when the endpoint is the local server.</summary>
    public const string LocalServerHint = "Is the local sandbox server running?";

    /// <summary>Releases the connections.</summary>
    public void Dispose() => _transport.Dispose();
}
