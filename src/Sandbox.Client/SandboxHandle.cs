namespace Sandbox.Client;

/// <summary>
/// One sandbox and what can be done with it: commands, files and its lifecycle, without passing the sandbox to every call.
/// <see cref="SandboxesClient.CreateAsync"/> returns one that deletes the sandbox when disposed:
/// <code>
/// await using var box = await client.Sandboxes.CreateAsync(new CreateSandboxRequest { TemplateName = "python" });
/// var result = await box.RunAsync("python3 -c 'print(6*7)'");
/// </code>
/// <see cref="SandboxesClient.Attach"/> and <see cref="SandboxesClient.OpenAsync"/> return one that leaves the sandbox
/// alone when disposed. Not thread-safe for <see cref="Sandbox"/> updates; commands and transfers may run concurrently.
/// </summary>
public sealed class SandboxHandle : IAsyncDisposable
{
    private readonly SandboxClient _client;
    private bool _disposed;

    internal SandboxHandle(SandboxClient client, Sandbox sandbox)
    {
        _client = client;
        Sandbox = sandbox;
    }

    /// <summary>The sandbox as last seen (refreshed by the lifecycle calls and <see cref="RefreshAsync"/>).</summary>
    public Sandbox Sandbox { get; private set; }

    /// <summary>The sandbox's name.</summary>
    public string Name => Sandbox.Name;

    /// <summary>
    /// Whether <see cref="DisposeAsync"/> deletes the sandbox: true for a handle from <see cref="SandboxesClient.CreateAsync"/>,
    /// false for one from <see cref="SandboxesClient.Attach"/> or <see cref="SandboxesClient.OpenAsync"/>.
    /// </summary>
    public bool DeleteOnDispose { get; set; }

    private Sandbox Keep(Sandbox sandbox) => Sandbox = sandbox;

    // ---------------------------------------------------------------- commands

    /// <summary>Runs a command to its end and returns its buffered result; see <see cref="CommandsClient.RunAsync(Sandbox, CommandRequest, CancellationToken)"/>.</summary>
    public Task<CommandResult> RunAsync(CommandRequest request, CancellationToken cancellationToken = default) =>
        _client.Commands.RunAsync(Sandbox, request, cancellationToken);

    /// <summary>Runs a command line with the defaults (<c>/bin/bash</c>, the default time-out) and returns its buffered result.</summary>
    public Task<CommandResult> RunAsync(string command, CancellationToken cancellationToken = default) =>
        RunAsync(new CommandRequest(command), cancellationToken);

    /// <summary>Starts a command whose output streams; see <see cref="CommandsClient.StartAsync(Sandbox, CommandRequest, CancellationToken)"/>.</summary>
    public Task<SandboxCommandSession> StartCommandAsync(CommandRequest request, CancellationToken cancellationToken = default) =>
        _client.Commands.StartAsync(Sandbox, request, cancellationToken);

    // ---------------------------------------------------------------- files

    /// <summary>Uploads a stream to <paramref name="path"/>; see <see cref="FilesClient.UploadAsync"/>.</summary>
    public Task<UploadResult> UploadAsync(string path, Stream content, SandboxProgressOptions<long>? options = null, CancellationToken cancellationToken = default) =>
        _client.Files.UploadAsync(Sandbox, path, content, options, cancellationToken);

    /// <summary>Uploads a local file to <paramref name="path"/>.</summary>
    public Task<UploadResult> UploadFileAsync(string localPath, string path, SandboxProgressOptions<long>? options = null, CancellationToken cancellationToken = default) =>
        _client.Files.UploadFileAsync(Sandbox, localPath, path, options, cancellationToken);

    /// <summary>Downloads <paramref name="path"/> into a stream; see <see cref="FilesClient.DownloadAsync"/>.</summary>
    public Task<long> DownloadAsync(string path, Stream destination, SandboxProgressOptions<long>? options = null, CancellationToken cancellationToken = default) =>
        _client.Files.DownloadAsync(Sandbox, path, destination, options, cancellationToken);

    /// <summary>Downloads <paramref name="path"/> to a local file.</summary>
    public Task<long> DownloadFileAsync(string path, string localPath, SandboxProgressOptions<long>? options = null, CancellationToken cancellationToken = default) =>
        _client.Files.DownloadFileAsync(Sandbox, path, localPath, options, cancellationToken);

    /// <summary>Opens <paramref name="path"/> for reading; dispose the result.</summary>
    public Task<SandboxDownload> OpenReadAsync(string path, CancellationToken cancellationToken = default) =>
        _client.Files.OpenReadAsync(Sandbox, path, cancellationToken);

    // ---------------------------------------------------------------- lifecycle

    /// <summary>Gets the sandbox again.</summary>
    public async Task<Sandbox> RefreshAsync(SandboxRequestOptions? options = null, CancellationToken cancellationToken = default) =>
        Keep(await _client.Sandboxes.GetAsync(Name, options, cancellationToken).ConfigureAwait(false));

    /// <summary>Stops the sandbox (its filesystem is kept).</summary>
    public async Task<Sandbox> StopAsync(SandboxRequestOptions? options = null, CancellationToken cancellationToken = default) =>
        Keep(await _client.Sandboxes.StopAsync(Name, options, cancellationToken).ConfigureAwait(false));

    /// <summary>Starts the stopped sandbox; see <see cref="WaitAsync"/> for when it is ready.</summary>
    public async Task<Sandbox> StartAsync(SandboxRequestOptions? options = null, CancellationToken cancellationToken = default) =>
        Keep(await _client.Sandboxes.StartAsync(Name, options, cancellationToken).ConfigureAwait(false));

    /// <summary>Pauses the sandbox (processes frozen, memory kept).</summary>
    public async Task<Sandbox> PauseAsync(SandboxRequestOptions? options = null, CancellationToken cancellationToken = default) =>
        Keep(await _client.Sandboxes.PauseAsync(Name, options, cancellationToken).ConfigureAwait(false));

    /// <summary>Resumes the paused sandbox.</summary>
    public async Task<Sandbox> ResumeAsync(SandboxRequestOptions? options = null, CancellationToken cancellationToken = default) =>
        Keep(await _client.Sandboxes.ResumeAsync(Name, options, cancellationToken).ConfigureAwait(false));

    /// <summary>Waits until the sandbox is ready; see <see cref="SandboxesClient.WaitForReadyAsync"/>.</summary>
    public async Task<Sandbox> WaitAsync(SandboxProgressOptions<SandboxStatusInfo>? options = null, CancellationToken cancellationToken = default) =>
        Keep(await _client.Sandboxes.WaitForReadyAsync(Name, options, cancellationToken).ConfigureAwait(false));

    /// <summary>Deletes the sandbox now (a later <see cref="DisposeAsync"/> does nothing).</summary>
    public async Task DeleteAsync(SandboxRequestOptions? options = null, CancellationToken cancellationToken = default)
    {
        await _client.Sandboxes.DeleteAsync(Name, options, cancellationToken).ConfigureAwait(false);
        DeleteOnDispose = false;
    }

    /// <summary>
    /// Deletes the sandbox when <see cref="DeleteOnDispose"/> is set (the default for a handle from
    /// <see cref="SandboxesClient.CreateAsync"/>); one already gone is not an error. Other failures are thrown.
    /// The client must not be disposed before its handles.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        if (!DeleteOnDispose) return;
        try
        {
            await _client.Sandboxes.DeleteAsync(Name).ConfigureAwait(false);
        }
        catch (SandboxNotFoundException)
        {
            // Already gone: what disposing wanted.
        }
    }

    /// <inheritdoc/>
    public override string ToString() => Name;
}
