using System.Text.Json;
using System.Text.Json.Nodes;
using Sandbox.Server.Tests.Infrastructure;

namespace Sandbox.Server.Tests.Tests;

/// <summary>The current generation's run_config: user, work_dir, env_vars layered sandbox → command, users of the sandbox's own.</summary>
[Collection(ServerCollection.Name)]
public sealed class RunConfigTests(ServerFixture fixture)
{
    private ServerProcess S => fixture.Server;

    private const string Probe = "echo \"$(id -u) $(id -g) $(id -G) $(pwd) A=$A B=$B C=$C HOME=$HOME USER=$USER LEGACY=$LEGACY\"";

    private static JsonObject RunConfig(string? user = null, string? workDir = null, JsonObject? env = null)
    {
        var o = new JsonObject();
        if (user is not null) o["user"] = user;
        if (workDir is not null) o["work_dir"] = workDir;
        if (env is not null) o["env_vars"] = env;
        return o;
    }

    [Fact]
    public async Task Sandbox_layer_then_command_layer_user_and_work_dir_replace_env_vars_merge()
    {
        await using var box = await Box.CreateAsync(S, tag: "rc", extra: new JsonObject
        {
            ["env"] = new JsonObject { ["LEGACY"] = "1", ["A"] = "legacy" },
            ["run_config"] = RunConfig("user", "/tmp", new JsonObject { ["A"] = "box", ["B"] = "box" }),
        });
        var rc = box.Created.GetProperty("run_config");
        Assert.Equal("user", rc.Str("user"));
        Assert.Equal("/tmp", rc.Str("work_dir"));
        Assert.Equal("box", rc.GetProperty("env_vars").Str("B"));

        // The sandbox's layer: its user (uid 1000 of the sandbox's /etc/passwd, HOME and USER from there), its dir, its env over env.
        Assert.Equal("1000 1000 1000 /tmp A=box B=box C= HOME=/home/user USER=user LEGACY=1", (await box.RunAsync(Probe)).Trim());
        // The command's layer on top: env_vars merge, work_dir and user replace.
        var cmd = new JsonObject { ["run_config"] = RunConfig(workDir: "/", env: new JsonObject { ["B"] = "cmd", ["C"] = "cmd" }) };
        Assert.Equal("1000 1000 1000 / A=box B=cmd C=cmd HOME=/home/user USER=user LEGACY=1", (await box.ExecAsync(Probe, extra: cmd)).Out);
        var asRoot = new JsonObject { ["run_config"] = RunConfig("root") };
        Assert.Equal("0 0 0 /tmp A=box B=box C= HOME=/home/user USER=root LEGACY=1", (await box.ExecAsync(Probe, extra: asRoot)).Out);
        // name:group, and a uid the sandbox does not list (Docker's rule: group 0).
        Assert.StartsWith("65534 1000 1000 ", (await box.ExecAsync(Probe, extra: new JsonObject { ["run_config"] = RunConfig("nobody:user") })).Out);
        Assert.StartsWith("4321 0 0 ", (await box.ExecAsync(Probe, extra: new JsonObject { ["run_config"] = RunConfig("4321") })).Out);
        Assert.StartsWith("4321 77 77 ", (await box.ExecAsync(Probe, extra: new JsonObject { ["run_config"] = RunConfig("4321:77") })).Out);
        // Older commands keep working beside it: env and cwd are the command's layer.
        var legacy = new JsonObject { ["env"] = new JsonObject { ["C"] = "old" }, ["cwd"] = "/etc" };
        Assert.Equal("1000 1000 1000 /etc A=box B=box C=old HOME=/home/user USER=user LEGACY=1", (await box.ExecAsync(Probe, extra: legacy)).Out);
    }

    [Fact]
    public async Task A_user_is_a_user_inside_the_sandbox_without_capabilities()
    {
        await using var box = await Box.CreateAsync(S, tag: "rcuser", extra: new JsonObject { ["run_config"] = RunConfig("user") });
        var denied = await box.ExecAsync("touch /etc/not-for-user");
        Assert.NotEqual(0, denied.ExitCode);
        Assert.Contains("Permission denied", denied.Stderr);
        var status = await box.RunAsync("grep -E '^(Uid|Gid|CapEff|CapPrm|CapBnd|NoNewPrivs):' /proc/self/status");
        Assert.Matches(@"Uid:\s+1000\s+1000\s+1000\s+1000", status);
        Assert.Matches(@"CapEff:\s+0000000000000000", status);
        Assert.Matches(@"CapPrm:\s+0000000000000000", status);
        Assert.Matches(@"CapBnd:\s+0000000000000000", status);
        Assert.Matches(@"NoNewPrivs:\s+1", status);
        // Root commands too: the helper's own capabilities (setuid, setgid, setpcap: bits 6-8) never reach a command.
        var root = (await box.ExecAsync("grep -E '^Cap(Eff|Prm|Bnd):' /proc/self/status; grep -E '^CapEff:' /proc/1/status",
            extra: new JsonObject { ["run_config"] = RunConfig("root") })).Out.Split('\n');
        Assert.All(root[..3], l => Assert.Matches(@"\s0000000000000000$", l));
        Assert.Matches(@"CapEff:\s+00000000000001c0$", root[3]);
        // Files made as the user belong to the user inside, and to the mapped (unprivileged) id on the host.
        await box.RunAsync("echo x > /home/user/mine");
        Assert.Equal("1000:1000", (await box.RunAsync("stat -c %u:%g /home/user/mine")).Trim());
    }

    [Fact]
    public async Task A_root_command_cannot_borrow_the_helper_s_capabilities_through_pid_1()
    {
        // pid 1 keeps setuid/setgid/setpcap (namespaced) to switch users; a command (same uid 0, no capabilities) must
        // not reach them: attaching to pid 1 and writing its memory need capabilities the command lacks.
        await using var box = await Box.CreateAsync(S, template: "python", tag: "rcptrace");
        var attach = await box.ExecAsync("""
            python3 -c 'import ctypes, os; libc = ctypes.CDLL(None, use_errno=True); r = libc.ptrace(16, 1, None, None); print(r, ctypes.get_errno())'
            """);
        Assert.Equal("-1 1", attach.Out.Trim()); // PTRACE_ATTACH: EPERM
        var mem = await box.ExecAsync("echo x > /proc/1/mem; cat /proc/1/environ >/dev/null");
        Assert.NotEqual(0, mem.ExitCode);
        Assert.Contains("Permission denied", mem.Stderr);
    }

    [Fact]
    public async Task Patch_merges_into_the_sandbox_layer()
    {
        await using var box = await Box.CreateAsync(S, tag: "rcpatch", extra: new JsonObject
        {
            ["run_config"] = RunConfig("user", "/tmp", new JsonObject { ["A"] = "box", ["B"] = "box" }),
        });
        var patched = (await S.PatchAsync(box.Path, new { run_config = new { user = "root", env_vars = new { B = "patched", C = "new" } } })).Expect(200).Json;
        var rc = patched.GetProperty("run_config");
        Assert.Equal("root", rc.Str("user"));
        Assert.Equal("/tmp", rc.Str("work_dir"));
        Assert.Equal("box", rc.GetProperty("env_vars").Str("A"));
        Assert.Equal("patched", rc.GetProperty("env_vars").Str("B"));
        Assert.Equal("0 0 0 /tmp A=box B=patched C=new HOME=/home/user USER=root LEGACY=", (await box.RunAsync(Probe)).Trim());
        (await S.PatchAsync(box.Path, new { run_config = new { work_dir = "rel" } })).ExpectValidation("work_dir");
        (await S.PatchAsync(box.Path, new { run_config = "user" })).ExpectValidation("run_config");
        // Kept across a stop and start.
        (await S.PostAsync(box.Path + "/stop", new { })).Expect(200);
        (await S.PostAsync(box.Path + "/start", new { })).Expect(200);
        Assert.Equal("patched", (await S.GetAsync(box.Path)).Expect(200).Json.GetProperty("run_config").GetProperty("env_vars").Str("B"));
        // A sandbox created without one reports null.
        await using var plain = await Box.CreateAsync(S, tag: "rcnone");
        Assert.Equal(JsonValueKind.Null, plain.Created.GetProperty("run_config").ValueKind);
    }

    [Theory]
    [InlineData("""{"user": "a:b:c"}""", "user")]
    [InlineData("""{"user": ""}""", "user")]
    [InlineData("""{"user": "99999"}""", "user")]
    [InlineData("""{"user": "x y"}""", "user")]
    [InlineData("""{"user": 5}""", "user")]
    [InlineData("""{"work_dir": "relative/dir"}""", "work_dir")]
    [InlineData("""{"env_vars": {"1BAD": "x"}}""", "env_vars")]
    [InlineData("""{"env_vars": ["A=1"]}""", "env_vars")]
    [InlineData("""{"shell": "/bin/sh"}""", "shell")]
    [InlineData("""[]""", "run_config")]
    public async Task Bad_run_config_is_422_naming_the_field(string runConfig, string field)
    {
        var name = Names.New("rcbad");
        var create = await Api.SendAsync(S.Http, HttpMethod.Post, Api.Boxes,
            new StringContent($"{{\"name\":\"{name}\",\"run_config\":{runConfig}}}", System.Text.Encoding.UTF8, "application/json"));
        create.ExpectValidation(field);
        Assert.Equal("run_config", create.Locs[0][1]);
        Assert.Contains(create.Json.GetProperty("detail").EnumerateArray(), d => d.Str("type") == "value_error" || d.Str("type").EndsWith("_type") || d.Str("type") == "extra_forbidden");
        Assert.DoesNotContain(await S.ListAllAsync(), s => s.Str("name") == name);
    }

    [Fact]
    public async Task Commands_refuse_run_config_beside_env_or_cwd_and_unknown_users()
    {
        await using var box = await Box.CreateAsync(S, tag: "rccmd");
        (await box.ExecRawAsync("true", extra: new JsonObject { ["run_config"] = RunConfig(workDir: "/"), ["cwd"] = "/tmp" })).ExpectError(400, "InvalidRequest");
        (await box.ExecRawAsync("true", extra: new JsonObject { ["run_config"] = RunConfig(), ["env"] = new JsonObject { ["A"] = "1" } })).ExpectError(400, "InvalidRequest");
        (await box.ExecRawAsync("true", extra: new JsonObject { ["run_config"] = RunConfig("ghost") })).ExpectError(400, "UserNotFound");
        (await box.ExecRawAsync("true", extra: new JsonObject { ["run_config"] = RunConfig("user:ghosts") })).ExpectError(400, "GroupNotFound");
        (await box.ExecRawAsync("true", extra: new JsonObject { ["run_config"] = RunConfig(workDir: "/no/such/dir") })).ExpectError(400, "InvalidWorkingDirectory");
        (await box.ExecRawAsync("true", extra: new JsonObject { ["run_config"] = RunConfig("1:2:3") })).ExpectValidation("user");
        // And over the WebSocket: the error frame.
        await using var ws = await WsExec.ConnectAsync(S, box.DataplaneUrl);
        await ws.SendAsync(WsExec.Execute("true", 10, new JsonObject { ["run_config"] = RunConfig("ghost") }));
        var frames = await ws.ReceiveUntilEndAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("UserNotFound", frames[^1].Str("error_type"));
        // A user's home directory that it may not enter is a working-directory error, as the user sees it.
        await box.RunAsync("mkdir -p /srv/private && chmod 700 /srv/private");
        (await box.ExecRawAsync("true", extra: new JsonObject { ["run_config"] = RunConfig("user", "/srv/private") })).ExpectError(400, "InvalidWorkingDirectory");
    }
}
