using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Sandbox.Server.Tests.Infrastructure;

namespace Sandbox.Server.Tests.Tests;

/// <summary>leap0's <c>/filesystem/*</c> on the real server: every operation, bad input, and no way out of the sandbox.</summary>
[Collection(ServerCollection.Name)]
public sealed class Leap0FileTests(ServerFixture fixture)
{
    private ServerProcess S => fixture.Server;

    private static string Fs(Box box, string op) => $"v1/sandbox/{box.Id}/filesystem/{op}";

    private static async Task<Resp> WriteAsync(HttpClient http, Box box, string path, byte[] content, string? permissions = null)
    {
        var url = Fs(box, "write-file") + "?path=" + Uri.EscapeDataString(path) + (permissions is null ? "" : "&permissions=" + permissions);
        var body = new ByteArrayContent(content);
        body.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return await Api.SendAsync(http, HttpMethod.Post, url, body);
    }

    private static async Task<(int Status, byte[] Bytes)> ReadAsync(HttpClient http, Box box, object body)
    {
        using var response = await http.PostAsync(Fs(box, "read-file"), Api.JsonBody(body));
        return ((int)response.StatusCode, await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Writes_reads_stats_and_lists_files()
    {
        using var http = Leap0Api.Client(S);
        await using var box = await Box.CreateAsync(S, tag: "l0fs");
        (await WriteAsync(http, box, "/home/user/d/sub/a.txt", "one\ntwo\nthree\nfour\n"u8.ToArray(), "0640")).Expect(204);
        (await WriteAsync(http, box, "rel.bin", [0, 1, 2, 255])).Expect(204);
        Assert.Equal("640 0 0 19", (await box.RunAsync("stat -c '%a %u %g %s' /home/user/d/sub/a.txt")).Trim());

        var (status, bytes) = await ReadAsync(http, box, new { path = "/home/user/d/sub/a.txt" });
        Assert.Equal(200, status);
        Assert.Equal("one\ntwo\nthree\nfour\n", Encoding.UTF8.GetString(bytes));
        Assert.Equal(new byte[] { 0, 1, 2, 255 }, (await ReadAsync(http, box, new { path = "/home/user/rel.bin" })).Bytes);
        Assert.Equal("two\nth", Encoding.UTF8.GetString((await ReadAsync(http, box, new { path = "d/sub/a.txt", offset = 4, limit = 6 })).Bytes));
        Assert.Equal("one\ntwo\n", Encoding.UTF8.GetString((await ReadAsync(http, box, new { path = "d/sub/a.txt", head = 2 })).Bytes));
        Assert.Equal("three\nfour\n", Encoding.UTF8.GetString((await ReadAsync(http, box, new { path = "d/sub/a.txt", tail = 2 })).Bytes));
        Assert.Equal("", Encoding.UTF8.GetString((await ReadAsync(http, box, new { path = "d/sub/a.txt", offset = 100 })).Bytes));
        Assert.Equal(404, (await ReadAsync(http, box, new { path = "/home/user/nope" })).Status);
        Assert.Equal(400, (await ReadAsync(http, box, new { path = "/home/user/d" })).Status);

        await box.RunAsync("ln -s sub/a.txt /home/user/d/link && touch -d @1700000000 /home/user/d/sub/a.txt");
        var stat = (await http.L0PostAsync(Fs(box, "stat"), new { path = "/home/user/d/sub/a.txt" })).Expect(200).Json;
        Assert.Equal("a.txt", stat.Str("name"));
        Assert.Equal("/home/user/d/sub/a.txt", stat.Str("path"));
        Assert.False(stat.GetProperty("is_dir").GetBoolean());
        Assert.Equal(19, stat.GetProperty("size").GetInt64());
        Assert.Equal("640", stat.Str("mode"));
        Assert.Equal(1700000000, stat.GetProperty("mtime").GetInt64());
        Assert.Equal("root", stat.Str("owner"));
        Assert.Equal("root", stat.Str("group"));
        Assert.False(stat.GetProperty("is_symlink").GetBoolean());
        Assert.False(stat.TryGetProperty("link_target", out _));
        var link = (await http.L0PostAsync(Fs(box, "stat"), new { path = "/home/user/d/link/" })).Expect(200).Json;
        Assert.True(link.GetProperty("is_symlink").GetBoolean());
        Assert.Equal("sub/a.txt", link.Str("link_target"));
        (await http.L0PostAsync(Fs(box, "stat"), new { path = "/home/user/none" })).ExpectLeap0Error(404);

        var ls = (await http.L0PostAsync(Fs(box, "ls"), new { path = "/home/user/d" })).Expect(200).Json.GetProperty("items");
        Assert.Equal(["/home/user/d/link", "/home/user/d/sub"], ls.EnumerateArray().Select(e => e.Str("path")).ToArray());
        Assert.True(ls.EnumerateArray().Single(e => e.Str("name") == "sub").GetProperty("is_dir").GetBoolean());
        var all = (await http.L0PostAsync(Fs(box, "ls"), new { path = "/home/user/d", recursive = true })).Expect(200).Json.GetProperty("items");
        Assert.Equal(["/home/user/d/link", "/home/user/d/sub", "/home/user/d/sub/a.txt"], all.EnumerateArray().Select(e => e.Str("path")).ToArray());
        var excluded = (await http.L0PostAsync(Fs(box, "ls"), new { path = "/home/user/d", recursive = true, exclude = new[] { "sub" } })).Expect(200).Json.GetProperty("items");
        Assert.Equal(["/home/user/d/link"], excluded.EnumerateArray().Select(e => e.Str("path")).ToArray());
        (await http.L0PostAsync(Fs(box, "ls"), new { path = "/home/user/d/sub/a.txt" })).ExpectLeap0Error(400);
        (await http.L0PostAsync(Fs(box, "ls"), new { path = "/home/user/gone" })).ExpectLeap0Error(404);

        Assert.True((await http.L0PostAsync(Fs(box, "exists"), new { path = "/home/user/d/link" })).Expect(200).Json.GetProperty("exists").GetBoolean());
        Assert.False((await http.L0PostAsync(Fs(box, "exists"), new { path = "/home/user/d/nope" })).Expect(200).Json.GetProperty("exists").GetBoolean());
        Assert.False((await http.L0PostAsync(Fs(box, "exists"), new { path = "/home/user/d/sub/a.txt/x" })).Expect(200).Json.GetProperty("exists").GetBoolean());

        var tree = (await http.L0PostAsync(Fs(box, "tree"), new { path = "/home/user/d" })).Expect(200).Json.GetProperty("items");
        Assert.Equal("""[{"name":"link","type":"file"},{"name":"sub","type":"directory","children":[{"name":"a.txt","type":"file"}]}]""", tree.GetRawText());
        var shallow = (await http.L0PostAsync(Fs(box, "tree"), new { path = "/home/user/d", max_depth = 1 })).Expect(200).Json.GetProperty("items");
        Assert.Equal("""[{"name":"link","type":"file"},{"name":"sub","type":"directory","children":[]}]""", shallow.GetRawText());
    }

    [Fact]
    public async Task Makes_deletes_moves_copies_and_sets_permissions()
    {
        using var http = Leap0Api.Client(S);
        await using var box = await Box.CreateAsync(S, tag: "l0fsops");
        (await http.L0PostAsync(Fs(box, "mkdir"), new { path = "/home/user/m/n", recursive = true, permissions = "700" })).Expect(204);
        Assert.Equal("700", (await box.RunAsync("stat -c %a /home/user/m/n")).Trim());
        (await http.L0PostAsync(Fs(box, "mkdir"), new { path = "/home/user/m/n" })).ExpectLeap0Error(400);
        (await http.L0PostAsync(Fs(box, "mkdir"), new { path = "/home/user/m/n", recursive = true })).Expect(204);
        (await http.L0PostAsync(Fs(box, "mkdir"), new { path = "/home/user/x/y" })).ExpectLeap0Error(404);
        (await http.L0PostAsync(Fs(box, "mkdir"), new { path = "/home/user/plain" })).Expect(204);
        Assert.Equal("755", (await box.RunAsync("stat -c %a /home/user/plain")).Trim());

        await box.RunAsync("echo hi > /home/user/m/n/f && echo other > /home/user/o");
        (await http.L0PostAsync(Fs(box, "delete"), new { path = "/home/user/m" })).ExpectLeap0Error(400);
        (await http.L0PostAsync(Fs(box, "copy"), new { src_path = "/home/user/m", dst_path = "/home/user/m2" })).ExpectLeap0Error(400);
        (await http.L0PostAsync(Fs(box, "copy"), new { src_path = "/home/user/m", dst_path = "/home/user/m2", recursive = true })).Expect(204);
        Assert.Equal("hi", (await box.RunAsync("cat /home/user/m2/n/f")).Trim());
        // leap0's spec gives copy's 409 no body.
        Assert.Equal("", (await http.L0PostAsync(Fs(box, "copy"), new { src_path = "/home/user/o", dst_path = "/home/user/m2/n/f" })).Expect(409).Text);
        (await http.L0PostAsync(Fs(box, "copy"), new { src_path = "/home/user/o", dst_path = "/home/user/m2/n/f", overwrite = true })).Expect(204);
        Assert.Equal("other", (await box.RunAsync("cat /home/user/m2/n/f")).Trim());
        (await http.L0PostAsync(Fs(box, "copy"), new { src_path = "/home/user/missing", dst_path = "/home/user/z" })).ExpectLeap0Error(404);

        (await http.L0PostAsync(Fs(box, "move"), new { src_path = "/home/user/o", dst_path = "/home/user/m/n/f" })).ExpectLeap0Error(400);
        (await http.L0PostAsync(Fs(box, "move"), new { src_path = "/home/user/o", dst_path = "/home/user/m/n/f", overwrite = true })).Expect(204);
        Assert.Equal("other|no", (await box.RunAsync("printf '%s|' \"$(cat /home/user/m/n/f)\"; test -e /home/user/o && echo yes || echo no")).Trim());
        (await http.L0PostAsync(Fs(box, "move"), new { src_path = "/home/user/m", dst_path = "/home/user/moved" })).Expect(204);
        (await http.L0PostAsync(Fs(box, "move"), new { src_path = "/home/user/m", dst_path = "/home/user/moved2" })).ExpectLeap0Error(404);
        (await http.L0PostAsync(Fs(box, "move"), new { src_path = "/home/user/moved", dst_path = "/home/user/no/dir/x" })).ExpectLeap0Error(400);

        (await http.L0PostAsync(Fs(box, "set-permissions"), new { path = "/home/user/moved/n/f", mode = "4750", owner = "root", group = "root" })).Expect(204);
        Assert.Equal("4750 root root", (await box.RunAsync("stat -c '%a %U %G' /home/user/moved/n/f")).Trim());
        // The sandbox's root has no CAP_CHOWN (isolation): giving a file away is refused, saying why.
        Assert.Contains("Operation not permitted", (await http.L0PostAsync(Fs(box, "set-permissions"), new { path = "/home/user/moved/n/f", owner = "user" })).ExpectLeap0Error(400).Json.Str("message"));
        (await http.L0PostAsync(Fs(box, "set-permissions"), new { path = "/home/user/moved/n/f", owner = "nosuchuser" })).ExpectLeap0Error(400);
        (await http.L0PostAsync(Fs(box, "set-permissions"), new { path = "/home/user/gone", mode = "644" })).ExpectLeap0Error(404);

        (await http.L0PostAsync(Fs(box, "delete"), new { path = "/home/user/moved", recursive = true })).Expect(204);
        (await http.L0PostAsync(Fs(box, "delete"), new { path = "/home/user/moved" })).ExpectLeap0Error(404);
        (await http.L0PostAsync(Fs(box, "delete"), new { path = "/home/user/plain" })).Expect(204);
        (await http.L0PostAsync(Fs(box, "delete"), new { path = "/", recursive = true })).ExpectLeap0Error(400);
        (await http.L0PostAsync(Fs(box, "delete"), new { path = "/proc/1", recursive = true })).ExpectLeap0Error(400);
        Assert.Equal("ok", (await box.RunAsync("test -d /home/user && test -d /etc && echo ok")).Trim());
    }

    [Fact]
    public async Task Globs_and_greps_with_include_and_exclude()
    {
        using var http = Leap0Api.Client(S);
        await using var box = await Box.CreateAsync(S, tag: "l0fsgrep");
        await box.RunAsync("mkdir -p /home/user/p/src /home/user/p/node_modules/x && cd /home/user/p && echo 'TODO a' > src/a.py && echo 'TODO b' > b.py && echo 'TODO c' > node_modules/x/c.py && echo 'no' > src/d.txt");
        var glob = (await http.L0PostAsync(Fs(box, "glob"), new { path = "/home/user/p", pattern = "*.py", exclude = new[] { "node_modules" } })).Expect(200).Json;
        Assert.Equal(["/home/user/p/b.py", "/home/user/p/src/a.py"], glob.GetProperty("items").EnumerateArray().Select(e => e.GetString()!).ToArray());
        var withModules = (await http.L0PostAsync(Fs(box, "glob"), new { path = "/home/user/p", pattern = "*.py" })).Expect(200).Json;
        Assert.Equal(3, withModules.GetProperty("items").GetArrayLength());
        var grep = (await http.L0PostAsync(Fs(box, "grep"), new { path = "/home/user/p", pattern = "TODO", include = "*.py", exclude = new[] { "node_modules" } })).Expect(200).Json;
        Assert.Equal("""[{"path":"/home/user/p/b.py","line":1,"content":"TODO b"},{"path":"/home/user/p/src/a.py","line":1,"content":"TODO a"}]""", grep.GetProperty("items").GetRawText());
        (await http.L0PostAsync(Fs(box, "grep"), new { path = "/home/user/p" })).ExpectLeap0Field("pattern");
        (await http.L0PostAsync(Fs(box, "glob"), new { path = "relative", pattern = "*" })).ExpectLeap0Field("path");
        (await http.L0PostAsync(Fs(box, "glob"), new { path = "/home/user/p", pattern = "[" })).ExpectLeap0Field("pattern");
    }

    [Fact]
    public async Task Symlinks_and_dotdot_never_lead_out_of_the_sandbox()
    {
        using var http = Leap0Api.Client(S);
        var hostDir = Directory.CreateTempSubdirectory("l0fs-escape-");
        try
        {
            var secret = Path.Combine(hostDir.FullName, "secret");
            File.WriteAllText(secret, "host secret");
            await using var box = await Box.CreateAsync(S, tag: "l0fsesc");
            await box.RunAsync($"ln -s {hostDir.FullName} /home/user/out && ln -s / /home/user/root");
            var dotdot = "/home/user/../../../../.." + secret;
            Assert.Equal(404, (await ReadAsync(http, box, new { path = "/home/user/out/secret" })).Status);
            Assert.Equal(404, (await ReadAsync(http, box, new { path = dotdot })).Status);
            (await http.L0PostAsync(Fs(box, "stat"), new { path = dotdot })).ExpectLeap0Error(404);
            (await http.L0PostAsync(Fs(box, "ls"), new { path = "/home/user/out" })).ExpectLeap0Error(404);
            (await http.L0PostAsync(Fs(box, "copy"), new { src_path = "/home/user/out/secret", dst_path = "/home/user/got" })).ExpectLeap0Error(404);
            Assert.False((await http.L0PostAsync(Fs(box, "exists"), new { path = dotdot })).Expect(200).Json.GetProperty("exists").GetBoolean());
            (await http.L0PostAsync(Fs(box, "delete"), new { path = "/home/user/root" + secret })).ExpectLeap0Error(404);
            // A write through the link finds no such directory in the sandbox; once the sandbox has one, it lands there.
            (await WriteAsync(http, box, "/home/user/out/secret", "from the sandbox"u8.ToArray())).ExpectLeap0Error(404);
            await box.RunAsync($"mkdir -p {hostDir.FullName}");
            (await WriteAsync(http, box, "/home/user/out/secret", "from the sandbox"u8.ToArray())).Expect(204);
            (await http.L0PostAsync(Fs(box, "set-permissions"), new { path = "/home/user/root" + hostDir.FullName, mode = "777" })).Expect(204);
            Assert.Equal("host secret", File.ReadAllText(secret));
            Assert.Equal("from the sandbox", (await box.RunAsync($"cat {secret}")).Trim());
            Assert.Equal(["secret"], hostDir.GetFiles().Select(f => f.Name).ToArray());
            // The root through a symlink is the sandbox's own root.
            var etc = (await http.L0PostAsync(Fs(box, "ls"), new { path = "/home/user/root/home" })).Expect(200).Json.GetProperty("items");
            Assert.Equal(["/home/user/root/home/user"], etc.EnumerateArray().Select(e => e.Str("path")).ToArray());
        }
        finally
        {
            hostDir.Delete(recursive: true);
        }
    }

    /// <summary>The parts of a multipart body by their Content-Disposition names.</summary>
    private static Dictionary<string, byte[]> ParseMultipart(byte[] body, string boundary)
    {
        var parts = new Dictionary<string, byte[]>();
        var delimiter = Encoding.ASCII.GetBytes("--" + boundary);
        var at = body.AsSpan().IndexOf(delimiter);
        while (at >= 0)
        {
            var start = at + delimiter.Length;
            if (body.AsSpan(start).StartsWith("--"u8)) break;
            start += 2; // CRLF
            var headersEnd = body.AsSpan(start).IndexOf("\r\n\r\n"u8) + start;
            var headers = Encoding.UTF8.GetString(body, start, headersEnd - start);
            var next = body.AsSpan(headersEnd).IndexOf(Encoding.ASCII.GetBytes("\r\n--" + boundary)) + headersEnd;
            var name = System.Text.RegularExpressions.Regex.Match(headers, "name=\"([^\"]*)\"").Groups[1].Value;
            parts[name] = body[(headersEnd + 4)..next];
            at = next + 2;
        }
        return parts;
    }

    [Fact]
    public async Task Writes_and_reads_many_files_as_multipart()
    {
        using var http = Leap0Api.Client(S);
        await using var box = await Box.CreateAsync(S, tag: "l0fsmulti");
        using (var form = new MultipartFormDataContent())
        {
            form.Add(new ByteArrayContent("a"u8.ToArray()), "/home/user/w/a.txt", "a.txt");
            form.Add(new ByteArrayContent([0, 255]), "rel/b.bin", "b.bin");
            (await Api.SendAsync(http, HttpMethod.Post, Fs(box, "write-files"), form)).Expect(204);
        }
        Assert.Equal("a|2", (await box.RunAsync("printf '%s|' \"$(cat /home/user/w/a.txt)\"; stat -c %s /home/user/rel/b.bin")).Trim());
        using var response = await http.PostAsync(Fs(box, "read-files"), Api.JsonBody(new { paths = new[] { "/home/user/w/a.txt", "rel/b.bin" } }));
        Assert.Equal(200, (int)response.StatusCode);
        var boundary = response.Content.Headers.ContentType!.Parameters.Single(p => p.Name == "boundary").Value!;
        var parts = ParseMultipart(await response.Content.ReadAsByteArrayAsync(), boundary);
        Assert.Equal(["/home/user/w/a.txt", "rel/b.bin"], parts.Keys.ToArray());
        Assert.Equal("a"u8.ToArray(), parts["/home/user/w/a.txt"]);
        Assert.Equal(new byte[] { 0, 255 }, parts["rel/b.bin"]);
        (await http.L0PostAsync(Fs(box, "read-files"), new { paths = new[] { "/home/user/w/a.txt", "/home/user/none" } })).ExpectLeap0Error(404);
        (await http.L0PostAsync(Fs(box, "read-files"), new { paths = Array.Empty<string>() })).ExpectLeap0Field("paths");
        (await http.L0PostAsync(Fs(box, "read-files"), new { })).ExpectLeap0Field("paths");
        (await Api.SendAsync(http, HttpMethod.Post, Fs(box, "write-files"), new ByteArrayContent([1]))).ExpectLeap0Field("body");
        using (var big = new MultipartFormDataContent())
        {
            big.Add(new ByteArrayContent(new byte[6 << 20]), "/home/user/big1", "big1");
            big.Add(new ByteArrayContent(new byte[6 << 20]), "/home/user/big2", "big2");
            (await Api.SendAsync(http, HttpMethod.Post, Fs(box, "write-files"), big)).ExpectLeap0Error(413);
        }
    }

    [Fact]
    public async Task Edits_files_with_a_diff_all_or_nothing()
    {
        using var http = Leap0Api.Client(S);
        await using var box = await Box.CreateAsync(S, tag: "l0fsedit");
        await box.RunAsync("printf 'hello world\\nsecond\\nhello again\\n' > /home/user/e.txt && chmod 600 /home/user/e.txt && echo old_name > /home/user/f.py");
        var edit = (await http.L0PostAsync(Fs(box, "edit-file"), new { path = "/home/user/e.txt", edits = new[] { new { find = "hello", replace = "hi" }, new { find = "world", replace = "earth" } } })).Expect(200).Json;
        Assert.Equal(3, edit.GetProperty("replacements").GetInt32());
        Assert.Equal("--- a/home/user/e.txt\n+++ b/home/user/e.txt\n@@ -1,3 +1,3 @@\n-hello world\n-second\n-hello again\n+hi earth\n+second\n+hi again\n", edit.Str("diff"));
        Assert.Equal("hi earth\nsecond\nhi again|600", (await box.RunAsync("printf '%s|' \"$(cat /home/user/e.txt)\"; stat -c %a /home/user/e.txt")).Trim());
        // One edit that finds nothing: nothing changes.
        (await http.L0PostAsync(Fs(box, "edit-file"), new { path = "/home/user/e.txt", edits = new[] { new { find = "hi", replace = "yo" }, new { find = "absent", replace = "x" } } })).ExpectLeap0Error(400);
        Assert.Equal("hi earth", (await box.RunAsync("head -1 /home/user/e.txt")).Trim());
        (await http.L0PostAsync(Fs(box, "edit-file"), new { path = "/home/user/none", edits = new[] { new { find = "a", replace = "b" } } })).ExpectLeap0Error(404);
        (await http.L0PostAsync(Fs(box, "edit-file"), new { path = "/home/user/e.txt" })).ExpectLeap0Field("edits");
        (await http.L0PostAsync(Fs(box, "edit-file"), new { path = "/home/user/e.txt", edits = Array.Empty<object>() })).ExpectLeap0Field("edits");

        var many = (await http.L0PostAsync(Fs(box, "edit-files"), new { files = new[] { "/home/user/f.py", "/home/user/e.txt", "/home/user/none" }, find = "old_name", replace = "new_name" })).Expect(200).Json.GetProperty("items");
        Assert.Equal([true, false, false], many.EnumerateArray().Select(i => i.GetProperty("success").GetBoolean()).ToArray());
        Assert.All(many.EnumerateArray().Skip(1), i => Assert.False(string.IsNullOrEmpty(i.Str("error"))));
        Assert.Equal("new_name", (await box.RunAsync("cat /home/user/f.py")).Trim());
        (await http.L0PostAsync(Fs(box, "edit-files"), new { files = new[] { "/home/user/f.py" } })).ExpectLeap0Field("find");
        (await http.L0PostAsync(Fs(box, "edit-files"), new { find = "x" })).ExpectLeap0Field("files");
    }

    [Fact]
    public async Task Bad_input_is_400_naming_the_field()
    {
        using var http = Leap0Api.Client(S);
        await using var box = await Box.CreateAsync(S, tag: "l0fsbad");
        foreach (var op in new[] { "stat", "exists", "ls", "tree", "mkdir", "delete", "set-permissions", "read-file", "glob", "grep" })
        {
            (await http.L0PostAsync(Fs(box, op), new { })).ExpectLeap0Field("path");
            (await http.L0PostAsync(Fs(box, op), new { path = 1 })).ExpectLeap0Field("path");
            (await http.L0PostAsync(Fs(box, op), new { path = "a\0b" })).ExpectLeap0Field("path");
            (await http.L0PostAsync(Fs(box, op), new { path = "/" + new string('a', 5000) })).ExpectLeap0Field("path");
        }
        foreach (var op in new[] { "move", "copy" })
        {
            (await http.L0PostAsync(Fs(box, op), new { dst_path = "/a" })).ExpectLeap0Field("src_path");
            (await http.L0PostAsync(Fs(box, op), new { src_path = "/a" })).ExpectLeap0Field("dst_path");
            (await http.L0PostAsync(Fs(box, op), new { src_path = "/a", dst_path = "/b", overwrite = "yes" })).ExpectLeap0Field("overwrite");
        }
        (await http.L0PostAsync(Fs(box, "ls"), new { path = "/", recursive = 1 })).ExpectLeap0Field("recursive");
        (await http.L0PostAsync(Fs(box, "ls"), new { path = "/", exclude = "node_modules" })).ExpectLeap0Field("exclude");
        (await http.L0PostAsync(Fs(box, "ls"), new { path = "/", exclude = new object[] { 1 } })).ExpectLeap0Field("exclude");
        (await http.L0PostAsync(Fs(box, "tree"), new { path = "/", max_depth = 0 })).ExpectLeap0Field("max_depth");
        (await http.L0PostAsync(Fs(box, "mkdir"), new { path = "/x", permissions = "rwx" })).ExpectLeap0Field("permissions");
        (await http.L0PostAsync(Fs(box, "set-permissions"), new { path = "/x" })).ExpectLeap0Field("mode");
        (await http.L0PostAsync(Fs(box, "set-permissions"), new { path = "/x", mode = "999" })).ExpectLeap0Field("mode");
        (await http.L0PostAsync(Fs(box, "set-permissions"), new { path = "/x", owner = "-r" })).ExpectLeap0Field("owner");
        (await http.L0PostAsync(Fs(box, "set-permissions"), new { path = "/x", group = "a:b" })).ExpectLeap0Field("group");
        (await http.L0PostAsync(Fs(box, "read-file"), new { path = "/x", head = 1, tail = 1 })).ExpectLeap0Field("tail");
        (await http.L0PostAsync(Fs(box, "read-file"), new { path = "/x", offset = -1 })).ExpectLeap0Field("offset");
        (await WriteAsync(http, box, "", [1])).ExpectLeap0Field("path");
        (await Api.SendAsync(http, HttpMethod.Post, Fs(box, "write-file"), new ByteArrayContent([1]))).ExpectLeap0Field("path");
        (await WriteAsync(http, box, "/home/user/x", [1], "abc")).ExpectLeap0Field("permissions");
        (await WriteAsync(http, box, "/home/user/big", new byte[(10 << 20) + 1])).ExpectLeap0Error(413);
        (await WriteAsync(http, box, "/proc/self/x", [1])).ExpectLeap0Error(400);
        (await http.L0PostAsync("v1/sandbox/no-such-id/filesystem/stat", new { path = "/" })).ExpectLeap0Error(404);
    }
}
