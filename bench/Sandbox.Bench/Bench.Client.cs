using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Sandbox.Client;
// The model class Sandbox.Client.Sandbox shares its name with the root namespace Sandbox.
using ClientSandbox = Sandbox.Client.Sandbox;

namespace Sandbox.Bench;

/// <summary>
/// The client phase: the shared HTTP core (<see cref="SandboxClient"/>) against raw HttpClient / WebSocket calls to
/// the same URLs, in the same rounds.
/// </summary>
internal sealed partial class Bench
{
    private const double ClientTarget = 1.2;

    public async Task ClientAsync()
    {
        string? failure = ServerUp ? null : Skip;
        SandboxInfo? box = null;
        if (failure is null)
        {
            try
            {
                box = await CreateAsync(Name("client", 0));
            }
            catch (Exception e) when (e is ApiException or HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                failure = e.Message;
                Fail($"client: create: {e.Message}");
            }
        }
        try
        {
            using var client = box is null ? null : new SandboxClient(new SandboxConnectionSettings(server!.Endpoint, server.ApiKey));
            await ClientGetAsync(client, box?.Name, failure);
            await ClientStreamAsync(client, box, failure);
        }
        finally
        {
            if (box is not null) await DeleteAsync(box.Name);
        }
    }

    // ---------------------------------------------------------------- 1000 x GET /boxes/{name}

    /// <summary>The client's own JSON options (SandboxClient.Json is internal), mirrored for the decomposition rows.</summary>
    private static readonly JsonSerializerOptions ClientJson = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowReadingFromString,
        PropertyNameCaseInsensitive = true,
    };

    /// <summary>A raw HttpClient with the same handler settings and default headers as SandboxClient's own.</summary>
    private static HttpClient RawHttpLikeClient(SandboxClientOptions o, string apiKey)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = o.ConnectTimeout,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(60),
            PooledConnectionLifetime = TimeSpan.FromMinutes(10),
            AutomaticDecompression = DecompressionMethods.GZip | DecompressionMethods.Deflate,
            UseCookies = false,
        };
        var http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        http.DefaultRequestHeaders.UserAgent.TryParseAdd(o.UserAgent);
        http.DefaultRequestHeaders.TryAddWithoutValidation("X-Api-Key", apiKey);
        return http;
    }

    private async Task ClientGetAsync(SandboxClient? client, string? name, string? failure)
    {
        var n = options.ClientIterations;
        var warmup = Math.Max(options.Warmup * 20, 50);
        var clientMs = new List<double>();
        var rawMs = new List<double>();
        var rawCtsMs = new List<double>();
        var rawJsonMs = new List<double>();
        byte[]? body = null;
        var allocPerCall = new double[4];
        if (client is not null && name is not null && failure is null)
        {
            using var raw = RawHttpLikeClient(client.Options, server!.ApiKey);
            var url = client.Settings.ControlPlaneBaseUrl + "/boxes/" + Uri.EscapeDataString(name);
            var timeout = client.Options.DefaultTimeout;

            // The four ways of doing the same GET, each on its own keep-alive connection pool.
            async Task<double> Raw()
            {
                var t = Stopwatch.GetTimestamp();
                using var response = await raw.GetAsync(url, ct);
                var bytes = await response.Content.ReadAsByteArrayAsync(ct);
                var ms = Stats.ElapsedMs(t);
                if (response.StatusCode != HttpStatusCode.OK) throw new ApiException($"raw GET {url}: HTTP {(int)response.StatusCode}");
                body ??= bytes;
                return ms;
            }
            async Task<double> Client()
            {
                var t = Stopwatch.GetTimestamp();
                var s = await client.Sandboxes.GetAsync(name, cancellationToken: ct);
                var ms = Stats.ElapsedMs(t);
                if (s.Name != name) throw new ApiException($"Sandboxes.GetAsync returned '{s.Name}', expected '{name}'");
                return ms;
            }
            // Decomposition (informational): raw + the client's per-call linked CancellationTokenSource with CancelAfter ...
            async Task<double> RawCts()
            {
                var t = Stopwatch.GetTimestamp();
                using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
                cts.CancelAfter(timeout);
                using var response = await raw.GetAsync(url, cts.Token);
                var bytes = await response.Content.ReadAsByteArrayAsync(cts.Token);
                var ms = Stats.ElapsedMs(t);
                if (response.StatusCode != HttpStatusCode.OK || bytes.Length == 0) throw new ApiException($"raw+cts GET: HTTP {(int)response.StatusCode}");
                return ms;
            }
            // ... and raw + the client's way of reading: request message, ResponseHeadersRead, ReadFromJsonAsync<Sandbox> with its options.
            async Task<double> RawJson()
            {
                var t = Stopwatch.GetTimestamp();
                using var request = new HttpRequestMessage(HttpMethod.Get, url);
                using var response = await raw.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
                var s = await response.Content.ReadFromJsonAsync<ClientSandbox>(ClientJson, ct);
                var ms = Stats.ElapsedMs(t);
                if (s?.Name != name) throw new ApiException($"raw+json GET: HTTP {(int)response.StatusCode}, name '{s?.Name}'");
                return ms;
            }

            Func<Task<double>>[] ways = [Raw, Client, RawCts, RawJson];
            List<double>[] samples = [rawMs, clientMs, rawCtsMs, rawJsonMs];
            try
            {
                // Rounds: each round makes one call of each way; the order rotates every round so that none is always first.
                for (var i = 0; i < warmup + n; i++)
                {
                    ct.ThrowIfCancellationRequested();
                    for (var k = 0; k < ways.Length; k++)
                    {
                        var w = (i + k) % ways.Length;
                        var ms = await ways[w]();
                        if (i >= warmup) samples[w].Add(ms);
                    }
                }
            }
            catch (Exception e) when (e is ApiException or SandboxApiException or HttpRequestException or OperationCanceledException && !ct.IsCancellationRequested)
            {
                failure = e.Message;
                Fail($"client get: {e.Message}");
            }
            if (failure is null)
            {
                // Bytes allocated per call by each way (the whole process, so the handler's own allocations are in both).
                const int allocCalls = 200;
                for (var w = 0; w < ways.Length; w++)
                {
                    var before = GC.GetTotalAllocatedBytes(precise: true);
                    for (var i = 0; i < allocCalls; i++) await ways[w]();
                    allocPerCall[w] = (GC.GetTotalAllocatedBytes(precise: true) - before) / (double)allocCalls;
                }
            }
            Log($"  GET x{n} (warm-up {warmup}): raw total {rawMs.Sum():F1} ms, client total {clientMs.Sum():F1} ms; p50 raw {Stats.Median(rawMs):F3}, client {Stats.Median(clientMs):F3}, raw+cts {Stats.Median(rawCtsMs):F3}, raw+json {Stats.Median(rawJsonMs):F3} ms; bytes allocated per call: raw {allocPerCall[0]:F0}, client {allocPerCall[1]:F0}, raw+cts {allocPerCall[2]:F0}, raw+json {allocPerCall[3]:F0}");
        }

        var how = $"{n} sequential GET /v2/sandboxes/boxes/{{name}} of one sandbox through client.Sandboxes.GetAsync (default handler, keep-alive) | raw: HttpClient.GetAsync + ReadAsByteArrayAsync, same URL, X-Api-Key, User-Agent and SocketsHttpHandler settings; interleaved rounds with a rotating order, warm-up {warmup} rounds";
        var value = clientMs.Count > 0 && failure is null ? clientMs.Sum() : (double?)null;
        Results.Add(Result.Make("client_get_total_ms", "ms", value, rawMs.Count > 0 ? rawMs.Sum() : null, n,
            failure is null ? how + "; value and baseline are the sums of the timed calls" : $"client: {failure} | {how}", $"<= {ClientTarget}x raw", r => r.Ratio <= ClientTarget));
        Add("client_get_p50_ms", "ms", clientMs, rawMs, 50, n, "per-call p50, as above", failure, $"<= {ClientTarget}x raw", r => r.Ratio <= ClientTarget);
        Add("client_get_p90_ms", "ms", clientMs, rawMs, 90, n, "per-call p90, as above", failure);
        Add("client_get_raw_cts_p50_ms", "ms", rawCtsMs, rawMs, 50, n,
            "informational, raw vs raw: the raw call plus one linked CancellationTokenSource with CancelAfter(100 s) per call (what the client's CallScope adds)", failure);
        Add("client_get_raw_json_p50_ms", "ms", rawJsonMs, rawMs, 50, n,
            "informational, raw vs raw: HttpRequestMessage + SendAsync(ResponseHeadersRead) + ReadFromJsonAsync<Sandbox.Client.Sandbox> with the client's JsonSerializerOptions (reflection metadata) - the client's read path without its retry wrapper and call scope", failure);

        Results.Add(Result.Make("client_get_alloc_bytes_per_call", "B", clientMs.Count > 0 && failure is null ? allocPerCall[1] : null, rawMs.Count > 0 && failure is null ? allocPerCall[0] : null, 200,
            $"informational: bytes allocated by the bench process per GET through the client (GC.GetTotalAllocatedBytes, 200 calls after the timed rounds) | raw: the same for the raw call; raw+cts {allocPerCall[2]:F0} B, raw+json {allocPerCall[3]:F0} B"));
        if (body is not null) MeasureDeserialization(body, name!);
    }

    /// <summary>
    /// CPU cost of turning one GET answer into the model, without I/O: the client's reflection-based options (sync and the
    /// stream path it uses) against a source-generated context for the same type and a JsonDocument parse.
    /// </summary>
    private void MeasureDeserialization(byte[] body, string name)
    {
        const int count = 20_000;
        double PerCallUs(Func<object?> f)
        {
            for (var i = 0; i < 2_000; i++) f();
            var best = double.MaxValue;
            for (var rep = 0; rep < 3; rep++)
            {
                var t = Stopwatch.GetTimestamp();
                for (var i = 0; i < count; i++) f();
                best = Math.Min(best, Stats.ElapsedMs(t) * 1000.0 / count);
            }
            return best;
        }
        if (JsonSerializer.Deserialize<ClientSandbox>(body, ClientJson)?.Name != name || JsonSerializer.Deserialize(body, ClientModelJson.Default.Sandbox)?.Name != name)
        {
            Fail("client get: the GET body does not deserialize to the expected sandbox");
            return;
        }
        var reflection = PerCallUs(() => JsonSerializer.Deserialize<ClientSandbox>(body, ClientJson));
        var stream = PerCallUs(() => JsonSerializer.DeserializeAsync<ClientSandbox>(new MemoryStream(body, false), ClientJson).AsTask().GetAwaiter().GetResult());
        var sourceGen = PerCallUs(() => JsonSerializer.Deserialize(body, ClientModelJson.Default.Sandbox));
        var document = PerCallUs(() => { using var d = JsonDocument.Parse(body); return d.RootElement.ValueKind; });
        Log($"  deserializing the {body.Length}-byte answer: reflection {reflection:F2} us, async stream {stream:F2} us, source-generated {sourceGen:F2} us, JsonDocument {document:F2} us");
        Results.Add(Result.Make("client_get_json_deserialize_us", "us", reflection, sourceGen, count,
            $"informational, CPU only: JsonSerializer.Deserialize<Sandbox.Client.Sandbox> of the {body.Length}-byte GET answer with the client's options (best of 3 x {count}) | baseline: a source-generated JsonSerializerContext for the same type and options; DeserializeAsync over a MemoryStream (the client's ReadFromJsonAsync path) {stream:F2} us, JsonDocument.Parse {document:F2} us"));
    }

    // ---------------------------------------------------------------- streaming text through StartCommandAsync

    private const string TextLine = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ\n";

    private async Task ClientStreamAsync(SandboxClient? client, SandboxInfo? box, string? failure)
    {
        var bytes = options.ClientStreamBytes;
        var command = TextCommand + bytes.ToString(CultureInfo.InvariantCulture);
        var pipe = new List<double>();
        var rawWs = new List<double>();
        var viaClient = new List<double>();
        var rawAlloc = new List<double>();
        var clientAlloc = new List<double>();
        string? rawFailure = failure;
        ClientSandbox? sandbox = null;
        if (client is not null && box is not null && failure is null)
        {
            try
            {
                sandbox = await client.Sandboxes.GetAsync(box.Name, cancellationToken: ct);
                // Warm-up of each path, not counted: at least 64 MiB, so that the server's and the bench's per-frame code is
                // past tiered JIT (a first 256 MiB rep ran at 40% of the later ones).
                var warm = Math.Max(bytes, 64L << 20);
                RawPipeMibPerSecond(warm, text: true);
                await api!.ExecuteWebSocketAsync(box.DataplaneUrl, TextCommand + warm, 600, null, ct);
                await ClientStreamOnceAsync(client, sandbox, warm);
            }
            catch (Exception e) when (e is ApiException or SandboxApiException or System.Net.WebSockets.WebSocketException or HttpRequestException or OperationCanceledException && !ct.IsCancellationRequested)
            {
                failure = rawFailure = $"warm-up: {e.Message}";
                Fail($"client stream: {failure}");
            }
        }
        for (var i = 0; i < options.StreamReps; i++)
        {
            ct.ThrowIfCancellationRequested();
            pipe.Add(RawPipeMibPerSecond(bytes, text: true));
            if (box is null || sandbox is null || client is null) continue;
            if (rawFailure is null)
            {
                try
                {
                    var gc = GcCounts.Now();
                    var t = Stopwatch.GetTimestamp();
                    var stop = 0L;
                    var (code, got, _) = await api!.ExecuteWebSocketAsync(box.DataplaneUrl, command, 600, () => stop = Stopwatch.GetTimestamp(), ct);
                    gc = GcCounts.Now() - gc;
                    rawAlloc.Add(gc.Allocated / (double)bytes);
                    var ms = (stop - t) * 1000.0 / Stopwatch.Frequency;
                    if (code != 0 || got != bytes) throw new ApiException($"raw WebSocket reader: {got} bytes with exit_code {code}, expected {bytes} and 0");
                    rawWs.Add(bytes / 1048576.0 / (ms / 1000.0));
                    var st = api.LastStats;
                    Log($"  rep {i}: raw pipe {pipe[^1]:F0} MiB/s, raw WebSocket reader {rawWs[^1]:F0} MiB/s ({st.Frames} frames, avg {st.WireBytes / Math.Max(1, st.Frames) / 1024.0:F0} KiB, client-side parse {st.ParseMs / ms:P0}; {gc})");
                }
                catch (Exception e) when (e is ApiException or System.Net.WebSockets.WebSocketException or HttpRequestException or OperationCanceledException && !ct.IsCancellationRequested)
                {
                    rawFailure = e.Message;
                    Fail($"client stream raw: {e.Message}");
                }
            }
            if (failure is null)
            {
                try
                {
                    var gc = GcCounts.Now();
                    var (ms, chunks) = await ClientStreamOnceAsync(client, sandbox, bytes);
                    gc = GcCounts.Now() - gc;
                    clientAlloc.Add(gc.Allocated / (double)bytes);
                    viaClient.Add(bytes / 1048576.0 / (ms / 1000.0));
                    Log($"  rep {i}: client.Commands.StartAsync + ReadOutputAsync {viaClient[^1]:F0} MiB/s ({chunks} chunks; {gc})");
                }
                catch (Exception e) when (e is ApiException or SandboxApiException or System.Net.WebSockets.WebSocketException or HttpRequestException or OperationCanceledException && !ct.IsCancellationRequested)
                {
                    failure = e.Message;
                    Fail($"client stream: {e.Message}");
                }
            }
        }
        if (viaClient.Count > 0 && failure is null) MeasureStreamDecode(api!.LastStats);

        var mib = bytes / 1048576.0;
        var reps = options.StreamReps;
        var how = $"median of {reps} reps: {mib:F0} MiB of printable text (`{TextCommand}N`) through client.Commands.StartAsync + ReadOutputAsync (JSON text frames), from the call to the end of the output (exit frame), every chunk's offset, UTF-8 length and content checked, exit code 0";
        Add("client_stream_ws_mib_per_s", "MiB/s", viaClient, rawWs, 50, reps,
            how + " | raw: the bench's own WebSocket reader (ApiClient.ExecuteWebSocketAsync, counts the decoded length without materialising strings), same command, connect to exit frame; higher is better", failure);
        Add("client_stream_ws_vs_pipe_mib_per_s", "MiB/s", viaClient, pipe, 50, reps,
            "the same client throughput | raw: the same bash pipeline into a pipe, read to EOF in 128 KiB reads", failure);
        Add("client_stream_alloc_bytes_per_byte", "B/B", clientAlloc, rawAlloc, 50, reps,
            "informational: bytes the bench process allocated (GC.GetTotalAllocatedBytes) per byte of text streamed through the client (the log gives the GC counts per rep) | raw: the same for the bench's WebSocket reader", failure);
        Add("client_stream_raw_ws_mib_per_s", "MiB/s", rawWs, pipe, 50, reps,
            "informational, the bench's raw WebSocket reader over the raw pipe, measured in the same reps", rawFailure);
    }

    /// <summary>One streamed text command through the client: ms from StartCommandAsync to the end of the output, and the chunk count.</summary>
    private async Task<(double Ms, long Chunks)> ClientStreamOnceAsync(SandboxClient client, ClientSandbox sandbox, long bytes)
    {
        var command = TextCommand + bytes.ToString(CultureInfo.InvariantCulture);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(TimeSpan.FromSeconds(630));
        var pattern = TextLine;
        long total = 0, chunks = 0;
        var t = Stopwatch.GetTimestamp();
        long stop;
        await using (var session = await client.Commands.StartAsync(sandbox, new CommandRequest(command) { TimeoutSeconds = 600 }, deadline.Token))
        {
            await foreach (var chunk in session.ReadOutputAsync(deadline.Token))
            {
                if (chunk.Stream != CommandStream.Stdout)
                    throw new ApiException($"unexpected stderr: {chunk.Data[..Math.Min(chunk.Data.Length, 200)]}");
                if (chunk.Offset != total) throw new ApiException($"stdout chunk at offset {chunk.Offset}, expected {total}");
                // Printable ASCII: one char is one byte. Check the text against the repeated line at this offset.
                var start = (int)(total % TextLine.Length);
                if (pattern.Length < start + chunk.Data.Length)
                    pattern = string.Concat(Enumerable.Repeat(TextLine, (start + chunk.Data.Length) / TextLine.Length + 2));
                if (!chunk.Data.AsSpan().SequenceEqual(pattern.AsSpan(start, chunk.Data.Length)))
                    throw new ApiException($"stdout differs from the expected text in the chunk at offset {total}");
                total += Encoding.UTF8.GetByteCount(chunk.Data);
                chunks++;
            }
            stop = Stopwatch.GetTimestamp();
            if (session.ExitCode != 0) throw new ApiException($"streaming command ended with exit code {session.ExitCode}");
            if (total != bytes || session.StdoutBytes != bytes) throw new ApiException($"client delivered {total} bytes (session counted {session.StdoutBytes}), expected {bytes}");
        }
        return ((stop - t) * 1000.0 / Stopwatch.Frequency, chunks);
    }

    /// <summary>
    /// Where the client's time goes per MiB of text, CPU only, on a frame the size the server sent in the last raw rep:
    /// the client's receive buffer (a fresh ArrayBufferWriter of 16 KiB per message, grown by doubling), its
    /// Utf8JsonReader.GetString of data (UTF-8 to a UTF-16 string), Encoding.UTF8.GetByteCount of that string (Accept),
    /// against the bench's one-pass count.
    /// </summary>
    private void MeasureStreamDecode(ApiClient.WebSocketStats stats)
    {
        var dataLength = (int)Math.Clamp(stats.Frames > 0 ? stats.WireBytes / stats.Frames - 40 : 65536, 1024, 1 << 20);
        var text = string.Concat(Enumerable.Repeat(TextLine, dataLength / TextLine.Length + 1))[..dataLength];
        var frame = Encoding.UTF8.GetBytes($"{{\"type\":\"stdout\",\"data\":\"{text.Replace("\n", "\\n", StringComparison.Ordinal)}\",\"offset\":123456789}}");
        var perMib = 1048576.0 / dataLength;
        double MsPerMib(Action a)
        {
            for (var i = 0; i < 20; i++) a();
            var reps = Math.Max(50, (int)(64 * perMib));
            var best = double.MaxValue;
            for (var r = 0; r < 3; r++)
            {
                var t = Stopwatch.GetTimestamp();
                for (var i = 0; i < reps; i++) a();
                best = Math.Min(best, Stats.ElapsedMs(t) / reps * perMib);
            }
            return best;
        }
        var buffer = MsPerMib(() =>
        {
            var w = new ArrayBufferWriter<byte>(16384);
            for (var off = 0; off < frame.Length;)
            {
                var m = w.GetMemory(16384);
                var n = Math.Min(m.Length, frame.Length - off);
                frame.AsSpan(off, n).CopyTo(m.Span);
                w.Advance(n);
                off += n;
            }
        });
        var reusedBuffer = new byte[frame.Length];
        var copyOnly = MsPerMib(() => frame.AsSpan().CopyTo(reusedBuffer));
        string? s = null;
        var getString = MsPerMib(() =>
        {
            var reader = new Utf8JsonReader(frame);
            while (reader.Read())
                if (reader.TokenType == JsonTokenType.PropertyName && reader.ValueTextEquals("data"u8))
                {
                    reader.Read();
                    s = reader.GetString();
                }
        });
        var byteCount = MsPerMib(() => Encoding.UTF8.GetByteCount(s!));
        var readerOnly = MsPerMib(() =>
        {
            var reader = new Utf8JsonReader(frame);
            while (reader.Read())
            {
            }
        });
        var scratch = ArrayPool<byte>.Shared.Rent(1 << 20);
        var benchCount = MsPerMib(() =>
        {
            var reader = new Utf8JsonReader(frame);
            while (reader.Read())
                if (reader.TokenType == JsonTokenType.PropertyName && reader.ValueTextEquals("data"u8))
                {
                    reader.Read();
                    _ = reader.ValueIsEscaped ? JsonStrings.DecodedUtf8Length(reader.ValueSpan) : reader.ValueSpan.Length;
                }
        });
        ArrayPool<byte>.Shared.Return(scratch);
        var clientTotal = buffer + getString + byteCount;
        Log($"  client decode per MiB ({dataLength / 1024} KiB frames): receive buffer {buffer:F3} ms (one reused buffer: {copyOnly:F3}), reader + GetString {getString:F3} ms (reader alone {readerOnly:F3}), UTF8.GetByteCount {byteCount:F3} ms; bench reader + count {benchCount:F3} ms");
        Results.Add(Result.Make("client_stream_decode_ms_per_mib", "ms", clientTotal, benchCount, 1,
            $"informational, CPU only, best of 3, per MiB of text in {dataLength / 1024} KiB frames: the client's receive buffer (new 16 KiB ArrayBufferWriter per message, grown by doubling) {buffer:F3} + Utf8JsonReader with GetString of data {getString:F3} (the reader alone, which validates the string, {readerOnly:F3}) + Encoding.UTF8.GetByteCount {byteCount:F3} ms (one reused receive buffer would cost {copyOnly:F3}) | baseline: the bench reader's Utf8JsonReader + one-pass decoded-length count on the same frame"));
    }
}

/// <summary>A source-generated context for the client's model with the client's options: the baseline of the deserialization row.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    NumberHandling = JsonNumberHandling.AllowReadingFromString, PropertyNameCaseInsensitive = true)]
[JsonSerializable(typeof(ClientSandbox))]
internal sealed partial class ClientModelJson : JsonSerializerContext;

/// <summary>Garbage collections and bytes allocated by this process (the bench), to show what a streaming path costs in GC.</summary>
internal readonly record struct GcCounts(int Gen0, int Gen1, int Gen2, long Allocated)
{
    public static GcCounts Now() => new(GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalAllocatedBytes(precise: false));

    public static GcCounts operator -(GcCounts a, GcCounts b) => new(a.Gen0 - b.Gen0, a.Gen1 - b.Gen1, a.Gen2 - b.Gen2, a.Allocated - b.Allocated);

    public override string ToString() => $"bench GCs gen0/1/2 {Gen0}/{Gen1}/{Gen2}, {Allocated / 1048576.0:F0} MiB allocated";
}
