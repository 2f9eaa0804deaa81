using System.Text.Json;
using Sandbox.Server.Tests.Infrastructure;

namespace Sandbox.Server.Tests.Tests;

/// <summary>POST /glob and /grep on the dataplane: matching, bounds, bad input, and the sandbox's root as the only view.</summary>
[Collection(ServerCollection.Name)]
public sealed class FileSearchTests(ServerFixture fixture)
{
    private ServerProcess S => fixture.Server;

    private const string Tree = """
        mkdir -p /home/user/proj/sub/deep && cd /home/user/proj &&
        printf 'import os\nneedle = 1\n' > a.py && printf 'x\r\nno\nneedle here\n' > sub/b.py &&
        printf 'needle in text\n' > sub/deep/c.txt && printf 'needle hidden\n' > .hidden.py &&
        printf 'needle\0binary\n' > sub/bin.py
        """;

    private async Task<JsonElement> GlobAsync(Box box, object body) => (await S.PostAsync(box.DataplaneUrl + "/glob", body)).Expect(200).Json;
    private async Task<JsonElement> GrepAsync(Box box, object body) => (await S.PostAsync(box.DataplaneUrl + "/grep", body)).Expect(200).Json;

    private static List<string> Paths(JsonElement result) => result.GetProperty("matches").EnumerateArray().Select(m => m.Str("path")).ToList();

    [Fact]
    public async Task Glob_matches_relative_paths_with_double_star_star_question_and_classes()
    {
        await using var box = await Box.CreateAsync(S, tag: "glob");
        await box.RunAsync(Tree);
        const string P = "/home/user/proj";
        var top = await GlobAsync(box, new { pattern = "*", path = P });
        Assert.Equal([$"{P}/.hidden.py", $"{P}/a.py", $"{P}/sub"], Paths(top));
        Assert.False(top.GetProperty("truncated").GetBoolean());
        var a = top.GetProperty("matches").EnumerateArray().Single(m => m.Str("path") == $"{P}/a.py");
        Assert.False(a.GetProperty("is_dir").GetBoolean());
        Assert.Equal(21, a.GetProperty("size_bytes").GetInt64());
        Assert.True(DateTimeOffset.UtcNow - a.GetProperty("modified_at").GetDateTimeOffset() < TimeSpan.FromMinutes(5));
        Assert.True(top.GetProperty("matches").EnumerateArray().Single(m => m.Str("path") == $"{P}/sub").GetProperty("is_dir").GetBoolean());

        Assert.Equal([$"{P}/.hidden.py", $"{P}/a.py", $"{P}/sub/b.py", $"{P}/sub/bin.py"], Paths(await GlobAsync(box, new { pattern = "**/*.py", path = P })));
        Assert.Equal([$"{P}/sub/b.py", $"{P}/sub/bin.py", $"{P}/sub/deep"], Paths(await GlobAsync(box, new { pattern = "sub/*", path = P + "/" })));
        Assert.Equal([$"{P}/sub/deep/c.txt"], Paths(await GlobAsync(box, new { pattern = "**/c.t?t", path = P })));
        Assert.Equal([$"{P}/a.py"], Paths(await GlobAsync(box, new { pattern = "[ab].py", path = P })));
        Assert.Equal([$"{P}/sub/b.py", $"{P}/sub/bin.py"], Paths(await GlobAsync(box, new { pattern = "sub/[!a]*.py", path = P })));
        Assert.Equal([$"{P}/sub/bin.py"], Paths(await GlobAsync(box, new { pattern = "sub/b?*.py", path = P })));
        Assert.Empty(Paths(await GlobAsync(box, new { pattern = "sub/[!a-c].py", path = P })));
        var all = await GlobAsync(box, new { pattern = "**", path = P });
        Assert.Equal([$"{P}/.hidden.py", $"{P}/a.py", $"{P}/sub", $"{P}/sub/b.py", $"{P}/sub/bin.py", $"{P}/sub/deep", $"{P}/sub/deep/c.txt"], Paths(all));
        var limited = await GlobAsync(box, new { pattern = "**", path = P, limit = 3 });
        Assert.Equal(3, Paths(limited).Count);
        Assert.True(limited.GetProperty("truncated").GetBoolean());
    }

    [Fact]
    public async Task Grep_finds_literal_lines_filters_by_glob_and_skips_binary_files()
    {
        await using var box = await Box.CreateAsync(S, tag: "grep");
        await box.RunAsync(Tree);
        const string P = "/home/user/proj";
        var all = await GrepAsync(box, new { pattern = "needle", path = P });
        var matches = all.GetProperty("matches").EnumerateArray().Select(m => (m.Str("path"), m.GetProperty("line").GetInt32(), m.Str("text"))).ToList();
        Assert.Equal(
            [($"{P}/.hidden.py", 1, "needle hidden"), ($"{P}/a.py", 2, "needle = 1"), ($"{P}/sub/b.py", 3, "needle here"), ($"{P}/sub/deep/c.txt", 1, "needle in text")],
            matches);
        Assert.False(all.GetProperty("truncated").GetBoolean());
        // A bare glob matches base names at any depth; one with a '/' matches the relative path.
        Assert.Equal([$"{P}/sub/deep/c.txt"], Paths(await GrepAsync(box, new { pattern = "needle", path = P, glob = "*.txt" })));
        Assert.Equal([$"{P}/sub/b.py"], Paths(await GrepAsync(box, new { pattern = "needle", path = P, glob = "sub/*.py" })));
        Assert.Empty(Paths(await GrepAsync(box, new { pattern = "needle = 2", path = P })));
        Assert.Equal([$"{P}/a.py"], Paths(await GrepAsync(box, new { pattern = "import os", path = P }))); // literal, with a space
        Assert.Empty(Paths(await GrepAsync(box, new { pattern = "ne.dle", path = P }))); // not a regular expression
        var limited = await GrepAsync(box, new { pattern = "needle", path = P, limit = 1 });
        Assert.Single(Paths(limited));
        Assert.True(limited.GetProperty("truncated").GetBoolean());
        // A very long line: found, its text cut to 2000 characters.
        await box.RunAsync("python3 -c \"print('needle' + 'x' * 100000)\" > /home/user/long.txt");
        var longLine = (await GrepAsync(box, new { pattern = "needle", path = "/home/user", glob = "long.txt" })).GetProperty("matches")[0];
        Assert.Equal(2000, longLine.Str("text").Length);
    }

    [Fact]
    public async Task Symlinks_to_host_paths_or_etc_never_show_host_files()
    {
        // A marker only the host has, in a directory only the host has.
        var hostDir = Directory.CreateTempSubdirectory("sandbox-exec-hostonly-");
        try
        {
            var secret = $"HOST-ONLY-{Guid.NewGuid():N}";
            File.WriteAllText(Path.Combine(hostDir.FullName, "secret.txt"), secret + "\n");
            File.WriteAllText("/tmp/.sandbox-exec-hostonly-probe-" + secret[^8..], secret + "\n");
            await using var box = await Box.CreateAsync(S, tag: "globiso");
            await box.RunAsync($"mkdir -p /home/user/p && cd /home/user/p && ln -s /etc etclink && ln -s {hostDir.FullName} hostlink && " +
                               $"ln -s {hostDir.FullName}/secret.txt secret.txt && ln -s / rootlink && echo mine > own.txt");
            const string P = "/home/user/p";
            var all = await GlobAsync(box, new { pattern = "**", path = P });
            Assert.Equal([$"{P}/etclink", $"{P}/hostlink", $"{P}/own.txt", $"{P}/rootlink", $"{P}/secret.txt"], Paths(all)); // links listed, never entered
            Assert.All(all.GetProperty("matches").EnumerateArray(), m => Assert.False(m.GetProperty("is_dir").GetBoolean()));
            Assert.Empty(Paths(await GrepAsync(box, new { pattern = secret, path = P })));
            Assert.Empty(Paths(await GrepAsync(box, new { pattern = "HOST-ONLY-", path = "/" })));
            // The host's paths named as the directory resolve inside the sandbox, where they do not exist.
            (await S.PostAsync(box.DataplaneUrl + "/glob", new { pattern = "*", path = hostDir.FullName })).ExpectError(404, "NotFound");
            (await S.PostAsync(box.DataplaneUrl + "/grep", new { pattern = secret, path = P + "/hostlink" })).ExpectError(404, "NotFound");
            // /etc through the link is the sandbox's own /etc: no shadow file, the sandbox's hostname.
            Assert.Empty(Paths(await GlobAsync(box, new { pattern = "shadow", path = P + "/etclink" })));
            Assert.Empty(Paths(await GrepAsync(box, new { pattern = "sandbox-exec-hostonly", path = P + "/etclink" })));
            // /proc and /sys are listed but never entered, and refused as the directory.
            Assert.Empty(Paths(await GlobAsync(box, new { pattern = "proc/*", path = "/" })));
            Assert.Empty(Paths(await GlobAsync(box, new { pattern = "sys/**", path = "/" })));
            (await S.PostAsync(box.DataplaneUrl + "/grep", new { pattern = "x", path = "/proc/self" })).ExpectError(400, "NotARegularFile");
            (await S.PostAsync(box.DataplaneUrl + "/glob", new { pattern = "*", path = "/sys" })).ExpectError(400, "NotARegularFile");
        }
        finally
        {
            hostDir.Delete(recursive: true);
            foreach (var f in Directory.GetFiles("/tmp", ".sandbox-exec-hostonly-probe-*")) File.Delete(f);
        }
    }

    [Theory]
    [InlineData("glob", """{"path": "/home/user"}""", "pattern")]
    [InlineData("glob", """{"pattern": "", "path": "/home/user"}""", "pattern")]
    [InlineData("glob", """{"pattern": "/etc/*", "path": "/home/user"}""", "pattern")]
    [InlineData("glob", """{"pattern": "a//b", "path": "/home/user"}""", "pattern")]
    [InlineData("glob", """{"pattern": "[abc", "path": "/home/user"}""", "pattern")]
    [InlineData("glob", """{"pattern": 5, "path": "/home/user"}""", "pattern")]
    [InlineData("glob", """{"pattern": "*"}""", "path")]
    [InlineData("glob", """{"pattern": "*", "path": "home/user"}""", "path")]
    [InlineData("glob", """{"pattern": "*", "path": "/home/user", "limit": 0}""", "limit")]
    [InlineData("glob", """{"pattern": "*", "path": "/home/user", "limit": 10001}""", "limit")]
    [InlineData("glob", """{"pattern": "*", "path": "/home/user", "limit": "5"}""", "limit")]
    [InlineData("grep", """{"pattern": "", "path": "/home/user"}""", "pattern")]
    [InlineData("grep", """{"path": "/home/user"}""", "pattern")]
    [InlineData("grep", """{"pattern": "x", "path": "/home/user", "glob": "[x"}""", "glob")]
    [InlineData("grep", """{"pattern": "x", "path": "/home/user", "glob": ""}""", "glob")]
    [InlineData("grep", """{"pattern": "x", "path": "relative"}""", "path")]
    [InlineData("grep", """{"pattern": "x", "path": "/home/user", "limit": -1}""", "limit")]
    public async Task Bad_input_is_422_naming_the_field(string endpoint, string body, string field)
    {
        await using var box = await Box.CreateAsync(S, tag: "globbad");
        var r = await Api.SendAsync(S.Http, HttpMethod.Post, $"{box.DataplaneUrl}/{endpoint}", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        r.ExpectValidation(field);
    }

    [Fact]
    public async Task Missing_directories_and_files_as_directories_are_clear_errors()
    {
        await using var box = await Box.CreateAsync(S, tag: "globerr");
        await box.RunAsync("echo x > /home/user/file");
        (await S.PostAsync(box.DataplaneUrl + "/glob", new { pattern = "*", path = "/no/such/dir" })).ExpectError(404, "NotFound");
        (await S.PostAsync(box.DataplaneUrl + "/grep", new { pattern = "x", path = "/home/user/file" })).ExpectError(400, "NotADirectory");
        (await S.PostAsync($"{S.Http.BaseAddress}v2/sandboxes/dataplane/{Guid.NewGuid()}/glob", new { pattern = "*", path = "/" })).ExpectError(404, "SandboxNotFound");
    }
}
