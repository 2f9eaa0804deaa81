using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Sandbox.Server.Tests.Infrastructure;

/// <summary>A sandbox created for one test and always deleted at the end (await using).</summary>
public sealed class Box : IAsyncDisposable
{
    private readonly ServerProcess _server;

    private Box(ServerProcess server, JsonElement created)
    {
        _server = server;
        Created = created;
        Id = created.Str("id");
        Name = created.Str("name");
        DataplaneUrl = created.Str("dataplane_url");
    }

    public JsonElement Created { get; }
    public string Id { get; }
    /// <summary>The current name (update it after a rename so disposal finds the sandbox).</summary>
    public string Name { get; set; }
    public string DataplaneUrl { get; }
    public string Path => Api.Box(Name);

    /// <summary>
    /// Creates a sandbox with a unique name and waits for it to be ready. <paramref name="extra"/> fields are merged into
    /// the body (e.g. vcpus, mem_bytes, env, ttl_seconds).
    /// </summary>
    public static async Task<Box> CreateAsync(ServerProcess server, string template = "base", string tag = "box", JsonObject? extra = null, int expectStatus = 201)
    {
        var body = new JsonObject { ["template_name"] = template, ["name"] = Names.New(tag) };
        if (extra is not null)
            foreach (var (k, v) in extra) body[k] = v?.DeepClone();
        var r = await server.PostAsync(Api.Boxes, body);
        if (r.TryJson(out var j) && j.ValueKind == JsonValueKind.Object && j.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String)
            server.Track(id.GetString()!);
        r.Expect(expectStatus);
        var box = new Box(server, r.Json);
        if (body["wait_for_ready"] is null)
            Assert.True(box.Created.Str("status") == "ready", $"created with wait_for_ready but status is not ready: {r.Text}");
        return box;
    }

    public async Task<ExecResult> ExecAsync(string command, double? timeout = null, JsonObject? extra = null)
    {
        var r = await ExecRawAsync(command, timeout, extra);
        r.Expect(200);
        var j = r.Json;
        return new ExecResult(j.Str("stdout"), j.Str("stderr"), j.GetProperty("exit_code").GetInt32());
    }

    /// <summary>Runs a command that must exit 0 and returns its stdout.</summary>
    public async Task<string> RunAsync(string command)
    {
        var r = await ExecAsync(command);
        Assert.True(r.ExitCode == 0, $"'{command}' exited {r.ExitCode}; stdout: {r.Stdout}; stderr: {r.Stderr}");
        return r.Stdout;
    }

    public Task<Resp> ExecRawAsync(string command, double? timeout = null, JsonObject? extra = null)
    {
        var body = new JsonObject { ["command"] = command };
        if (timeout is { } t) body["timeout"] = t;
        if (extra is not null)
            foreach (var (k, v) in extra) body[k] = v?.DeepClone();
        return _server.ExecRawAsync(DataplaneUrl, body);
    }

    public Task<Resp> UploadAsync(string path, byte[] content)
    {
        var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(content);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        form.Add(file, "file", "upload.bin");
        return Api.SendAsync(_server.Http, HttpMethod.Post, $"{DataplaneUrl}/upload?path={Uri.EscapeDataString(path)}", form);
    }

    public async Task<(int Status, byte[] Bytes, string? ContentType)> DownloadAsync(string path)
    {
        using var res = await _server.Http.GetAsync($"{DataplaneUrl}/download?path={Uri.EscapeDataString(path)}", HttpCompletionOption.ResponseHeadersRead);
        var bytes = await res.Content.ReadAsByteArrayAsync();
        return ((int)res.StatusCode, bytes, res.Content.Headers.ContentType?.MediaType);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            var r = await _server.DeleteAsync(Api.Box(Name));
            if (r.Code == 404)
            {
                var byId = (await _server.ListAllAsync()).FirstOrDefault(s => s.Str("id") == Id);
                if (byId.ValueKind == JsonValueKind.Object) await _server.DeleteAsync(Api.Box(byId.Str("name")));
            }
        }
        catch (Exception)
        {
            // The server fixture deletes whatever is left at the end.
        }
    }
}
