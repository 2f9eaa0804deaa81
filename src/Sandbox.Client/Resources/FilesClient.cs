using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Sandbox.Client.Protocol;

namespace Sandbox.Client;

/// <summary>
/// Files in a sandbox's dataplane (<c>client.Files</c>; <see cref="SandboxHandle.UploadAsync"/> and
/// <see cref="SandboxHandle.DownloadAsync"/> are the same for one sandbox), streamed without buffering whole files.
/// </summary>
public sealed class FilesClient
{
    private readonly SandboxTransport _transport;

    internal FilesClient(SandboxTransport transport) => _transport = transport;

    /// <summary>
    /// Uploads <paramref name="content"/> to <paramref name="path"/> in the sandbox (<c>POST {dataplane}/upload?path=</c>,
    /// multipart field <c>file</c>), streamed without buffering the whole file. Not retried (the stream is consumed).
    /// </summary>
    /// <param name="sandbox">The sandbox.</param>
    /// <param name="path">The file's path in the sandbox (relative paths are relative to <c>/home/user</c>).</param>
    /// <param name="content">What to write, read from its current position to its end.</param>
    /// <param name="options">A receiver of the bytes sent so far, and the call's time-out (none by default: large files take long; cancel instead).</param>
    /// <param name="cancellationToken">Cancels the upload.</param>
    public async Task<UploadResult> UploadAsync(Sandbox sandbox, string path, Stream content, SandboxProgressOptions<long>? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sandbox);
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(content);
        var (url, field) = _transport.Dialect.Upload(sandbox, path);
        using var scope = _transport.Begin(options?.Timeout ?? Timeout.InfiniteTimeSpan, cancellationToken);
        try
        {
            using var response = await _transport.SendAsync(() =>
            {
                var part = new ProgressStreamContent(content, options?.Progress);
                part.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                var form = new MultipartFormDataContent { { part, field, FileNameOf(path) } };
                return new HttpRequestMessage(HttpMethod.Post, url) { Content = form };
            }, retryable: false, path, scope.Token, HttpCompletionOption.ResponseHeadersRead).ConfigureAwait(false);
            return await response.Content.ReadFromJsonAsync<UploadResult>(_transport.Dialect.Json, scope.Token).ConfigureAwait(false)
                ?? throw new SandboxApiException("the server sent an empty answer to the upload", (int)response.StatusCode, "InvalidResponse");
        }
        catch (OperationCanceledException e) when (scope.TimedOut)
        {
            throw scope.TimeoutError($"uploading '{path}'", path, e);
        }
        catch (Exception e) when (e is IOException or HttpRequestException && !scope.Token.IsCancellationRequested)
        {
            throw _transport.ConnectionError(new Uri(url), e, 0);
        }
    }

    /// <summary>Uploads a local file to <paramref name="path"/> in the sandbox.</summary>
    public async Task<UploadResult> UploadFileAsync(Sandbox sandbox, string localPath, string path, SandboxProgressOptions<long>? options = null, CancellationToken cancellationToken = default)
    {
        await using var file = new FileStream(localPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
        return await UploadAsync(sandbox, path, file, options, cancellationToken).ConfigureAwait(false);
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
        var wire = _transport.Dialect.Download(sandbox, path);
        using var scope = _transport.Begin(_transport.Options.DefaultTimeout, cancellationToken);
        try
        {
            var response = await _transport.SendAsync(() => new HttpRequestMessage(wire.Method, wire.Url), wire.Retryable, path, scope.Token, HttpCompletionOption.ResponseHeadersRead).ConfigureAwait(false);
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

    /// <summary>Downloads a file of the sandbox into <paramref name="destination"/>, streamed without buffering the whole file.</summary>
    /// <param name="sandbox">The sandbox.</param>
    /// <param name="path">The file's path in the sandbox.</param>
    /// <param name="destination">Where the bytes go.</param>
    /// <param name="options">A receiver of the bytes received so far, and the call's time-out (none by default).</param>
    /// <param name="cancellationToken">Cancels the download.</param>
    /// <returns>The number of bytes copied.</returns>
    public async Task<long> DownloadAsync(Sandbox sandbox, string path, Stream destination, SandboxProgressOptions<long>? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        using var scope = _transport.Begin(options?.Timeout ?? Timeout.InfiniteTimeSpan, cancellationToken);
        try
        {
            using var download = await OpenReadAsync(sandbox, path, scope.Token).ConfigureAwait(false);
            return await CopyWithProgressAsync(download.Content, destination, options?.Progress, scope.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (scope.TimedOut)
        {
            throw scope.TimeoutError($"downloading '{path}'", path, e);
        }
        catch (Exception e) when (e is HttpIOException or HttpRequestException && !scope.Token.IsCancellationRequested)
        {
            throw _transport.ConnectionError(new Uri(_transport.Dialect.Download(sandbox, path).Url), e, 0);
        }
    }

    /// <summary>Downloads a file of the sandbox to a local file (written to a temporary name, then moved into place).</summary>
    public async Task<long> DownloadFileAsync(Sandbox sandbox, string path, string localPath, SandboxProgressOptions<long>? options = null, CancellationToken cancellationToken = default)
    {
        var full = Path.GetFullPath(localPath);
        var temp = full + ".partial-" + Guid.NewGuid().ToString("N")[..8];
        try
        {
            long n;
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
                n = await DownloadAsync(sandbox, path, file, options, cancellationToken).ConfigureAwait(false);
            File.Move(temp, full, overwrite: true);
            return n;
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>
    /// Lists the files and directories under <see cref="SandboxGlobRequest.Path"/> whose relative path matches the pattern
    /// (<c>POST {dataplane}/glob</c>; read-only, so retried), sorted by path. A stopped sandbox is woken.
    /// </summary>
    /// <exception cref="SandboxValidationException">A bad pattern, path or limit (the message names the field).</exception>
    /// <exception cref="SandboxNotFoundException">The directory does not exist.</exception>
    public async Task<SandboxSearchResult<SandboxFileEntry>> GlobAsync(Sandbox sandbox, SandboxGlobRequest request, SandboxRequestOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sandbox);
        ArgumentNullException.ThrowIfNull(request);
        var result = await _transport.SendJsonAsync<SandboxSearchResult<SandboxFileEntry>>(_transport.Dialect.Glob(sandbox, request), request.Path, options?.Timeout, cancellationToken).ConfigureAwait(false);
        foreach (var entry in result.Matches) entry.SandboxName = sandbox.Name;
        return result;
    }

    /// <summary>
    /// Finds the lines holding literal text in the files under <see cref="SandboxGrepRequest.Path"/> (<c>POST {dataplane}/grep</c>;
    /// read-only, so retried), sorted by path and line. Binary files (a NUL in their first 8 KiB) are skipped.
    /// </summary>
    /// <exception cref="SandboxValidationException">A bad pattern, path, glob or limit (the message names the field).</exception>
    /// <exception cref="SandboxNotFoundException">The directory does not exist.</exception>
    public async Task<SandboxSearchResult<SandboxMatchInfo>> GrepAsync(Sandbox sandbox, SandboxGrepRequest request, SandboxRequestOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sandbox);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrEmpty(request.Pattern);
        var result = await _transport.SendJsonAsync<SandboxSearchResult<SandboxMatchInfo>>(_transport.Dialect.Grep(sandbox, request), request.Path, options?.Timeout, cancellationToken).ConfigureAwait(false);
        foreach (var match in result.Matches)
        {
            match.SandboxName = sandbox.Name;
            match.Pattern = request.Pattern;
        }
        return result;
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
