using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;

namespace Sandbox.Client;

public sealed partial class SandboxClient
{
    /// <summary>The most stdin text sent inside the command line when the WebSocket is unavailable.</summary>
    internal const int MaxFallbackStdinBytes = 64 * 1024;

    // ---------------------------------------------------------------- commands

    /// <summary>
    /// Runs a command and returns its buffered result (<c>POST {dataplane}/execute</c>; not retried). With
    /// <see cref="CommandRequest.Stdin"/> set it runs over the WebSocket (falling back to <c>POST /execute</c> with the
    /// text piped in by a POSIX shell). The call's time-out is the command's plus <see cref="SandboxDefaults.ServerWaitMargin"/>.
    /// </summary>
    /// <param name="sandbox">The sandbox (its <see cref="Sandbox.DataplaneUrl"/> is used).</param>
    /// <param name="request">The command.</param>
    /// <param name="cancellationToken">Cancels the call (the server then kills the command).</param>
    /// <returns>The result; a non-zero exit code is not an error.</returns>
    /// <exception cref="SandboxCommandTimeoutException">The command ran past its time-out and was killed.</exception>
    public async Task<CommandResult> ExecuteAsync(Sandbox sandbox, CommandRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sandbox);
        ArgumentNullException.ThrowIfNull(request);
        if (request.Stdin is not null && Options.UseWebSocket)
        {
            await using var session = await StartCommandAsync(sandbox, request, cancellationToken).ConfigureAwait(false);
            return await session.CollectAsync(cancellationToken).ConfigureAwait(false);
        }
        var watch = Stopwatch.StartNew();
        var r = await ExecuteHttpResponseAsync(sandbox, request, cancellationToken).ConfigureAwait(false);
        return new CommandResult
        {
            Sandbox = sandbox.Name, Command = request.Command, Stdout = r.Stdout ?? "", Stderr = r.Stderr ?? "", ExitCode = r.ExitCode, Duration = watch.Elapsed,
            StdoutTruncated = r.StdoutTruncated, StderrTruncated = r.StderrTruncated, StdoutBytes = r.StdoutBytes, StderrBytes = r.StderrBytes,
        };
    }

    /// <summary>Runs a command in the sandbox with this name (one <c>GET</c> first for its dataplane URL).</summary>
    public async Task<CommandResult> ExecuteAsync(string sandboxName, CommandRequest request, CancellationToken cancellationToken = default) =>
        await ExecuteAsync(await GetSandboxAsync(sandboxName, null, cancellationToken).ConfigureAwait(false), request, cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Starts a command whose output streams back as it is written, over the WebSocket (<c>{dataplane}/execute/ws</c>);
    /// when the server refuses the WebSocket upgrade it falls back to <c>POST /execute</c> (see <see cref="SandboxCommandSession.Transport"/>).
    /// </summary>
    /// <param name="sandbox">The sandbox.</param>
    /// <param name="request">The command; <see cref="CommandRequest.Stdin"/>, when set, is written and stdin closed.</param>
    /// <param name="cancellationToken">Cancels starting.</param>
    /// <exception cref="SandboxConnectionException">The dataplane cannot be reached.</exception>
    public async Task<SandboxCommandSession> StartCommandAsync(Sandbox sandbox, CommandRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sandbox);
        ArgumentNullException.ThrowIfNull(request);
        var session = new SandboxCommandSession(this, sandbox, request);
        if (!Options.UseWebSocket)
        {
            session.UseHttpFallback();
            return session;
        }
        try
        {
            await session.StartWebSocketAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await session.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return session;
    }

    /// <summary>Starts a streaming command in the sandbox with this name.</summary>
    public async Task<SandboxCommandSession> StartCommandAsync(string sandboxName, CommandRequest request, CancellationToken cancellationToken = default) =>
        await StartCommandAsync(await GetSandboxAsync(sandboxName, null, cancellationToken).ConfigureAwait(false), request, cancellationToken).ConfigureAwait(false);

    internal async Task<(string Stdout, string Stderr, int ExitCode)> ExecuteHttpAsync(Sandbox sandbox, CommandRequest request, CancellationToken ct)
    {
        var result = await ExecuteHttpResponseAsync(sandbox, request, ct).ConfigureAwait(false);
        return (result.Stdout ?? "", result.Stderr ?? "", result.ExitCode);
    }

    internal async Task<ExecuteResponse> ExecuteHttpResponseAsync(Sandbox sandbox, CommandRequest request, CancellationToken ct)
    {
        var commandTimeout = request.TimeoutSeconds ?? SandboxDefaults.CommandTimeoutSeconds;
        var command = request.Command;
        if (request.Stdin is { } stdin) command = PipeStdinInto(command, stdin, request.Shell);
        var body = new Dictionary<string, object>
        {
            ["command"] = command,
            ["timeout"] = commandTimeout,
            ["shell"] = request.Shell ?? SandboxDefaults.Shell,
        };
        if (request.Environment is { Count: > 0 } env) body["env"] = env;
        if (!string.IsNullOrEmpty(request.WorkingDirectory)) body["cwd"] = request.WorkingDirectory;
        var url = DataplaneUrl(sandbox, "/execute");
        using var scope = Begin(TimeSpan.FromSeconds(commandTimeout) + SandboxDefaults.ServerWaitMargin, ct);
        try
        {
            using var response = await SendAsync(() =>
            {
                var m = new HttpRequestMessage(HttpMethod.Post, url);
                m.Content = JsonContent.Create(body, options: Json);
                return m;
            }, retryable: false, sandbox.Name, scope.Token, HttpCompletionOption.ResponseHeadersRead).ConfigureAwait(false);
            var result = await response.Content.ReadFromJsonAsync<ExecuteResponse>(Json, scope.Token).ConfigureAwait(false)
                ?? throw new SandboxApiException("the server sent an empty answer to POST /execute", (int)response.StatusCode, "InvalidResponse");
            return result;
        }
        catch (OperationCanceledException e) when (scope.TimedOut)
        {
            throw scope.TimeoutError("POST /execute", sandbox.Name, e);
        }
        catch (Exception e) when (e is IOException or HttpRequestException && !scope.Token.IsCancellationRequested)
        {
            throw ConnectionError(new Uri(url), e, 0);
        }
    }

    /// <summary>
    /// Wraps <paramref name="command"/> so that a POSIX shell pipes <paramref name="stdin"/> into it: what the WebSocket's
    /// input frames do, for the <c>POST /execute</c> fallback.
    /// </summary>
    /// <exception cref="SandboxNotSupportedException">The shell is not a POSIX shell, or the text is too long for a command line.</exception>
    internal static string PipeStdinInto(string command, string stdin, string? shell)
    {
        var name = Path.GetFileName(shell ?? SandboxDefaults.Shell);
        if (name is not ("sh" or "bash" or "dash" or "ash" or "ksh" or "mksh" or "zsh" or "busybox"))
            throw new SandboxNotSupportedException($"standard input without the WebSocket needs a POSIX shell, not '{shell}'", null);
        if (Encoding.UTF8.GetByteCount(stdin) > MaxFallbackStdinBytes)
            throw new SandboxNotSupportedException($"standard input over {MaxFallbackStdinBytes / 1024} KiB needs the WebSocket, which this server does not offer", null);
        var quoted = "'" + stdin.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
        return $"printf '%s' {quoted} | (\n{command}\n)";
    }

    /// <summary>The ExecutionResult; the truncation fields are the local server's (absent elsewhere: false and null).</summary>
    internal sealed class ExecuteResponse
    {
        public string? Stdout { get; set; }
        public string? Stderr { get; set; }
        public int ExitCode { get; set; }
        public bool StdoutTruncated { get; set; }
        public bool StderrTruncated { get; set; }
        public long? StdoutBytes { get; set; }
        public long? StderrBytes { get; set; }
    }

    internal string DataplaneUrl(Sandbox sandbox, string path)
    {
        if (string.IsNullOrEmpty(sandbox.DataplaneUrl))
            throw new SandboxApiException($"sandbox '{sandbox.Name}' has no dataplane URL (status {sandbox.Status}); get it again once it is ready", null, "NotReady") { TargetName = sandbox.Name };
        return sandbox.DataplaneUrl.TrimEnd('/') + path;
    }

    internal Uri WebSocketUri(Sandbox sandbox)
    {
        var builder = new UriBuilder(DataplaneUrl(sandbox, "/execute/ws"));
        builder.Scheme = builder.Scheme == Uri.UriSchemeHttps ? "wss" : "ws";
        return builder.Uri;
    }

    internal ClientWebSocket NewWebSocket()
    {
        var ws = new ClientWebSocket();
        ws.Options.CollectHttpResponseDetails = true;
        ws.Options.KeepAliveInterval = TimeSpan.FromSeconds(20);
        if (Settings.ApiKey is not null) ws.Options.SetRequestHeader("X-Api-Key", Settings.ApiKey);
        ws.Options.SetRequestHeader("User-Agent", Options.UserAgent);
        return ws;
    }

    // ---------------------------------------------------------------- files

    /// <summary>
    /// Uploads <paramref name="content"/> to <paramref name="path"/> in the sandbox (<c>POST {dataplane}/upload?path=</c>,
    /// multipart field <c>file</c>), streamed without buffering the whole file. Not retried (the stream is consumed).
    /// </summary>
    /// <param name="sandbox">The sandbox.</param>
    /// <param name="path">The file's path in the sandbox (relative paths are relative to <c>/home/user</c>).</param>
    /// <param name="content">What to write, read from its current position to its end.</param>
    /// <param name="progress">Receives the bytes sent so far.</param>
    /// <param name="timeout">The call's time-out; none by default (large files take long; cancel instead).</param>
    /// <param name="cancellationToken">Cancels the upload.</param>
    public async Task<UploadResult> UploadAsync(Sandbox sandbox, string path, Stream content, IProgress<long>? progress = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sandbox);
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(content);
        var url = DataplaneUrl(sandbox, "/upload?path=" + Uri.EscapeDataString(path));
        using var scope = Begin(timeout ?? Timeout.InfiniteTimeSpan, cancellationToken);
        try
        {
            using var response = await SendAsync(() =>
            {
                var part = new ProgressStreamContent(content, progress);
                part.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                var form = new MultipartFormDataContent { { part, "file", FileNameOf(path) } };
                return new HttpRequestMessage(HttpMethod.Post, url) { Content = form };
            }, retryable: false, path, scope.Token, HttpCompletionOption.ResponseHeadersRead).ConfigureAwait(false);
            return await response.Content.ReadFromJsonAsync<UploadResult>(Json, scope.Token).ConfigureAwait(false)
                ?? throw new SandboxApiException("the server sent an empty answer to the upload", (int)response.StatusCode, "InvalidResponse");
        }
        catch (OperationCanceledException e) when (scope.TimedOut)
        {
            throw scope.TimeoutError($"uploading '{path}'", path, e);
        }
        catch (Exception e) when (e is IOException or HttpRequestException && !scope.Token.IsCancellationRequested)
        {
            throw ConnectionError(new Uri(url), e, 0);
        }
    }

    /// <summary>Uploads a local file to <paramref name="path"/> in the sandbox.</summary>
    public async Task<UploadResult> UploadFileAsync(Sandbox sandbox, string localPath, string path, IProgress<long>? progress = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        await using var file = new FileStream(localPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
        return await UploadAsync(sandbox, path, file, progress, timeout, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Opens a file of the sandbox for reading (<c>GET {dataplane}/download?path=</c>, retried as a safe request until the
    /// response starts). The caller disposes the result.
    /// </summary>
    /// <exception cref="SandboxNotFoundException">No such file (<see cref="SandboxApiException.ResourceType"/> <c>file</c>).</exception>
    public async Task<SandboxDownload> OpenReadAsync(Sandbox sandbox, string path, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sandbox);
        ArgumentException.ThrowIfNullOrEmpty(path);
        var url = DataplaneUrl(sandbox, "/download?path=" + Uri.EscapeDataString(path));
        using var scope = Begin(Options.DefaultTimeout, cancellationToken);
        try
        {
            var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Get, url), retryable: true, path, scope.Token, HttpCompletionOption.ResponseHeadersRead).ConfigureAwait(false);
            try
            {
                var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
                return new SandboxDownload(response, stream, response.Content.Headers.ContentLength);
            }
            catch
            {
                response.Dispose();
                throw;
            }
        }
        catch (OperationCanceledException e) when (scope.TimedOut)
        {
            throw scope.TimeoutError($"opening '{path}'", path, e);
        }
    }

    /// <summary>
    /// Downloads a file of the sandbox into <paramref name="destination"/>, streamed without buffering the whole file.
    /// </summary>
    /// <param name="sandbox">The sandbox.</param>
    /// <param name="path">The file's path in the sandbox.</param>
    /// <param name="destination">Where the bytes go.</param>
    /// <param name="progress">Receives the bytes received so far.</param>
    /// <param name="timeout">The call's time-out; none by default.</param>
    /// <param name="cancellationToken">Cancels the download.</param>
    /// <returns>The number of bytes copied.</returns>
    public async Task<long> DownloadAsync(Sandbox sandbox, string path, Stream destination, IProgress<long>? progress = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        using var scope = Begin(timeout ?? Timeout.InfiniteTimeSpan, cancellationToken);
        try
        {
            using var download = await OpenReadAsync(sandbox, path, scope.Token).ConfigureAwait(false);
            return await CopyWithProgressAsync(download.Content, destination, progress, scope.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (scope.TimedOut)
        {
            throw scope.TimeoutError($"downloading '{path}'", path, e);
        }
        catch (Exception e) when (e is HttpIOException or HttpRequestException && !scope.Token.IsCancellationRequested)
        {
            throw ConnectionError(new Uri(DataplaneUrl(sandbox, "/download")), e, 0);
        }
    }

    /// <summary>Downloads a file of the sandbox to a local file (written to a temporary name, then moved into place).</summary>
    public async Task<long> DownloadFileAsync(Sandbox sandbox, string path, string localPath, IProgress<long>? progress = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var full = Path.GetFullPath(localPath);
        var temp = full + ".partial-" + Guid.NewGuid().ToString("N")[..8];
        try
        {
            long n;
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
                n = await DownloadAsync(sandbox, path, file, progress, timeout, cancellationToken).ConfigureAwait(false);
            File.Move(temp, full, overwrite: true);
            return n;
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    internal static async Task<long> CopyWithProgressAsync(Stream source, Stream destination, IProgress<long>? progress, CancellationToken ct)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(81920);
        try
        {
            long total = 0;
            int n;
            while ((n = await source.ReadAsync(buffer.AsMemory(0, 81920), ct).ConfigureAwait(false)) > 0)
            {
                await destination.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
                total += n;
                progress?.Report(total);
            }
            return total;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static string FileNameOf(string path)
    {
        var name = path.Replace('\\', '/').TrimEnd('/');
        var slash = name.LastIndexOf('/');
        name = slash >= 0 ? name[(slash + 1)..] : name;
        return name.Length == 0 ? "file" : name;
    }

    /// <summary>Streams a source into the request body as it is sent, reporting the bytes sent.</summary>
    private sealed class ProgressStreamContent : HttpContent
    {
        private readonly Stream _source;
        private readonly IProgress<long>? _progress;
        private readonly long? _length;

        public ProgressStreamContent(Stream source, IProgress<long>? progress)
        {
            _source = source;
            _progress = progress;
            if (source.CanSeek) _length = Math.Max(0, source.Length - source.Position);
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken) =>
            CopyWithProgressAsync(_source, stream, _progress, cancellationToken);

        protected override bool TryComputeLength(out long length)
        {
            length = _length ?? 0;
            return _length is not null;
        }
    }
}

/// <summary>An open download: the response stream and its length. Dispose it to release the connection.</summary>
public sealed class SandboxDownload : IDisposable
{
    private readonly HttpResponseMessage _response;

    internal SandboxDownload(HttpResponseMessage response, Stream content, long? length)
    {
        _response = response;
        Content = content;
        Length = length;
    }

    /// <summary>The file's bytes as they arrive.</summary>
    public Stream Content { get; }

    /// <summary>The file's length when the server sent it (for a progress bar).</summary>
    public long? Length { get; }

    /// <summary>Closes the stream and the response.</summary>
    public void Dispose()
    {
        Content.Dispose();
        _response.Dispose();
    }
}
