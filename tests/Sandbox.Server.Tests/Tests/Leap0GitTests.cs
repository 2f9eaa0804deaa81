using Sandbox.Server.Tests.Infrastructure;

namespace Sandbox.Server.Tests.Tests;

/// <summary>leap0's <c>/git/*</c>: the sandbox's own git, run in the repository, with values that are never options.</summary>
[Collection(ServerCollection.Name)]
public sealed class Leap0GitTests(ServerFixture fixture)
{
    private ServerProcess S => fixture.Server;

    [Fact]
    public async Task Clones_commits_branches_diffs_and_logs_inside_the_sandbox()
    {
        using var http = Leap0Api.Client(S);
        await using var box = await Box.CreateAsync(S, tag: "l0git");
        string Git(string verb) => $"v1/sandbox/{box.Id}/git/{verb}";
        await box.RunAsync("git init -q -b main /home/user/origin && cd /home/user/origin && echo one > a.txt && git add a.txt && git -c user.name=o -c user.email=o@x commit -qm first");

        var clone = (await http.L0PostAsync(Git("clone"), new { url = "/home/user/origin", path = "/home/user/repo" })).Expect(200).Json;
        Assert.Equal(0, clone.GetProperty("exit_code").GetInt32());
        await box.RunAsync("echo two >> /home/user/repo/a.txt && echo new > /home/user/repo/b.txt");
        var status = (await http.L0PostAsync(Git("status"), new { path = "/home/user/repo" })).Expect(200).Json;
        Assert.Contains("modified:   a.txt", status.Str("output"));
        Assert.Contains("b.txt", status.Str("output"));
        Assert.Contains("+two", (await http.L0PostAsync(Git("diff-unstaged"), new { path = "/home/user/repo", context_lines = 0 })).Expect(200).Json.Str("output"));
        (await http.L0PostAsync(Git("add"), new { path = "/home/user/repo", files = new[] { "a.txt", "b.txt" } })).Expect(200);
        Assert.Contains("+new", (await http.L0PostAsync(Git("diff-staged"), new { path = "/home/user/repo" })).Expect(200).Json.Str("output"));

        var commit = (await http.L0PostAsync(Git("commit"), new { path = "/home/user/repo", message = "second", author = "Ada", email = "ada@example.com" })).Expect(200).Json;
        Assert.Equal(0, commit.GetProperty("result").GetProperty("exit_code").GetInt32());
        var sha = commit.Str("sha");
        Assert.Matches("^[0-9a-f]{40}$", sha);
        Assert.Equal($"{sha} Ada ada@example.com", (await box.RunAsync("cd /home/user/repo && git log -1 --format='%H %an %ae'")).Trim());
        var nothing = (await http.L0PostAsync(Git("commit"), new { path = "/home/user/repo", message = "empty" })).Expect(200).Json;
        Assert.NotEqual(0, nothing.GetProperty("result").GetProperty("exit_code").GetInt32());
        Assert.Equal("", nothing.Str("sha"));
        Assert.Equal(0, (await http.L0PostAsync(Git("commit"), new { path = "/home/user/repo", message = "empty", allow_empty = true })).Expect(200).Json.GetProperty("result").GetProperty("exit_code").GetInt32());

        var log = (await http.L0PostAsync(Git("log"), new { path = "/home/user/repo", max_count = 2 })).Expect(200).Json.Str("output");
        Assert.Contains("second", log);
        Assert.DoesNotContain("first", log);
        Assert.Contains("+new", (await http.L0PostAsync(Git("show"), new { path = "/home/user/repo", revision = sha })).Expect(200).Json.Str("output"));
        Assert.Contains("+two", (await http.L0PostAsync(Git("diff"), new { path = "/home/user/repo", target = "origin/main" })).Expect(200).Json.Str("output"));

        Assert.Equal(0, (await http.L0PostAsync(Git("create-branch"), new { path = "/home/user/repo", name = "feature", checkout = true })).Expect(200).Json.GetProperty("exit_code").GetInt32());
        Assert.Contains("* feature", (await http.L0PostAsync(Git("branches"), new { path = "/home/user/repo" })).Expect(200).Json.Str("output"));
        Assert.Contains("origin/main", (await http.L0PostAsync(Git("branches"), new { path = "/home/user/repo", branch_type = "remote" })).Expect(200).Json.Str("output"));
        (await http.L0PostAsync(Git("checkout-branch"), new { path = "/home/user/repo", branch = "main" })).Expect(200);
        Assert.Equal(0, (await http.L0PostAsync(Git("delete-branch"), new { path = "/home/user/repo", name = "feature", force = true })).Expect(200).Json.GetProperty("exit_code").GetInt32());
        var push = (await http.L0PostAsync(Git("push"), new { path = "/home/user/repo", remote = "origin", branch = "main:pushed" })).Expect(200).Json;
        Assert.Equal(0, push.GetProperty("exit_code").GetInt32());
        Assert.Equal(sha, (await box.RunAsync("git -C /home/user/origin rev-parse pushed~1")).Trim());
        Assert.Equal(0, (await http.L0PostAsync(Git("pull"), new { path = "/home/user/repo" })).Expect(200).Json.GetProperty("exit_code").GetInt32());
        (await http.L0PostAsync(Git("reset"), new { path = "/home/user/repo" })).Expect(200);
        // A failing git is its exit code and output, not an HTTP error.
        var bad = (await http.L0PostAsync(Git("checkout-branch"), new { path = "/home/user/repo", branch = "no-such-branch" })).Expect(200).Json;
        Assert.NotEqual(0, bad.GetProperty("exit_code").GetInt32());
        Assert.Contains("no-such-branch", bad.Str("output"));
        (await http.L0PostAsync(Git("status"), new { path = "/home/user/none" })).ExpectLeap0Error(404);
    }

    [Fact]
    public async Task Refuses_values_git_would_read_as_options_and_bad_input()
    {
        using var http = Leap0Api.Client(S);
        await using var box = await Box.CreateAsync(S, tag: "l0gitbad");
        string Git(string verb) => $"v1/sandbox/{box.Id}/git/{verb}";
        (await http.L0PostAsync(Git("status"), new { })).ExpectLeap0Field("path");
        (await http.L0PostAsync(Git("clone"), new { path = "/home/user/r", url = "--upload-pack=touch /tmp/pwned" })).ExpectLeap0Field("url");
        (await http.L0PostAsync(Git("clone"), new { path = "/home/user/r" })).ExpectLeap0Field("url");
        (await http.L0PostAsync(Git("show"), new { path = "/home/user", revision = "--output=/tmp/x" })).ExpectLeap0Field("revision");
        (await http.L0PostAsync(Git("diff"), new { path = "/home/user" })).ExpectLeap0Field("target");
        (await http.L0PostAsync(Git("branches"), new { path = "/home/user", branch_type = "mine" })).ExpectLeap0Field("branch_type");
        (await http.L0PostAsync(Git("create-branch"), new { path = "/home/user", name = "-f" })).ExpectLeap0Field("name");
        (await http.L0PostAsync(Git("add"), new { path = "/home/user", files = Array.Empty<string>() })).ExpectLeap0Field("files");
        (await http.L0PostAsync(Git("commit"), new { path = "/home/user" })).ExpectLeap0Field("message");
        (await http.L0PostAsync(Git("log"), new { path = "/home/user", max_count = 0 })).ExpectLeap0Field("max_count");
        (await http.L0PostAsync(Git("push"), new { path = "/home/user", remote = "--exec=x" })).ExpectLeap0Field("remote");
        Assert.Equal("absent", (await box.RunAsync("test -e /tmp/pwned && echo present || echo absent")).Trim());
    }

    [Fact]
    public async Task An_image_without_git_or_coreutils_says_so()
    {
        // A root filesystem with nothing to run: no git, no find, no shell.
        var rootfs = Path.Combine("/var/tmp/sandbox-server-tests", "l0empty-" + Guid.NewGuid().ToString("N")[..8]);
        foreach (var dir in new[] { "proc", "dev", "tmp", "home/user", "etc" }) Directory.CreateDirectory(Path.Combine(rootfs, dir));
        var name = Names.New("l0empty");
        try
        {
            (await S.PostAsync(Api.Templates, new System.Text.Json.Nodes.JsonObject
            {
                ["name"] = name, ["image"] = "rootfs:" + rootfs,
                ["resources"] = new System.Text.Json.Nodes.JsonObject { ["cpu"] = "500m", ["memory"] = "256Mi" },
            })).Expect(201);
            using var http = Leap0Api.Client(S);
            await using var box = await Box.CreateAsync(S, template: name, tag: "l0nogit");
            var git = (await http.L0PostAsync($"v1/sandbox/{box.Id}/git/status", new { path = "/home/user" })).ExpectLeap0Error(400).Json;
            Assert.Equal("ToolMissing", git.Str("error"));
            Assert.Contains("git is not installed in the sandbox", git.Str("message"));
            var stat = (await http.L0PostAsync($"v1/sandbox/{box.Id}/filesystem/stat", new { path = "/home/user" })).ExpectLeap0Error(400).Json;
            Assert.Equal("ToolMissing", stat.Str("error"));
            Assert.Contains("coreutils and findutils", stat.Str("message"));
        }
        finally
        {
            await S.DeleteAsync($"{Api.Templates}/{name}");
            try { Directory.Delete(rootfs, true); } catch (IOException) { }
        }
    }
}
