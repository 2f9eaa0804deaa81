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
        var start = content.CanSeek ? content.Position : 0;
        using var scope = _transport.Begin(options?.Timeout ?? Timeout.InfiniteTimeSpan, cancellationToken);
        try
        {
            using var response = await _transport.SendAsync(() =>
            {
                var part = new ProgressStreamContent(content, options?.Progress);
                part.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                // No field: the protocol takes the bytes as the body itself (leap0's write-file).
                HttpContent body = field is null ? part : new MultipartFormDataContent { { part, field, FileNameOf(path) } };
                return new HttpRequestMessage(HttpMethod.Post, url) { Content = body };
            }, retryable: false, path, scope.Token, HttpCompletionOption.ResponseHeadersRead).ConfigureAwait(false);
            // leap0 answers 204 without a body: what was written is what was sent.
            if (response.StatusCode == HttpStatusCode.NoContent)
                return new UploadResult { Path = path, Written = content.CanSeek ? content.Position - start : 0 };
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
    public Task<SandboxDownload> OpenReadAsync(Sandbox sandbox, string path, CancellationToken cancellationToken = default) =>
        OpenReadAsync(sandbox, path, 0, null, cancellationToken);

    /// <summary>
    /// Opens a file of the sandbox from byte <paramref name="offset"/> on (<c>Range: bytes=offset-</c>): when
    /// <paramref name="ifRange"/> (an ETag from an earlier read) no longer matches, the server sends the whole file
    /// instead, and <see cref="SandboxDownload.Offset"/> is 0. The caller disposes the result.
    /// </summary>
    /// <exception cref="SandboxApiException">An offset at or past the end of the file (status 416, <c>RangeNotSatisfiable</c>).</exception>
    public async Task<SandboxDownload> OpenReadAsync(Sandbox sandbox, string path, long offset, string? ifRange, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sandbox);
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        var wire = _transport.Dialect.Download(sandbox, path);
        using var scope = _transport.Begin(_transport.Options.DefaultTimeout, cancellationToken);
        try
        {
            var response = await _transport.SendAsync(() =>
            {
                var request = _transport.Build(wire);
                if (offset > 0)
                {
                    request.Headers.Range = new RangeHeaderValue(offset, null);
                    if (!string.IsNullOrEmpty(ifRange)) request.Headers.IfRange = new RangeConditionHeaderValue(EntityTagHeaderValue.Parse(ifRange));
                }
                return request;
            }, wire.Retryable, path, scope.Token, HttpCompletionOption.ResponseHeadersRead).ConfigureAwait(false);
            try
            {
                var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
                var start = response.StatusCode == HttpStatusCode.PartialContent ? response.Content.Headers.ContentRange?.From ?? 0 : 0;
                var total = response.StatusCode == HttpStatusCode.PartialContent ? response.Content.Headers.ContentRange?.Length : response.Content.Headers.ContentLength;
                return new SandboxDownload(response, stream, response.Content.Headers.ContentLength)
                {
                    Offset = start,
                    TotalLength = total,
                    ETag = response.Headers.ETag?.ToString(),
                    LastModified = response.Content.Headers.LastModified,
                };
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

    /// <summary>A file's length, ETag and last change without its bytes (<c>HEAD {dataplane}/download?path=</c>; retried).</summary>
    /// <exception cref="SandboxNotFoundException">No such file.</exception>
    public async Task<SandboxFileInfo> GetInfoAsync(Sandbox sandbox, string path, SandboxRequestOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sandbox);
        ArgumentException.ThrowIfNullOrEmpty(path);
        var wire = _transport.Dialect.Stat(sandbox, path);
        using var scope = _transport.Begin(options?.Timeout ?? _transport.Options.DefaultTimeout, cancellationToken);
        try
        {
            using var response = await _transport.SendAsync(() => new HttpRequestMessage(wire.Method, wire.Url), wire.Retryable, path, scope.Token, HttpCompletionOption.ResponseHeadersRead).ConfigureAwait(false);
            return new SandboxFileInfo
            {
                SandboxName = sandbox.Name,
                Path = path,
                Length = response.Content.Headers.ContentLength,
                ETag = response.Headers.ETag?.ToString(),
                LastModified = response.Content.Headers.LastModified,
            };
        }
        catch (OperationCanceledException e) when (scope.TimedOut)
        {
            throw scope.TimeoutError($"reading the size of '{path}'", path, e);
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

    /// <summary>
    /// Downloads a file of the sandbox to a local file; with <paramref name="resume"/> the bytes go to
    /// <c>{localPath}.partial</c> (its ETag in <c>{localPath}.partial.etag</c>), which an interrupted download leaves behind, and
    /// a later call with <paramref name="resume"/> continues it with <c>Range</c> and <c>If-Range</c>: only the rest is
    /// sent while the file in the sandbox is unchanged, else the whole file again. The finished file is moved into place.
    /// Without <paramref name="resume"/>, as <see cref="DownloadFileAsync(Sandbox, string, string, SandboxProgressOptions{long}?, CancellationToken)"/>.
    /// </summary>
    /// <param name="sandbox">The sandbox.</param>
    /// <param name="path">The file's path in the sandbox.</param>
    /// <param name="localPath">Where the file goes.</param>
    /// <param name="resume">Continue (and on failure keep) a partial download.</param>
    /// <param name="options">A receiver of the file's bytes present so far (a resumed download starts at its offset), and the time-out (none by default).</param>
    /// <param name="cancellationToken">Cancels the download (a partial file is kept for the next resume).</param>
    public async Task<SandboxDownloadResult> DownloadFileAsync(Sandbox sandbox, string path, string localPath, bool resume, SandboxProgressOptions<long>? options = null, CancellationToken cancellationToken = default)
    {
        if (!resume)
        {
            var n = await DownloadFileAsync(sandbox, path, localPath, options, cancellationToken).ConfigureAwait(false);
            return new SandboxDownloadResult { Length = n, Transferred = n };
        }
        var full = Path.GetFullPath(localPath);
        var partial = full + ".partial";
        var tagFile = partial + ".etag";
        string? etag = File.Exists(partial) && File.Exists(tagFile) ? (await File.ReadAllTextAsync(tagFile, cancellationToken).ConfigureAwait(false)).Trim() : null;
        var offset = string.IsNullOrEmpty(etag) ? 0 : new FileInfo(partial).Length;
        using var scope = _transport.Begin(options?.Timeout ?? Timeout.InfiniteTimeSpan, cancellationToken);
        try
        {
            SandboxDownload download;
            try
            {
                download = await OpenReadAsync(sandbox, path, offset, etag, scope.Token).ConfigureAwait(false);
            }
            catch (SandboxApiException e) when (e.StatusCode == 416 && offset > 0)
            {
                // Nothing past the partial file's end: it is complete when the file is still the one it was read from.
                var info = await GetInfoAsync(sandbox, path, null, scope.Token).ConfigureAwait(false);
                if (info.ETag == etag && info.Length == offset)
                {
                    Finish(partial, tagFile, full);
                    return new SandboxDownloadResult { Length = offset, ResumedFrom = offset, ETag = etag };
                }
                File.Delete(tagFile);
                offset = 0;
                download = await OpenReadAsync(sandbox, path, 0, null, scope.Token).ConfigureAwait(false);
            }
            using (download)
            {
                if (download.Offset != 0 && download.Offset != offset)
                    throw new SandboxApiException($"the server answered bytes from {download.Offset} of '{path}' where {offset} were asked for", 206, "InvalidResponse") { TargetName = path };
                // The validator goes first, so that an interruption leaves a partial file that can be resumed.
                if (download.ETag is { Length: > 0 } tag) await File.WriteAllTextAsync(tagFile, tag, scope.Token).ConfigureAwait(false);
                else File.Delete(tagFile);
                var start = download.Offset;
                long copied;
                await using (var file = new FileStream(partial, start > 0 ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
                {
                    var progress = options?.Progress is { } p ? new OffsetProgress(p, start) : null;
                    progress?.Report(0);
                    copied = await CopyWithProgressAsync(download.Content, file, progress, scope.Token).ConfigureAwait(false);
                }
                if (download.TotalLength is { } total && start + copied != total)
                    throw new SandboxConnectionException($"the download of '{path}' ended after {start + copied} of {total} bytes; run it again to resume", null) { TargetName = path };
                Finish(partial, tagFile, full);
                return new SandboxDownloadResult { Length = start + copied, Transferred = copied, ResumedFrom = start, ETag = download.ETag };
            }
        }
        catch (OperationCanceledException e) when (scope.TimedOut)
        {
            throw scope.TimeoutError($"downloading '{path}'", path, e);
        }
        catch (Exception e) when (e is HttpIOException or HttpRequestException && !scope.Token.IsCancellationRequested)
        {
            throw _transport.ConnectionError(new Uri(_transport.Dialect.Download(sandbox, path).Url), e, 0);
        }

        static void Finish(string partial, string tagFile, string full)
        {
            File.Move(partial, full, overwrite: true);
            File.Delete(tagFile);
        }
    }

    /// <summary>Reports bytes received plus where the download started.</summary>
    private sealed class OffsetProgress(IProgress<long> inner, long offset) : IProgress<long>
    {
        public void Report(long value) => inner.Report(offset + value);
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

    /// <summary>The length of what this response sends, when the server said (for a progress bar).</summary>
    public long? Length { get; }

    /// <summary>Where <see cref="Content"/> starts in the file: the range's start (206), else 0 (the whole file).</summary>
    public long Offset { get; init; }

    /// <summary>The whole file's length, when the server said.</summary>
    public long? TotalLength { get; init; }

    /// <summary>The file's ETag (a strong validator for <c>If-Range</c>), when the server sent one.</summary>
    public string? ETag { get; init; }

    /// <summary>When the file last changed, when the server said.</summary>
    public DateTimeOffset? LastModified { get; init; }

    /// <summary>Closes the stream and the response.</summary>
    public void Dispose()
    {
        Content.Dispose();
        _response.Dispose();
    }
}

/// <summary>What <c>HEAD</c> says of a file of a sandbox.</summary>
public sealed class SandboxFileInfo
{
    /// <summary>The sandbox.</summary>
    public string SandboxName { get; init; } = "";

    /// <summary>The path as asked for.</summary>
    public string Path { get; init; } = "";

    /// <summary>Its length in bytes.</summary>
    public long? Length { get; init; }

    /// <summary>Its ETag: changes with any write, replacement or metadata change.</summary>
    public string? ETag { get; init; }

    /// <summary>When it last changed (whole seconds).</summary>
    public DateTimeOffset? LastModified { get; init; }
}

/// <summary>How a download to a local file went.</summary>
public sealed class SandboxDownloadResult
{
    /// <summary>The file's length.</summary>
    public long Length { get; init; }

    /// <summary>The bytes received by this call (less than <see cref="Length"/> when it resumed).</summary>
    public long Transferred { get; init; }

    /// <summary>Where this call continued a partial file (0: from the start).</summary>
    public long ResumedFrom { get; init; }

    /// <summary>The file's ETag, when the server sent one.</summary>
    public string? ETag { get; init; }
}
