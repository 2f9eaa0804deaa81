using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Sandbox.Server.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Sandbox.Server.Tests.Tests;

/// <summary>
/// A bounded, seeded fuzz: a few hundred malformed bodies to every POST and PATCH route (and odd query strings to the
/// GET routes), asserting that none answers 5xx and that the server stays alive. Every body is built to stay invalid
/// (two independent defects in the base body, or targets that do not exist), so nothing is created.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class BadInputFuzzTests(ServerFixture fixture, ITestOutputHelper output)
{
    private ServerProcess S => fixture.Server;
    private const string Missing = "no-such-thing-fuzz";
    private const int BodiesPerRoute = 200;

    /// <summary>Route and a base body (already invalid where the route creates something).</summary>
    private static readonly (string Method, string Url, string Base)[] Routes =
    [
        ("POST", "v2/sandboxes/boxes", "{\"template_name\":\"fuzz-no-such-template\",\"name\":\"Fuzz_Bad\",\"vcpus\":1,\"mem_bytes\":134217728,\"ttl_seconds\":60,\"env\":{\"A\":\"b\"},\"wait_for_ready\":true,\"timeout\":5}"),
        ("PATCH", $"v2/sandboxes/boxes/{Missing}", "{\"name\":\"x\",\"ttl_seconds\":60,\"network_policy\":{\"mode\":\"custom\",\"allow_cidrs\":[\"10.0.0.0/8\"],\"allow_domains\":[\"a.com\"]}}"),
        ("POST", $"v2/sandboxes/boxes/{Missing}/stop", "{}"),
        ("POST", $"v2/sandboxes/boxes/{Missing}/start", "{}"),
        ("POST", $"v2/sandboxes/boxes/{Missing}/pause", "{}"),
        ("POST", $"v2/sandboxes/boxes/{Missing}/resume", "{}"),
        ("POST", $"v2/sandboxes/boxes/{Missing}/snapshot", "{\"name\":\"s\",\"checkpoint\":false}"),
        ("POST", $"v2/sandboxes/boxes/{Missing}/service-url", "{\"port\":8080,\"expires_in_seconds\":60}"),
        ("POST", "v2/sandboxes/templates", "{\"name\":\"Fuzz_Bad\",\"image\":\"docker://nope\",\"resources\":{\"cpu\":\"1\",\"memory\":\"1Gi\"},\"volume_mounts\":[{\"volume_name\":\"v\",\"mount_path\":\"/data\"}]}"),
        ("PATCH", $"v2/sandboxes/templates/{Missing}", "{\"name\":\"x\"}"),
        ("POST", "v2/sandboxes/volumes", "{\"name\":\"Fuzz_Bad\",\"size\":\"1Mi\",\"wait_for_ready\":true,\"timeout\":60}"),
        ("PATCH", $"v2/sandboxes/volumes/{Missing}", "{\"name\":\"x\",\"size\":\"16Mi\"}"),
        ("POST", "v2/sandboxes/pools", "{\"name\":\"Fuzz_Bad\",\"template_name\":\"fuzz-no-such-template\",\"replicas\":0,\"wait_for_ready\":false,\"timeout\":10}"),
        ("PATCH", $"v2/sandboxes/pools/{Missing}", "{\"name\":\"x\",\"replicas\":1}"),
        ("POST", "v2/sandboxes/snapshots", "{\"name\":\"Fuzz_Bad\",\"docker_image\":\"relative/path\",\"fs_capacity_bytes\":1}"),
        ("POST", $"v2/sandboxes/dataplane/{Missing}/execute", "{\"command\":\"true\",\"shell\":\"/bin/sh\",\"cwd\":\"/tmp\",\"env\":{\"A\":\"b\"},\"timeout\":5}"),
        ("POST", $"v2/sandboxes/dataplane/{Missing}/upload?path=/tmp/x", "{}"),
        ("POST", $"v2/sandboxes/dataplane/{Missing}/execute", "{\"command\":\"true\",\"run_config\":{\"user\":\"user:user\",\"work_dir\":\"/tmp\",\"env_vars\":{\"A\":\"b\"}}}"),
        ("POST", $"v2/sandboxes/dataplane/{Missing}/glob", "{\"pattern\":\"**/*.py\",\"path\":\"/home/user\",\"limit\":10}"),
        ("POST", $"v2/sandboxes/dataplane/{Missing}/grep", "{\"pattern\":\"x\",\"path\":\"/home/user\",\"glob\":\"*.py\",\"limit\":10}"),
    ];

    private static readonly string[] Replacements =
    [
        "1e400", "-1e400", "-1", "0", "1.5", "99999999999999999999999999", "-99999999999999999999", "\"\"", "\"x\"", "[]", "{}", "true",
        "false", "null", "\"\\u0000\"", "\"a\\ud800\"", "[[[[[[[[[[[[]]]]]]]]]]]]", "{\"a\":{\"a\":{\"a\":1}}}", "\"" + new string('z', 70_000) + "\"",
        "\"../../../etc/passwd\"", "\"/proc/1/mem\"", "-0", "1E+2", "[1,\"a\",null,{}]",
    ];

    /// <summary>Malformed variants of <paramref name="baseBody"/>, deterministic for a seed.</summary>
    internal static IEnumerable<(string What, byte[] Body, string ContentType)> Bodies(string baseBody, int seed)
    {
        var random = new Random(seed);
        var raw = Encoding.UTF8.GetBytes(baseBody);
        using var doc = JsonDocument.Parse(baseBody);
        var fields = doc.RootElement.EnumerateObject().Select(p => p.Name).ToArray();
        const string json = "application/json";
        yield return ("empty", [], json);
        yield return ("whitespace", " \r\n\t "u8.ToArray(), json);
        yield return ("array", "[]"u8.ToArray(), json);
        yield return ("string", "\"x\""u8.ToArray(), json);
        yield return ("number", "1e999"u8.ToArray(), json);
        yield return ("null", "null"u8.ToArray(), json);
        yield return ("deep", Encoding.ASCII.GetBytes(new string('[', 5000) + new string(']', 5000)), json);
        yield return ("deep object", Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("{\"a\":", 200)) + "1" + new string('}', 200)), json);
        yield return ("two documents", Encoding.UTF8.GetBytes(baseBody + baseBody), json);
        yield return ("trailing comma", Encoding.UTF8.GetBytes(baseBody.TrimEnd('}') + ",}"), json);
        yield return ("comment", Encoding.UTF8.GetBytes("/* c */" + baseBody), json);
        yield return ("BOM", [0xEF, 0xBB, 0xBF, .. raw], json);
        yield return ("UTF-16", Encoding.Unicode.GetBytes(baseBody), json);
        yield return ("form content type", raw, "application/x-www-form-urlencoded");
        yield return ("text content type", raw, "text/plain; charset=latin1");
        yield return ("multipart content type", raw, "multipart/form-data; boundary=X");
        yield return ("over 1 MiB", Encoding.ASCII.GetBytes("{\"a\":\"" + new string('a', 1_100_000) + "\"}"), json);
        var n = 17;
        while (n < BodiesPerRoute)
        {
            switch (random.Next(7))
            {
                case 0: // truncated
                {
                    var cut = random.Next(0, raw.Length);
                    yield return ($"truncated at {cut}", raw[..cut], json);
                    break;
                }
                case 1: // random bytes
                {
                    var bytes = new byte[random.Next(1, 64)];
                    random.NextBytes(bytes);
                    yield return ("random bytes", bytes, json);
                    break;
                }
                case 2: // one field replaced by an odd value
                {
                    var field = fields.Length == 0 ? "x" : fields[random.Next(fields.Length)];
                    var value = Replacements[random.Next(Replacements.Length)];
                    yield return ($"{field}={value[..Math.Min(20, value.Length)]}", Encoding.UTF8.GetBytes(Replace(baseBody, field, value)), json);
                    break;
                }
                case 3: // invalid UTF-8 bytes spliced into a string
                {
                    var quote = baseBody.IndexOf('"', random.Next(baseBody.Length));
                    var at = quote < 0 ? 1 : quote + 1;
                    byte[][] bad = [[0xED, 0xA0, 0x80], [0xFF], [0xC3], [0xF4, 0x90, 0x80, 0x80], [0xC0, 0xAF], [0x80]];
                    var pick = bad[random.Next(bad.Length)];
                    var prefix = Encoding.UTF8.GetBytes(baseBody[..at]);
                    yield return ($"bad UTF-8 at {at}", [.. prefix, .. pick, .. Encoding.UTF8.GetBytes(baseBody[at..])], json);
                    break;
                }
                case 4: // a duplicated field
                {
                    var field = fields.Length == 0 ? "x" : fields[random.Next(fields.Length)];
                    yield return ($"duplicate {field}", Encoding.UTF8.GetBytes(baseBody.TrimEnd('}') + (fields.Length == 0 ? "" : ",") + $"\"{field}\":1,\"{field}\":2}}"), json);
                    break;
                }
                case 5: // a byte flipped
                {
                    var copy = raw.ToArray();
                    copy[random.Next(copy.Length)] = (byte)random.Next(256);
                    yield return ("flipped byte", copy, json);
                    break;
                }
                default: // control characters and NUL, raw and escaped
                {
                    string[] odd = ["\u0000", "\\u0000", "\u0001", "\n", "\\", "\\x", "\\uZZZZ", "\\ud800\\u0041"];
                    var quote = baseBody.IndexOf('"', random.Next(baseBody.Length));
                    var at = quote < 0 ? 1 : quote + 1;
                    yield return ("control", Encoding.UTF8.GetBytes(baseBody[..at] + odd[random.Next(odd.Length)] + baseBody[at..]), json);
                    break;
                }
            }
            n++;
        }
    }

    private static string Replace(string body, string field, string value)
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(body)!.AsObject();
        node.Remove(field);
        var text = node.ToJsonString();
        return text.Length <= 2 ? $"{{\"{field}\":{value}}}" : text[..^1] + $",\"{field}\":{value}}}";
    }

    [Fact]
    public async Task Malformed_bodies_to_every_post_and_patch_route_never_answer_5xx()
    {
        var failures = new List<string>();
        var counts = new Dictionary<int, int>();
        var seed = 8;
        foreach (var (method, url, baseBody) in Routes)
        {
            foreach (var (what, body, contentType) in Bodies(baseBody, seed++))
            {
                var content = new ByteArrayContent(body);
                content.Headers.TryAddWithoutValidation("Content-Type", contentType);
                var r = await Api.SendAsync(S.Http, new HttpMethod(method), url, content);
                counts[r.Code] = counts.GetValueOrDefault(r.Code) + 1;
                if (r.Code >= 500) failures.Add($"{method} {url} [{what}]: {r.Text[..Math.Min(300, r.Text.Length)]}");
                if (r.Code is 200 or 201)
                    failures.Add($"{method} {url} [{what}]: accepted ({r.Code}) a body meant to be invalid: {r.Text[..Math.Min(300, r.Text.Length)]}");
                if (r.Code == 422) Assert.True(r.Locs.Count > 0, $"{method} {url} [{what}]: a 422 without loc: {r.Text}");
            }
        }
        output.WriteLine(string.Join(", ", counts.OrderBy(c => c.Key).Select(c => $"{c.Key}: {c.Value}")));
        Assert.True(failures.Count == 0, $"{failures.Count} bad answers:\n{string.Join("\n", failures.Take(30))}");
        (await S.Anonymous.GetAsync("healthz")).EnsureSuccessStatusCode();
        Assert.True(S.IsRunning);
    }

    [Fact]
    public async Task Odd_query_strings_never_answer_5xx()
    {
        string[] lists = ["v2/sandboxes/boxes", "v2/sandboxes/templates", "v2/sandboxes/volumes", "v2/sandboxes/pools", "v2/sandboxes/snapshots"];
        string[] queries =
        [
            "limit=99999999999999999999", "limit=-1", "limit=0", "limit=abc", "limit=", "offset=-5", "offset=99999999999999999999",
            "offset=2147483647", "limit=1&limit=2", "sort_by=nope", "sort_by=", "sort_direction=sideways", "status=%00", "name_contains=%00",
            "name_contains=%ED%A0%80", "name_contains=%FF", "template_name=%00%FF", "status=ready&status=stopped", "limit=1e3", "limit=%20100",
        ];
        var failures = new List<string>();
        foreach (var list in lists)
        foreach (var q in queries)
        {
            var r = await S.GetAsync($"{list}?{q}");
            if (r.Code >= 500) failures.Add($"GET {list}?{q}: {r}");
        }
        string[] odd = ["%00", "%FF", "%ED%A0%80", "..", "a%2Fb", new string('a', 5000)];
        foreach (var name in odd)
        foreach (var path in new[] { $"v2/sandboxes/boxes/{name}", $"v2/sandboxes/templates/{name}", $"v2/sandboxes/volumes/{name}", $"v2/sandboxes/pools/{name}",
                     $"v2/sandboxes/snapshots/{name}", $"v2/sandboxes/boxes/{name}/status", $"v2/sandboxes/dataplane/{name}/download?path=/etc/hostname" })
        {
            var r = await S.GetAsync(path);
            if (r.Code >= 500) failures.Add($"GET {path}: {r}");
        }
        foreach (var path in new[] { "v2/sandboxes/service/%00/80/", "v2/sandboxes/service/x/99999999999/", "v2/sandboxes/service/x/-1/?token=%00",
                     "v2/sandboxes/service/x/80/?token=%FF", "v2/sandboxes/service/x/abc/a%00b" })
        {
            using var res = await S.Anonymous.GetAsync(path);
            if ((int)res.StatusCode >= 500) failures.Add($"GET {path}: {(int)res.StatusCode}");
        }
        await using var box = await Box.CreateAsync(S, tag: "fuzzq");
        foreach (var p in new[] { "", "%00", "%FF", "/", "..", "/proc", "a%00b", new string('p', 5000), "/home/user/" + new string('n', 300) })
        {
            var r = await S.GetAsync($"{box.DataplaneUrl}/download?path={p}");
            if (r.Code >= 500) failures.Add($"download path={p}: {r}");
            var up = await box.UploadAsync(Uri.UnescapeDataString(p), "x"u8.ToArray());
            if (up.Code >= 500) failures.Add($"upload path={p}: {up}");
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        (await S.Anonymous.GetAsync("healthz")).EnsureSuccessStatusCode();
    }

    [Fact]
    public async Task Odd_websocket_first_frames_never_drop_the_socket_silently()
    {
        await using var box = await Box.CreateAsync(S, tag: "fuzzws");
        string[] fields = ["type", "command", "shell", "cwd", "env", "timeout_seconds", "idle_timeout_seconds", "ttl_seconds", "kill_on_disconnect",
            "command_id", "binary_output", "pty", "stdout_offset", "stderr_offset", "close_stdin", "run_config"];
        var random = new Random(1008);
        var failures = new List<string>();
        for (var i = 0; i < 60; i++)
        {
            var field = fields[random.Next(fields.Length)];
            var value = Replacements[random.Next(Replacements.Length)];
            var frame = Replace("{\"type\":\"execute\",\"command\":\"true\",\"timeout_seconds\":5}", field, value);
            await using var ws = await WsExec.ConnectAsync(S, box.DataplaneUrl);
            await ws.Socket.SendAsync(Encoding.UTF8.GetBytes(frame), System.Net.WebSockets.WebSocketMessageType.Text, true, CancellationToken.None);
            var what = $"{field}={value[..Math.Min(20, value.Length)]}";
            try
            {
                var frames = new List<JsonElement>();
                while (await ws.ReceiveAsync(TimeSpan.FromSeconds(15)) is { } f) frames.Add(f);
                if (frames.Count == 0) failures.Add($"{what}: closed without a frame ({ws.Socket.CloseStatus})");
                if (ws.Socket.CloseStatus == System.Net.WebSockets.WebSocketCloseStatus.InternalServerError)
                    failures.Add($"{what}: 1011 {string.Join(" ", frames)}");
                if (frames.Count > 0 && frames[^1].Str("type") is not ("exit" or "error"))
                    failures.Add($"{what}: last frame {frames[^1]}");
            }
            catch (Exception e) when (e is System.Net.WebSockets.WebSocketException or IOException)
            {
                failures.Add($"{what}: dropped ({e.Message})");
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }
}
